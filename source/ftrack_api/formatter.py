"""Human readable text representation of entities."""

from __future__ import annotations

import collections.abc
from typing import Any, Callable, Mapping, Optional

try:
    import termcolor
except ImportError:  # pragma: no cover - termcolor is a declared dependency.
    termcolor = None

import ftrack_api.collection
import ftrack_api.inspection
import ftrack_api.symbol

#: Callable deciding from ``(entity, attribute name, value)`` whether to show an attribute.
AttributeFilter = Callable[[Any, str, Any], bool]


def _ignore_unset(entity: Any, name: str, value: Any) -> bool:
    """Return whether *value* of attribute *name* on *entity* is set."""
    return value is not ftrack_api.symbol.NOT_SET


#: Ready made attribute filters to pass as ``attribute_filter`` to
#: :func:`format`.
FILTER = {"ignore_unset": _ignore_unset}


def _colour(text: str, color: Optional[str] = None, on_color: Optional[str] = None,
            attrs: Optional[list[str]] = None) -> str:
    """Return *text* decorated with terminal colours when available."""
    if termcolor is None:
        return text
    return termcolor.colored(text, color, on_color, attrs=attrs)


def _default_header(text: str) -> str:
    """Default formatter for the entity type line."""
    return _colour(text, "white", "on_blue", attrs=["bold"])


def _default_label(text: str) -> str:
    """Default formatter for attribute names."""
    return _colour(text, "blue", attrs=["bold"])


def _is_entity(value: Any) -> bool:
    """Return whether *value* looks like an entity."""
    return (
        not isinstance(value, type)
        and hasattr(value, "entity_type")
        and hasattr(value, "keys")
        and hasattr(value, "__getitem__")
    )


def _is_entity_collection(value: Any) -> bool:
    """Return whether *value* is a collection holding entities."""
    if isinstance(value, (str, bytes, collections.abc.Mapping)) or _is_entity(value):
        return False

    if isinstance(value, ftrack_api.collection.Collection):
        return True

    if isinstance(value, (list, tuple, collections.abc.Sequence)):
        items = list(value)
        return bool(items) and all(_is_entity(item) for item in items)

    return False


def _seen_key(entity: Any) -> tuple:
    """Return key identifying *entity* for the recursion guard."""
    try:
        entity_type, key = ftrack_api.inspection.identity(entity)
        return (entity_type, tuple(key))
    except Exception:
        return ("__object__", id(entity))


def _format_value(value: Any) -> str:
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


class _EntityDescriber(object):
    """Describes entities as indented text, noting the ones already described."""

    def __init__(
        self, formatters: Mapping[str, Callable[[str], str]], attribute_filter: Optional[AttributeFilter],
        recursive: bool, seen: set
    ) -> None:
        """Initialise with the options of :func:`format` and the *seen* guard."""
        self._header = formatters["header"]
        self._label = formatters["label"]
        self._attribute_filter = attribute_filter
        self._recursive = recursive
        self._seen = seen

    def describe(self, entity: Any, indent: int, indent_first_line: bool) -> str:
        """Return the text for *entity*: a header line then one line an attribute."""
        self._seen.add(_seen_key(entity))
        first_prefix = " " * indent if indent_first_line else ""
        lines = [first_prefix + self._header(str(entity.entity_type))]
        for name in sorted(entity.keys(), key=str):
            value = entity[name]
            if self._attribute_filter is not None and not self._attribute_filter(entity, name, value):
                continue
            label = " " * (indent + 4) + self._label(str(name)) + ":"
            lines.extend(self._describe_attribute(label, value, indent))
        return "\n".join(lines)

    def _describe_attribute(self, label: str, value: Any, indent: int) -> list[str]:
        """Return the lines for one attribute *value* after its *label*."""
        if _is_entity(value):
            return [label + " " + self._describe_related(value, indent + 4, False)]
        if _is_entity_collection(value):
            return self._describe_collection(label, list(value), indent)
        return [label + " " + _format_value(value)]

    def _describe_collection(self, label: str, items: list, indent: int) -> list[str]:
        """Return the lines for a collection of entities: its size, or each item when recursive."""
        if not self._recursive:
            count = len(items)
            return [label + " <collection of {0} entit{1}>".format(count, "y" if count == 1 else "ies")]
        return [label] + [self._describe_related(item, indent + 8, True) for item in items]

    def _describe_related(self, entity: Any, indent: int, indent_first_line: bool) -> str:
        """Return the text for a related *entity*, only named when already described."""
        if _seen_key(entity) in self._seen:
            prefix = " " * indent if indent_first_line else ""
            return prefix + self._header(str(entity.entity_type)) + " (already shown)"
        return self.describe(entity, indent, indent_first_line)


def format(
    entity: Any, formatters: Optional[Mapping[str, Callable[[str], str]]] = None,
    attribute_filter: Optional[AttributeFilter] = None, recursive: bool = False, indent: int = 0,
    indent_first_line: bool = True, _seen: Optional[set] = None
) -> str:
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
    formatters = dict(formatters or {})
    formatters.setdefault("header", _default_header)
    formatters.setdefault("label", _default_label)
    describer = _EntityDescriber(formatters, attribute_filter, recursive, set() if _seen is None else _seen)
    return describer.describe(entity, indent, indent_first_line)
