"""Which custom attribute configurations apply to an entity.

A session loads the ``CustomAttributeConfiguration`` records once and looks
up, for each entity, the configurations of its kind and project
(doc/protocol.rst, "Custom attributes").
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET

#: Owner kinds a hierarchical configuration applies to.
_HIERARCHICAL_KINDS = ("task", "show", "asset", "assetversion")

#: Entity types whose configurations are of the ``list`` kind.
_LIST_TYPES = ("List", "TypedContextList", "AssetVersionList")

OwnerDetails = Tuple[str, Optional[str], Optional[str]]


def _value_of(owner: Any, name: str) -> Any:
    """The value of attribute *name* of *owner*, None when unknown or unset."""
    try:
        value = owner[name]
    except KeyError:
        return None
    return None if value is NOT_SET else value


def _project_of_parent(parent: Any) -> Optional[str]:
    """The project id of an owner whose parent is *parent* (None: unknown)."""
    if parent is None:
        return None
    if parent.entity_type == "Project":
        return _value_of(parent, "project_id") or _value_of(parent, "id")
    return _value_of(parent, "project_id")


def owner_details(entity: Any) -> OwnerDetails:
    """Return (configuration kind, object type id, project id) of *entity*.

    The kind is the legacy entity type code configurations are stored
    under: ``show``, ``task``, ``asset``, ``assetversion``, ``user`` or
    ``list``.
    """
    entity_type = entity.entity_type
    if entity_type == "Project":
        return "show", None, _value_of(entity, "id")
    if entity_type == "AssetVersion":
        asset = _value_of(entity, "asset")
        parent = _value_of(asset, "parent") if asset is not None else None
        return "assetversion", None, _project_of_parent(parent)
    if entity_type == "Asset":
        return "asset", None, _project_of_parent(_value_of(entity, "parent"))
    if entity_type == "User":
        return "user", None, None
    if entity_type in _LIST_TYPES:
        return "list", None, _value_of(entity, "project_id")

    # Typed contexts.
    project_id = _value_of(entity, "project_id")
    if project_id is None:
        parent = _value_of(entity, "parent")
        if parent is not None and parent.entity_type == "Project":
            project_id = _value_of(parent, "id")
        elif parent is not None:
            project_id = _value_of(parent, "project_id")
    return "task", _value_of(entity, "object_type_id"), project_id


def applies(configuration: Any, code: str, object_type_id: Optional[str], project_id: Optional[str]) -> bool:
    """Whether *configuration* applies to an owner of kind *code* in project *project_id*."""
    configuration_project = configuration["project_id"]
    if configuration_project is not None and configuration_project != project_id:
        return False
    if configuration["entity_type"] == code:
        return code != "task" or configuration["object_type_id"] in (None, object_type_id)
    return bool(configuration["is_hierarchical"]) and code in _HIERARCHICAL_KINDS


class CustomAttributeConfigurations(object):
    """The custom attribute configurations of one session, loaded once."""

    def __init__(self, session: Any) -> None:
        """Look configurations up with *session*."""
        self._session = session
        #: The loaded records, None until needed (or after :meth:`forget`).
        self.records: Optional[List[Any]] = None

    def all(self) -> List[Any]:
        """Return every configuration record (loaded on first use)."""
        records = self.records
        if records is None:
            records = self._session.query(
                "select key, project_id, id, object_type_id, entity_type, "
                "is_hierarchical from CustomAttributeConfiguration"
            ).all()
            self.records = records
        return records

    def legacy(self, entity: Any) -> List[Any]:
        """Return the configurations as the legacy look up of *entity* lists them: all of them."""
        return self._session.query(
            "select key, project_id, id, object_type_id, entity_type from CustomAttributeConfiguration"
        ).all()

    def forget(self) -> None:
        """Drop the loaded records; the next look up loads them again."""
        self.records = None

    def candidates(
        self, key: Optional[str], code: str, object_type_id: Optional[str], project_id: Optional[str]
    ) -> List[Any]:
        """Return the configurations for *key* (None: any) applying to an owner."""
        return [
            configuration
            for configuration in self._session._custom_attribute_configuration_records()
            if (key is None or configuration["key"] == key)
            and applies(configuration, code, object_type_id, project_id)
        ]

    def resolve(self, entity: Any, key: str) -> Any:
        """Return the configuration for *key* applying to *entity*.

        A project's own configuration wins over a global one. Raise
        :exc:`KeyError` when none applies, after loading the records again
        in case the configuration was added since.
        """
        details = self._session._custom_attribute_owner_details(entity)
        fresh = self.records is None
        candidates = self._session._custom_attribute_candidates(key, *details)
        if not candidates and not fresh:
            self.forget()
            candidates = self._session._custom_attribute_candidates(key, *details)
        if not candidates:
            raise KeyError(
                "Custom attribute {0!r} does not exist for {1!r}.".format(key, entity)
            )
        candidates.sort(key=lambda item: item["project_id"] is None)
        return candidates[0]
