"""Build entity classes from server schemas."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any, List, Optional

import ftrack_api.attribute
import ftrack_api.cache
from ftrack_api.collection import PerSessionDefaultKeyMaker  # noqa: F401 (public name here too)
import ftrack_api.entity.asset_version
import ftrack_api.entity.base
import ftrack_api.entity.component
import ftrack_api.entity.job
import ftrack_api.entity.location
import ftrack_api.entity.note
import ftrack_api.entity.project_schema
import ftrack_api.entity.user
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

NOT_SET = ftrack_api.symbol.NOT_SET

_SCALAR_TYPES = frozenset(
    ("string", "boolean", "integer", "number", "variable", "object")
)


def _new_uid(entity=None):
    """Return a new unique identifier (UUID4 text)."""
    return str(uuid.uuid4())


class Factory(object):
    """Entity class factory."""

    def __init__(self) -> None:
        """Initialise factory."""
        super(Factory, self).__init__()
        self.logger = logging.getLogger(
            __name__ + "." + self.__class__.__name__
        )

    def create(self, schema: dict, bases: Optional[List[type]] = None) -> type:
        """Create and return entity class from *schema*.

        *bases* should be a list of bases to give the constructed class. If
        not specified, default to :class:`ftrack_api.entity.base.Entity`.
        """
        entity_type = schema["id"]
        class_name = entity_type

        class_bases = bases
        if class_bases is None:
            class_bases = [ftrack_api.entity.base.Entity]

        class_namespace = dict()
        attributes = _DeferredAttributes(self, schema, class_name)

        class_namespace["entity_type"] = entity_type
        class_namespace["attributes"] = attributes
        class_namespace["primary_key_attributes"] = list(schema["primary_key"])
        class_namespace["default_projections"] = list(
            schema.get("default_projections", [])
        )
        class_namespace["_collection_names"] = attributes.collection_names

        cls = ftrack_api.entity.base.DynamicEntityTypeMetaclass(
            str(class_name), tuple(class_bases), class_namespace
        )
        return cls

    def _build_attributes(self, schema, class_name):
        """Return the :class:`~ftrack_api.attribute.Attributes` of *schema*.

        Called once per class, when its attributes are first needed, through
        the ``create_*_attribute`` methods (which subclasses may override).
        """
        attributes = ftrack_api.attribute.Attributes()
        immutable_properties = set(schema.get("immutable", []))
        computed_properties = set(schema.get("computed", []))

        for name, fragment in schema.get("properties", {}).items():
            if fragment.get("restricted_projection"):
                continue
            attribute = self._attribute_from_fragment(
                class_name,
                name,
                fragment,
                mutable=name not in immutable_properties,
                computed=name in computed_properties,
            )
            if attribute is not None:
                attributes.add(attribute)

        return attributes

    def _skip(self, class_name, name, reason, *arguments):
        """Log that attribute *name* of *class_name* is skipped for *reason*."""
        self.logger.debug(
            L("Skipping {0}.{1} attribute: " + reason, class_name, name, *arguments)
        )

    def _attribute_from_fragment(self, class_name, name, fragment, mutable, computed):
        """Return the attribute schema *fragment* describes, or None to skip it."""
        data_type = fragment.get("type", NOT_SET)
        if data_type is NOT_SET:
            reference = fragment.get("$ref", NOT_SET)
            if reference is NOT_SET:
                self._skip(class_name, name, "no data type or reference.")
                return None
            return self.create_reference_attribute(class_name, name, mutable, reference)

        if data_type in _SCALAR_TYPES:
            if data_type == "string" and fragment.get("format") == "date-time":
                data_type = "datetime"
            default = fragment.get("default", NOT_SET)
            if default == "{uid}":
                default = _new_uid
            return self.create_scalar_attribute(
                class_name, name, mutable, computed, default, data_type
            )
        if data_type == "array":
            return self.create_collection_attribute(class_name, name, mutable)
        if data_type == "mapped_array":
            reference = fragment.get("items", {}).get("$ref", NOT_SET)
            if reference is NOT_SET:
                self._skip(class_name, name, "mapped_array without a schema reference.")
                return None
            return self.create_mapped_collection_attribute(class_name, name, mutable, reference)
        self._skip(class_name, name, "unrecognised data type {2}.", data_type)
        return None

    def create_scalar_attribute(
        self, class_name: str, name: str, mutable: bool, computed: bool, default: Any, data_type: str
    ) -> ftrack_api.attribute.ScalarAttribute:
        """Return appropriate scalar attribute instance."""
        return ftrack_api.attribute.ScalarAttribute(
            name,
            data_type=data_type,
            default_value=default,
            mutable=mutable,
            computed=computed,
        )

    def create_reference_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> ftrack_api.attribute.ReferenceAttribute:
        """Return appropriate reference attribute instance."""
        return ftrack_api.attribute.ReferenceAttribute(
            name, reference, mutable=mutable
        )

    def create_collection_attribute(
        self, class_name: str, name: str, mutable: bool
    ) -> ftrack_api.attribute.CollectionAttribute:
        """Return appropriate collection attribute instance."""
        return ftrack_api.attribute.CollectionAttribute(name, mutable=mutable)

    def create_mapped_collection_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> Optional[ftrack_api.attribute.AbstractCollectionAttribute]:
        """Return appropriate mapped collection attribute instance."""
        self._skip(class_name, name, "no mapped_array implementation for reference {2}.", reference)
        return None


class _DeferredAttributes(ftrack_api.attribute.Attributes):
    """Attributes of a generated class, built when first used.

    A session builds a class for every schema at start while most scripts
    touch a handful of types; building each class's attributes on first use
    keeps start-up cheap. Once built, the object becomes a plain
    :class:`~ftrack_api.attribute.Attributes` (no indirection remains).
    """

    _lock = threading.Lock()

    def __init__(self, factory, schema, class_name):
        # Deliberately no base initialisation: _data is filled on first use.
        # The collection names set is shared with the class from the start.
        self.collection_names = set()
        self._pending = (factory, schema, class_name)

    def _build(self):
        with self._lock:
            if self.__class__ is _DeferredAttributes:
                factory, schema, class_name = self._pending
                built = factory._build_attributes(schema, class_name)
                self._data = self.by_name = built.by_name
                self.collection_names.update(built.collection_names)
                del self._pending
                self.__class__ = ftrack_api.attribute.Attributes

    def __getattr__(self, name):
        if name in ("_data", "by_name"):
            self._build()
            return getattr(self, name)
        raise AttributeError(name)

    def add(self, attribute):
        self._build()
        return self.add(attribute)

    def remove(self, attribute):
        self._build()
        return self.remove(attribute)

    def get(self, name):
        self._build()
        return self.get(name)

    def keys(self):
        self._build()
        return self.keys()

    def __contains__(self, item):
        self._build()
        return item in self

    def __iter__(self):
        self._build()
        return iter(self)

    def __len__(self):
        self._build()
        return len(self)


#: Memoiser for use with default callables that should be called once per
#: session.
memoise_defaults = ftrack_api.cache.memoise_decorator(
    ftrack_api.cache.Memoiser(
        key_maker=PerSessionDefaultKeyMaker(), return_copies=False
    )
)

#: Memoiser for use with callables that should be called once per session.
memoise_session = ftrack_api.cache.memoise_decorator(
    ftrack_api.cache.Memoiser(
        key_maker=PerSessionDefaultKeyMaker(), return_copies=False
    )
)


def _get_custom_attribute_configurations(session):
    """Return the custom attribute configurations of *session*'s server.

    Their key, project, entity type, object type and hierarchical flag are
    loaded; the list is kept for the session's life.
    """
    return session._custom_attribute_configuration_records()


def _get_entity_configurations(entity):
    """Return the custom attribute configurations that apply to *entity*."""
    session = entity.session
    details = session._custom_attribute_owner_details(entity)
    return session._custom_attribute_candidates(None, *details)


def _create_metadata(proxy, data):
    """Create a Metadata entity owned by the entity of *proxy*."""
    owner = proxy.collection.entity
    values = dict(data)
    values["parent_id"] = owner["id"]
    values["parent_type"] = owner.entity_type
    return owner.session.create("Metadata", values)


def _custom_attribute_value_creator(value_type):
    """Return creator of *value_type* custom attribute value entities."""

    def creator(proxy, data):
        """Create value entity for a key not yet in the collection.

        Only entities not yet persisted may get new values: for others the
        server returns a value entity for every applicable configuration.
        """
        owner = proxy.collection.entity
        session = owner.session
        key = data["key"]
        if not ftrack_api.inspection.entity_state(owner).created:
            raise KeyError(
                "Custom attribute {0!r} does not exist on {1!r}.".format(key, owner)
            )

        configuration = session._resolve_custom_attribute_configuration(
            owner, key
        )
        with session.operation_recording(False):
            value_entity = session.create(
                value_type,
                {
                    "configuration_id": configuration["id"],
                    "entity_id": owner["id"],
                    "key": key,
                },
                reconstructing=True,
            )
        # Becomes a member without recording a change of the collection: the
        # value itself is written (upserted) through the update below.
        proxy.collection.assign(list(proxy.collection) + [value_entity])
        value_entity["value"] = data["value"]
        return value_entity

    return creator


#: Classes the entity types of these names derive from (and every type
#: whose name ends with "Component" from Component).
_SPECIAL_BASES = {
    "ProjectSchema": ftrack_api.entity.project_schema.ProjectSchema,
    "Location": ftrack_api.entity.location.Location,
    "AssetVersion": ftrack_api.entity.asset_version.AssetVersion,
    "Note": ftrack_api.entity.note.Note,
    "Job": ftrack_api.entity.job.Job,
    "User": ftrack_api.entity.user.User,
}


class StandardFactory(Factory):
    """Standard entity class factory."""

    def create(self, schema: dict, bases: Optional[List[type]] = None) -> type:
        """Create and return entity class from *schema*."""
        if bases is None:
            bases = [ftrack_api.entity.base.Entity]
        bases = list(bases)

        entity_type = schema["id"]
        special = _SPECIAL_BASES.get(entity_type)
        if special is None and entity_type.endswith("Component"):
            special = ftrack_api.entity.component.Component

        if special is not None and not any(
            issubclass(base, special) for base in bases
        ):
            bases = [
                base for base in bases if base is not ftrack_api.entity.base.Entity
            ]
            bases.append(special)

        properties = schema.get("properties", {})
        if "notes" in properties and not any(
            issubclass(base, ftrack_api.entity.note.CreateNoteMixin)
            for base in bases
        ):
            bases.append(ftrack_api.entity.note.CreateNoteMixin)

        if "thumbnail_id" in properties and not any(
            issubclass(base, ftrack_api.entity.component.CreateThumbnailMixin)
            for base in bases
        ):
            bases.append(ftrack_api.entity.component.CreateThumbnailMixin)

        return super(StandardFactory, self).create(schema, bases=bases)

    def create_mapped_collection_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> Optional[ftrack_api.attribute.AbstractCollectionAttribute]:
        """Return appropriate mapped collection attribute instance."""
        if reference == "Metadata":
            return ftrack_api.attribute.KeyValueMappedCollectionAttribute(
                name, _create_metadata, "key", "value", mutable=mutable
            )

        if reference == "CustomAttributeValue":
            return ftrack_api.attribute.CustomAttributeCollectionAttribute(
                name, mutable=mutable
            )

        if reference.endswith("CustomAttributeValue"):
            attribute = ftrack_api.attribute.KeyValueMappedCollectionAttribute(
                name,
                _custom_attribute_value_creator(reference),
                "key",
                "value",
                mutable=mutable,
            )
            attribute.set_keys_individually = True
            return attribute

        return super(StandardFactory, self).create_mapped_collection_attribute(
            class_name, name, mutable, reference
        )
