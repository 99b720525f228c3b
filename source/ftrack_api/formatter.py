"""Human readable text representation of entities."""

import collections.abc

try:
    import termcolor
except ImportError:  # pragma: no cover - termcolor is a declared dependency.
    termcolor = None

import ftrack_api.inspection
import ftrack_api.symbol


def _ignore_unset(entity, name, value):
    """Return whether *value* of attribute *name* on *entity* is set."""
    return value is not ftrack_api.symbol.NOT_SET


#: Ready made attribute filters to pass as ``attribute_filter`` to
#: :func:`format`.
FILTER = {"ignore_unset": _ignore_unset}


def _colour(text, color=None, on_color=None, attrs=None):
    """Return *text* decorated with terminal colours when available."""
    if termcolor is None:
        return text
    return termcolor.colored(text, color, on_color, attrs=attrs)


def _default_header(text):
    """Default formatter for the entity type line."""
    return _colour(text, "white", "on_blue", attrs=["bold"])


def _default_label(text):
    """Default formatter for attribute names."""
    return _colour(text, "blue", attrs=["bold"])


def _is_entity(value):
    """Return whether *value* looks like an entity."""
    return (
        not isinstance(value, type)
        and hasattr(value, "entity_type")
        and hasattr(value, "keys")
        and hasattr(value, "__getitem__")
    )


_COLLECTION_CLASS = []


def _collection_class():
    """Return :class:`ftrack_api.collection.Collection` or None if missing."""
    if not _COLLECTION_CLASS:
        try:
            from ftrack_api.collection import Collection
        except ImportError:
            return None
        _COLLECTION_CLASS.append(Collection)
    return _COLLECTION_CLASS[0]


def _is_entity_collection(value):
    """Return whether *value* is a collection holding entities."""
    if isinstance(value, (str, bytes, collections.abc.Mapping)) or _is_entity(value):
        return False

    collection_class = _collection_class()
    if collection_class is not None and isinstance(value, collection_class):
        return True

    if isinstance(value, (list, tuple, collections.abc.Sequence)):
        items = list(value)
        return bool(items) and all(_is_entity(item) for item in items)

    return False


def _seen_key(entity):
    """Return key identifying *entity* for the recursion guard."""
    try:
        entity_type, key = ftrack_api.inspection.identity(entity)
        return (entity_type, tuple(key))
    except Exception:
        return ("__object__", id(entity))


def _format_value(value):
    """Return text for a plain attribute *value*."""
    if isinstance(value, collections.abc.Mapping) and not isinstance(value, dict):
        try:
            value = dict(value)
        except Exception:
            pass

    try:
        return str(value)
    except Exception:
        return object.__repr__(value)


def format(
    entity,
    formatters=None,
    attribute_filter=None,
    recursive=False,
    indent=0,
    indent_first_line=True,
    _seen=None,
):
    """Return a multi-line text describing *entity* and its attributes.

    The first line shows the entity type and each following line one
    attribute as ``name: value``, sorted by name. Related entities are
    described as nested, further indented blocks; an entity already described
    higher up is only referenced to avoid endless output for cyclic data.

    *formatters* customises the look of parts of the text. It is a mapping
    with any of the keys:

    * ``header`` -- callable receiving the entity type text.
    * ``label`` -- callable receiving each attribute name.

    Unspecified parts use coloured defaults (colours are left out when not
    writing to a terminal, see the termcolor package for controlling this).

    *attribute_filter* is an optional callable accepting ``(entity,
    attribute_name, attribute_value)`` and returning True for attributes to
    include, e.g. ``FILTER['ignore_unset']`` to leave out unset values.

    If *recursive* is True, collections of entities are expanded and every
    entity in them described; otherwise only their size is shown.

    *indent* is the number of spaces to indent every line by, except the
    first line when *indent_first_line* is False (useful to continue an
    existing line).

    .. warning::

        All attributes of the entity are read, which may cause queries to the
        server. Disable auto-population on the session to avoid that.
    """
    if formatters is None:
        formatters = {}
    else:
        formatters = dict(formatters)

    formatters.setdefault("header", _default_header)
    formatters.setdefault("label", _default_label)

    if _seen is None:
        _seen = set()

    header = formatters["header"]
    label = formatters["label"]

    _seen.add(_seen_key(entity))

    first_prefix = " " * indent if indent_first_line else ""
    prefix = " " * (indent + 4)

    lines = [first_prefix + header(str(entity.entity_type))]

    for name in sorted(entity.keys(), key=str):
        value = entity[name]

        if attribute_filter is not None and not attribute_filter(
            entity, name, value
        ):
            continue

        line = prefix + label(str(name)) + ":"

        if _is_entity(value):
            if _seen_key(value) in _seen:
                lines.append(
                    line + " " + header(str(value.entity_type)) + " (already shown)"
                )
            else:
                lines.append(
                    line
                    + " "
                    + format(
                        value,
                        formatters=formatters,
                        attribute_filter=attribute_filter,
                        recursive=recursive,
                        indent=indent + 4,
                        indent_first_line=False,
                        _seen=_seen,
                    )
                )

        elif _is_entity_collection(value):
            items = list(value)
            if not recursive:
                count = len(items)
                lines.append(
                    line
                    + " <collection of {0} entit{1}>".format(
                        count, "y" if count == 1 else "ies"
                    )
                )
                continue

            lines.append(line)
            for item in items:
                if _seen_key(item) in _seen:
                    lines.append(
                        " " * (indent + 8)
                        + header(str(item.entity_type))
                        + " (already shown)"
                    )
                    continue

                lines.append(
                    format(
                        item,
                        formatters=formatters,
                        attribute_filter=attribute_filter,
                        recursive=recursive,
                        indent=indent + 8,
                        indent_first_line=True,
                        _seen=_seen,
                    )
                )

        else:
            lines.append(line + " " + _format_value(value))

    return "\n".join(lines)
