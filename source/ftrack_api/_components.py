"""Locations and components of a session.

:class:`Locations` sets up the built-in locations (doc/protocol.rst,
"Built-in locations"), activates the server's storage scenario and picks
where components are; :class:`ComponentMaker` turns files, folders and
sequences into components registered in those locations.
"""

from __future__ import annotations

import collections.abc
import logging
import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

import clique

import ftrack_api
import ftrack_api._centralized_storage_scenario
import ftrack_api.accessor.disk
import ftrack_api.accessor.server
import ftrack_api.entity.location
import ftrack_api.event.base
import ftrack_api.inspection
import ftrack_api.structure.entity_id
import ftrack_api.structure.origin
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

symbol = ftrack_api.symbol

#: Component names that go to ftrack.review when no location is given.
REVIEW_COMPONENT_NAMES = ("ftrackreview-mp4", "ftrackreview-webm", "ftrackreview-image")

#: What :meth:`ComponentMaker.plan` returns: (entity type, data, source path, member plans).
Plan = Tuple[str, Dict[str, Any], str, list]

logger = logging.getLogger(__name__)


def filesystem_size(path: str) -> int:
    """Return the size of the file at *path*, 0 when it cannot be read."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _publish(session: Any, topic: str, data: Dict[str, Any]) -> list:
    """Publish *topic* with *data* on the session's hub and wait for the handlers."""
    return session._event_hub.publish(
        ftrack_api.event.base.Event(topic=topic, data=data), synchronous=True
    )


class Locations(object):
    """The locations of one session: set up, activated and picked from."""

    def __init__(self, session: Any) -> None:
        """Serve *session*."""
        self._session = session
        self._storage_scenarios_registered = False

    def configure(self) -> None:
        """Set up the built-in locations, then let plugins configure theirs.

        ``ftrack.api.session.configure-location`` is published once the
        built-in locations exist; the server's storage scenario is then
        activated when it names one.
        """
        self.configure_builtin()
        _publish(self._session, "ftrack.api.session.configure-location", {"session": self._session})
        self.activate_storage_scenario()

    def builtin(self, location_id: str, name: str, mixin: type, mixin_name: str) -> Any:
        """The local instance of a built-in location (no request is sent)."""
        location = self._session.create(
            "Location", data=dict(id=location_id, name=name), reconstructing=True
        )
        ftrack_api.mixin(location, mixin, name=mixin_name)
        return location

    def configure_builtin(self) -> None:
        """Set up ftrack.origin, ftrack.unmanaged, ftrack.review and ftrack.server."""
        mixins = ftrack_api.entity.location
        origin = self.builtin(
            symbol.ORIGIN_LOCATION_ID, "ftrack.origin", mixins.OriginLocationMixin, "OriginLocation")
        unmanaged = self.builtin(
            symbol.UNMANAGED_LOCATION_ID, "ftrack.unmanaged", mixins.UnmanagedLocationMixin, "UnmanagedLocation")
        review = self.builtin(
            symbol.REVIEW_LOCATION_ID, "ftrack.review", mixins.UnmanagedLocationMixin, "UnmanagedLocation")
        for location, priority in ((origin, 100), (unmanaged, 90), (review, 110)):
            location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix="")
            location.structure = ftrack_api.structure.origin.OriginStructure()
            location.priority = priority

        server = self.builtin(
            symbol.SERVER_LOCATION_ID, "ftrack.server", mixins.ServerLocationMixin, "ServerLocation")
        server.accessor = ftrack_api.accessor.server.ServerAccessor(session=self._session)
        server.structure = ftrack_api.structure.entity_id.EntityIdStructure()
        server.priority = 150

    def activate_storage_scenario(self) -> None:
        """Publish ``ftrack.storage-scenario.activate`` when the server names a scenario."""
        scenario = (self._session._server_information or {}).get("storage_scenario")
        if not isinstance(scenario, collections.abc.Mapping) or not scenario.get("scenario"):
            return
        if not self._storage_scenarios_registered:
            self._storage_scenarios_registered = True
            ftrack_api._centralized_storage_scenario.register(self._session)
        _publish(self._session, "ftrack.storage-scenario.activate", {"storage_scenario": scenario})

    def ordered(self, filter_inaccessible: bool = True) -> List[Any]:
        """Return the locations by priority, preferred first.

        With *filter_inaccessible*, only those with an accessor in this
        session.
        """
        locations = self._session.query("Location").all()
        if filter_inaccessible:
            locations = [
                location for location in locations
                if getattr(location, "accessor", symbol.NOT_SET) is not symbol.NOT_SET
            ]
        return sorted(locations, key=lambda location: location.priority)

    def pick_one(self, component: Any = None) -> Optional[Any]:
        """The preferred accessible location, holding all of *component* when given (or None)."""
        if component is None:
            locations = self._session._get_locations()
            return locations[0] if locations else None
        return self._session.pick_locations([component])[0]

    def pick(self, components: Iterable[Any]) -> List[Optional[Any]]:
        """Return, per component, the preferred accessible location holding all of it (or None)."""
        components = list(components)
        locations = self._session._get_locations()
        availabilities = self._session.get_component_availabilities(components, locations=locations)
        return [
            next((location for location in locations if availability.get(location["id"]) == 100.0), None)
            for availability in availabilities
        ]

    def availabilities(self, components: Iterable[Any], locations: Optional[Iterable[Any]] = None) -> List[dict]:
        """Return one ``{location id: percentage}`` per component of *components*.

        A file is 0 or 100 percent available in a location, a container the
        average of its members. *locations* limits the result (default: all).
        """
        components = list(components)
        if locations is None:
            locations = self._session.query("Location").all()
        locations = list(locations)
        members = _members_by_id(components)

        ids = [str(component["id"]) for component, _ in members.values()]
        rows = {}
        if not all(ftrack_api.inspection.entity_state(component).created for component, _ in members.values()):
            rows = ftrack_api.entity.location._component_locations(self._session, ids)
        present = {
            location["id"]: location._available_component_ids(ids, rows=rows)
            for location in locations
        }

        def availability(component: Any, location_id: str) -> float:
            inner = members[component["id"]][1]
            if inner:
                return sum(availability(member, location_id) for member in inner) / len(inner)
            return 100.0 if str(component["id"]) in present[location_id] else 0.0

        return [
            {location["id"]: availability(component, location["id"]) for location in locations}
            for component in components
        ]


def _members_by_id(components: List[Any]) -> Dict[Any, Tuple[Any, list]]:
    """Map the id of each of *components* and of their members, at any depth, to (component, members)."""
    found: Dict[Any, Tuple[Any, list]] = {}
    pending = list(components)
    while pending:
        component = pending.pop()
        if component["id"] not in found:
            inner = ftrack_api.entity.location._members(component)
            found[component["id"]] = (component, inner)
            pending.extend(inner)
    return found


class ComponentMaker(object):
    """Creates components for files, folders and sequences in one session."""

    def __init__(self, session: Any) -> None:
        """Serve *session*."""
        self._session = session

    def file_type(self, path: str) -> str:
        """File type of *path*: a plugin's answer, else the file's extension."""
        results = _publish(self._session, "ftrack.api.session.get-file-type-from-string", {"file_path": path})
        for result in results:
            if result is not None:
                return result
        return os.path.splitext(path)[-1]

    def plan(self, path: str, data: Dict[str, Any]) -> Plan:
        """Describe the components to make for *path* before creating any.

        Raise :exc:`OSError` when a file cannot be read.
        """
        try:
            collection = clique.parse(path)
        except ValueError:
            collection = None
        if collection is not None:
            return self._sequence_plan(collection, data)

        if os.path.isdir(path):
            plans = []
            for name in sorted(os.listdir(path)):
                stem, extension = os.path.splitext(name)
                member = {"name": stem if extension and stem else name}
                plans.append(self.plan(os.path.join(path, name), member))
            data.setdefault("size", sum(plan[1]["size"] for plan in plans))
            return ("ContainerComponent", data, path, plans)

        data.setdefault("file_type", self.file_type(path))
        data.setdefault("size", self._session._get_filesystem_size(path))
        return ("FileComponent", data, path, [])

    def _sequence_plan(self, collection: Any, data: Dict[str, Any]) -> Plan:
        """The plan of a sequence component with one member per frame of *collection*."""
        expression = collection.format("{head}{padding}{tail}")
        file_type = data.get("file_type") or self.file_type(expression)
        indexes = collection.indexes
        member_size = None
        if data.get("size") is not None and indexes:
            # A given total is shared evenly between the members.
            member_size = int(round(data["size"] / len(indexes)))
        plans = []
        for index in indexes:
            frame = "{0:0{1}d}".format(index, collection.padding)
            member_path = collection.head + frame + collection.tail
            size = member_size
            if size is None:
                size = self._session._get_filesystem_size(member_path)
            plans.append(("FileComponent", {"name": frame, "file_type": file_type, "size": size}, member_path, []))
        data.setdefault("padding", collection.padding)
        data.setdefault("file_type", file_type)
        data.setdefault("size", sum(plan[1]["size"] for plan in plans))
        return ("SequenceComponent", data, expression, plans)

    def create_one(self, entity_type: str, path: str, data: Dict[str, Any], location: Any) -> Any:
        """Create a component of *entity_type* with *data* for the file at *path*.

        It is registered in ftrack.origin at *path*, then added to
        *location* unless that is falsy.
        """
        session = self._session
        component = session.create(entity_type, data)
        origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
        origin.add_component(component, path, recursive=False)
        if location:
            location.add_component(component, origin, recursive=False)
        return component

    def create(self, path: str, data: Optional[Dict[str, Any]] = None, location: Any = "auto") -> Any:
        """Create the component for *path* (see :meth:`Session.create_component`)."""
        session = self._session
        plan = self.plan(path, dict(data or {}))
        made: List[Tuple[Any, str]] = []
        component = self._create_planned(plan, made=made)
        origin = session.get("Location", symbol.ORIGIN_LOCATION_ID)
        try:
            origin.add_components(
                [entity for entity, _ in made], sources=[source for _, source in made], recursive=False)
            if location == "auto":
                location = self._auto_location(component)
            if location:
                location.add_component(component, origin, recursive=True)
        except BaseException as error:
            self._forget(made, origin, location, error)
            raise
        return component

    def _create_planned(self, plan: Plan, container: Any = None, made: Optional[list] = None) -> Any:
        """Create the components of *plan*; collect ``(component, source path)`` in *made*."""
        entity_type, data, source_path, member_plans = plan
        data = dict(data)
        if container is not None:
            data["container"] = container
        component = self._session.create(entity_type, data)
        made.append((component, source_path))
        members = [
            self._create_planned(member_plan, container=component, made=made)
            for member_plan in member_plans
        ]
        if "members" in component.keys():
            # Known locally until the server reports them after commit.
            with self._session.operation_recording(False):
                component["members"] = members
        return component

    def _auto_location(self, component: Any) -> Any:
        """Where ``location='auto'`` puts a new component (None: nowhere but the origin)."""
        if component["name"] in REVIEW_COMPONENT_NAMES:
            return self._session.get("Location", symbol.REVIEW_LOCATION_ID)
        location = self._session.pick_location()
        if location is not None and location["id"] == symbol.ORIGIN_LOCATION_ID:
            return None
        return location

    def _forget(self, made: list, origin: Any, location: Any, error: BaseException) -> None:
        """Undo a failed :meth:`create` in the session, and remove transferred data."""
        entities = [entity for entity, _ in made]
        origin._deregister_components_in_location(entities)
        for entity in entities:
            self._session._discard_operations(entity)
        details = getattr(error, "details", None) or {}
        transferred = details.get("transferred") or []
        accessor = getattr(location, "accessor", None)
        if not accessor:
            transferred = []
        for _, identifier in transferred:
            try:
                accessor.remove(identifier)
            except Exception:
                logger.debug(L("Could not remove transferred data {0!r}.", identifier))
