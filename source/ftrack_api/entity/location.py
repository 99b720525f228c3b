"""Location entity: where component data lives and how to reach it.

A location is configured in a session with an *accessor* (how to read and
write data), a *structure* (which resource identifier a component gets),
an optional *resource_identifier_transformer* and a *priority* (lower is
preferred when picking locations). Registrations are ``ComponentLocation``
rows on the server, except for memory locations which keep them in the
session.

Subclasses and mixins customise locations through the same private methods
as in the official client: :meth:`Location._get_context`,
:meth:`Location._add_data`, :meth:`Location._remove_data`,
:meth:`Location._register_component_in_location` (and its plural),
:meth:`Location._deregister_component_in_location` and
:meth:`Location._get_resource_identifiers`.
"""

from __future__ import annotations

import collections.abc
import contextlib
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

import ftrack_api._unit_of_work
import ftrack_api.entity.base
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.entity.base import Entity
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 (public name)

if TYPE_CHECKING:
    import ftrack_api.accessor.base
    import ftrack_api.data
    from ftrack_api.session import Session

NOT_SET = ftrack_api.symbol.NOT_SET

#: Component ids per query when asking the server about registrations.
_IDS_PER_QUERY = 200

#: End of the messages of failed adds, naming the data that may need cleaning up.
_CLEANUP_NOTE = "\n{indent}Transferred component data that may require cleanup: {transferred}"


def _chunks(values: list[str], size: int = _IDS_PER_QUERY) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _members(component: Entity) -> list[Entity]:
    """Members of a container component, or an empty list for a file."""
    if "members" not in component.keys():
        return []
    members = component["members"]
    if members is NOT_SET or members is None:
        return []
    return list(members)


def _with_members(
    components: list[Entity], sources: list[Any], members_first: bool = False
) -> list[tuple[Entity, Any]]:
    """Pairs of (component, source) for *components* and all their members."""
    pairs = []
    for component, source in zip(components, sources):
        members = _members(component)
        nested = _with_members(members, [source] * len(members), members_first)
        if members_first:
            pairs.extend(nested)
            pairs.append((component, source))
        else:
            pairs.append((component, source))
            pairs.extend(nested)
    return pairs


def _component_location_entities(
    session: Session, component_ids: Iterable[str], location_id: Optional[str] = None
) -> list[Entity]:
    """``ComponentLocation`` entities of *component_ids*, in *location_id* only when given."""
    ids = sorted(set(str(identifier) for identifier in component_ids))
    in_location = ' and location_id is "{0}"'.format(location_id) if location_id else ""
    entities = []
    for chunk in _chunks(ids):
        entities.extend(session.query(
            "select component_id, location_id, resource_identifier from ComponentLocation "
            "where component_id in ({0}){1}".format(
                ", ".join('"{0}"'.format(i) for i in chunk), in_location)
        ).all())
    return entities


def _component_locations(session: Session, component_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Return ``{component id: {location id: resource identifier}}`` from the server."""
    rows = {}
    for row in _component_location_entities(session, component_ids):
        rows.setdefault(row["component_id"], {})[row["location_id"]] = row[
            "resource_identifier"]
    return rows


# Resource identifiers looked up in batches for the duration of one add or
# remove, so that the per-component seams (_get_context, _add_data,
# _remove_data) need not ask the server once per component. Kept per thread.
_KNOWN = threading.local()


@contextlib.contextmanager
def _batch_lookups() -> Iterator[None]:
    """Within the block, :func:`_remember` and :func:`_resource_identifier` share answers."""
    previous = getattr(_KNOWN, "identifiers", None)
    _KNOWN.identifiers = {}
    try:
        yield
    finally:
        _KNOWN.identifiers = previous


def _remember(location: Any, components: Iterable[Entity]) -> None:
    """Look up the identifiers of *components* in *location* at once, for this block.

    Components not in *location* are left out; nothing is raised.
    """
    known = getattr(_KNOWN, "identifiers", None)
    if known is None or not isinstance(location, Location) or not components:
        return
    components = list(components)
    for _ in range(2):
        try:
            identifiers = location.get_resource_identifiers(components)
        except ftrack_api.exception.ComponentNotInLocationError as error:
            missing = set(id(component) for component in error.details.get("components") or [])
            components = [component for component in components if id(component) not in missing]
            if not components:
                return
            continue
        if len(identifiers) == len(components):
            for component, identifier in zip(components, identifiers):
                known[(id(location), component["id"])] = identifier
        return


def _remember_by_source(pairs: list[tuple[Entity, Any]]) -> None:
    """Look up at once, per source, the identifiers of the ``(component, source)`` *pairs*."""
    by_source = collections.OrderedDict()
    for component, source in pairs:
        by_source.setdefault(id(source), (source, []))[1].append(component)
    for source, source_components in by_source.values():
        _remember(source, source_components)


def _resource_identifier(location: Location, component: Entity) -> str:
    """``location.get_resource_identifier(component)``, answered from a batch when possible."""
    known = getattr(_KNOWN, "identifiers", None)
    if known:
        key = (id(location), component["id"])
        if key in known:
            return known[key]
    return location.get_resource_identifier(component)


class _NoAccessorError(ftrack_api.exception.LocationError,
                       ftrack_api.exception.AccessorUnsupportedOperationError):
    """A location without accessor was asked for paths or URLs.

    Both a :exc:`~ftrack_api.exception.LocationError` and an unsupported
    accessor operation, so either can be caught.
    """

    default_message = "No accessor defined for location {location}."

    def __init__(self, location: Location, operation: str) -> None:
        ftrack_api.exception.AccessorUnsupportedOperationError.__init__(
            self, operation, details=dict(location=location))


class Location(ftrack_api.entity.base.Entity):
    """Represent storage for components."""

    #: How data is read and written; set when the location is configured.
    accessor = NOT_SET
    #: Which resource identifier a component gets here.
    structure = NOT_SET
    #: Optional change of resource identifiers stored on the server.
    resource_identifier_transformer = NOT_SET
    #: Preference when picking a location: lower numbers win.
    priority = 95

    def __str__(self) -> str:
        """Return ``<ClassName("name", id)>``."""
        state = ftrack_api.inspection.entity_state(self)
        name = state.local.get("name", state.remote.get("name", NOT_SET))
        if name is NOT_SET:
            return super(Location, self).__str__()
        return '<{0}("{1}", {2})>'.format(type(self).__name__, name, self._format_key())

    # Adding ----------------------------------------------------------------
    def add_component(self, component: Entity, source: Any, recursive: bool = True) -> None:
        """Add *component* to this location, copying its data from *source*.

        *source* is another location holding the component. Raise
        :class:`~ftrack_api.exception.ComponentInLocationError` when the
        component is already here and
        :class:`~ftrack_api.exception.LocationError` when the target data
        already exists or the transfer or registration fails. Commits.
        """
        return self.add_components([component], sources=source, recursive=recursive)

    def add_components(
        self, components: Iterable[Entity], sources: Any, recursive: bool = True, _depth: int = 0
    ) -> None:
        """Add *components*, each from the matching entry of *sources*.

        *sources* is one source for all components or a sequence with one
        source per component (a source is a location, or a file path for the
        origin location). With *recursive*, the members of container
        components are added too, before their container. Raise
        :exc:`ValueError` when the number of sources does not fit,
        :class:`~ftrack_api.exception.LocationError` when no structure is
        configured and
        :class:`~ftrack_api.exception.ComponentInLocationError`, before
        anything is done, when some component is already here.

        Nothing is registered unless every transfer succeeded: a failure
        raises :class:`~ftrack_api.exception.LocationError` whose
        ``transferred`` detail lists the ``(component, resource identifier)``
        pairs whose data was written and may need cleaning up. Commits.
        """
        pairs = self._pairs_to_add(components, sources, recursive)
        if not pairs:
            return

        present = self._ids_present([component for component, _ in pairs])
        existing = [component for component, _ in pairs if component["id"] in present]
        if existing:
            raise ftrack_api.exception.ComponentInLocationError(existing, self)

        indent = "    " * (_depth + 1)
        transferred = self._transfer_data(pairs, indent)
        for component in self._register_transferred(transferred, indent):
            self._publish_event(ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC, component)

    def _pairs_to_add(self, components: Iterable[Entity], sources: Any, recursive: bool) -> list[tuple[Entity, Any]]:
        """Pair each of *components* with its source, members first when *recursive*.

        Raise :exc:`ValueError` when the number of *sources* does not fit and
        :class:`~ftrack_api.exception.LocationError` when no structure is
        configured.
        """
        if isinstance(sources, str) or not isinstance(sources, collections.abc.Sequence):
            sources = [sources]
        sources = list(sources)
        components = list(components)
        if len(sources) not in (1, len(components)):
            raise ValueError(
                "sources must be either a single source or a sequence of sources with "
                "indexes corresponding to passed components.")

        if not self.structure:
            raise ftrack_api.exception.LocationError(
                "No structure defined for location {location}.", details=dict(location=self))

        if len(sources) != len(components):
            sources = sources * len(components)
        if recursive:
            return _with_members(components, sources, members_first=True)
        return list(zip(components, sources))

    def _transfer_data(self, pairs: list[tuple[Entity, Any]], indent: str) -> list[tuple[Entity, str]]:
        """Write the data of each ``(component, source)`` of *pairs* here.

        Return the ``(component, resource identifier)`` pairs written. Raise
        :class:`~ftrack_api.exception.LocationError` at the first failure,
        listing what was written before it.
        """
        transferred = []
        with _batch_lookups():
            _remember_by_source(pairs)
            for component, source in pairs:
                try:
                    context = self._get_context(component, source)
                    resource_identifier = self.structure.get_resource_identifier(component, context)
                    self._add_data(component, resource_identifier, source)
                except Exception as error:
                    raise ftrack_api.exception.LocationError(
                        "Failed to transfer component {component} data to location "
                        "{location} due to error:\n{indent}{error}" + _CLEANUP_NOTE,
                        details=dict(indent=indent, component=component, location=self,
                                     error=error, transferred=transferred))
                transferred.append((component, resource_identifier))
        return transferred

    def _register_transferred(self, transferred: list[tuple[Entity, str]], indent: str) -> list[Entity]:
        """Register the *transferred* components here and return them.

        Resource identifiers pass through the transformer, when configured,
        before they are stored.
        """
        components = [component for component, _ in transferred]
        try:
            transformer = self.resource_identifier_transformer
            identifiers = [
                transformer.encode(identifier, context={"component": component}) if transformer else identifier
                for component, identifier in transferred
            ]
            self._register_components_in_location(components, identifiers)
        except Exception as error:
            raise ftrack_api.exception.LocationError(
                "Failed to register components with location {location} due to "
                "error:\n{indent}{error}" + _CLEANUP_NOTE,
                details=dict(indent=indent, location=self, error=error,
                             transferred=transferred))
        return components

    def _get_context(self, component: Entity, source: Any) -> dict[str, Any]:
        """Return the structure context for adding *component* from *source*.

        ``{'source_resource_identifier': identifier}`` when *source* holds
        the component, else an empty mapping.
        """
        context = {}
        if source:
            try:
                identifier = _resource_identifier(source, component)
            except ftrack_api.exception.ComponentNotInLocationError:
                pass
            else:
                context["source_resource_identifier"] = identifier
        return context

    def _add_data(self, component: Entity, resource_identifier: str, source: Any) -> None:
        """Copy the data of *component* from *source* to *resource_identifier* here.

        A container is made as a container of the accessor; a sequence has
        no data of its own (its members do). For a file the containing
        container is made first, and existing data at the target is never
        overwritten (:class:`~ftrack_api.exception.LocationError`). Data
        partly written when the copy fails is removed again.
        """
        self.logger.debug(L("Adding data of component {0!r} from {1!r} to {2!r} at {3!r}.",
                            component, source, self, resource_identifier))
        if not source.accessor:
            raise ftrack_api.exception.LocationError(
                "No accessor defined for source location {location}.",
                details=dict(location=source))
        if not self.accessor:
            raise ftrack_api.exception.LocationError(
                "No accessor defined for target location {location}.",
                details=dict(location=self))

        if "members" in component.keys():
            if component.entity_type != "SequenceComponent":
                self.accessor.make_container(resource_identifier)
            return

        try:
            container = self.accessor.get_container(resource_identifier)
        except ftrack_api.exception.AccessorParentResourceNotFoundError:
            pass  # Nothing to make: the data sits at the top.
        else:
            self.accessor.make_container(container)

        if self.accessor.exists(resource_identifier):
            raise ftrack_api.exception.LocationError(
                "Cannot add component as data already exists and overwriting could "
                "result in data loss. Computed target resource identifier was: "
                "{0}".format(resource_identifier))

        reader = source.accessor.open(_resource_identifier(source, component), "rb")
        try:
            writer = self.accessor.open(resource_identifier, "wb")
            try:
                while True:
                    chunk = reader.read(ftrack_api.symbol.CHUNK_SIZE)
                    if not chunk:
                        break
                    writer.write(chunk)
                writer.flush()
            except BaseException:
                self._abandon(writer, resource_identifier)
                raise
            writer.close()
        finally:
            reader.close()

    def _abandon(self, writer: ftrack_api.data.Data, resource_identifier: str) -> None:
        """Drop data partly written to *resource_identifier* after a failure."""
        abort = getattr(writer, "abort", None)
        try:
            if abort is not None:
                abort()
            else:
                writer.close()
            if self.accessor.exists(resource_identifier):
                self.accessor.remove(resource_identifier)
        except Exception:
            self.logger.debug(L("Could not clean up partial data at {0!r}.", resource_identifier))

    def _register_component_in_location(self, component: Entity, resource_identifier: str) -> None:
        """Register *component* here under *resource_identifier*."""
        return self._register_components_in_location([component], [resource_identifier])

    def _register_components_in_location(self, components: list[Entity], resource_identifiers: list[str]) -> None:
        """Create ``ComponentLocation`` rows for *components* and commit them.

        *resource_identifiers* are stored as they are (already encoded by the
        transformer) and align with *components*. When the commit fails the
        rows are dropped from the session again.
        """
        session = self.session
        created = []
        try:
            for component, identifier in zip(components, resource_identifiers):
                created.append(session.create("ComponentLocation", {
                    "component": component, "location": self,
                    "resource_identifier": identifier}))
            session.commit()
        except BaseException:
            for entity in created:
                ftrack_api._unit_of_work.discard_changes(entity)
            raise

    # Removing --------------------------------------------------------------
    def remove_component(self, component: Entity, recursive: bool = True) -> None:
        """Remove *component* (and, with *recursive*, its members) from this location."""
        return self.remove_components([component], recursive=recursive)

    def remove_components(self, components: Iterable[Entity], recursive: bool = True) -> None:
        """Remove *components* from this location, deleting managed data. Commits.

        Raise :class:`~ftrack_api.exception.ComponentNotInLocationError`,
        before anything is done, when one of *components* is not here. With
        *recursive* the members found here are removed first. A component
        whose data could not be removed stays registered; those removed
        before it are deregistered.
        """
        components = list(components)
        if not components:
            return
        self.get_resource_identifiers(components)
        if recursive:
            candidates = [component for component, _ in _with_members(
                components, [None] * len(components), members_first=True)]
            present = self._ids_present(candidates)
            top = set(component["id"] for component in components)
            components = [component for component in candidates
                          if component["id"] in present or component["id"] in top]

        removed = []
        try:
            with _batch_lookups():
                _remember(self, components)
                for component in components:
                    self._remove_data(component)
                    removed.append(component)
        except BaseException:
            if removed:
                try:
                    self._deregister_components_in_location(removed)
                except Exception:
                    self.logger.warning(L("Could not deregister {0} components whose data "
                                          "was removed from {1}.", len(removed), self),
                                        exc_info=True)
            raise
        self._deregister_components_in_location(removed)

        for component in removed:
            self._publish_event(
                ftrack_api.symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC, component)

    def _remove_data(self, component: Entity) -> None:
        """Delete the data of *component* here with the accessor.

        Data missing for a sequence is fine: a sequence has none of its own.
        """
        if not self.accessor:
            raise ftrack_api.exception.LocationError(
                "No accessor defined for location {location}.", details=dict(location=self))
        try:
            self.accessor.remove(_resource_identifier(self, component))
        except ftrack_api.exception.AccessorResourceNotFoundError:
            if component.entity_type != "SequenceComponent":
                raise

    def _deregister_component_in_location(self, component: Entity) -> None:
        """Delete the registration of *component* here and commit."""
        self._delete_registrations([component])

    def _deregister_components_in_location(self, components: Iterable[Entity]) -> None:
        """Delete the registrations of *components* here, committing once.

        A subclass that only overrides :meth:`_deregister_component_in_location`
        has it called for each component instead.
        """
        components = list(components)
        overridden = (type(self)._deregister_component_in_location
                      is not Location._deregister_component_in_location)
        if overridden:
            for component in components:
                self._deregister_component_in_location(component)
            return
        self._delete_registrations(components)

    def _delete_registrations(self, components: list[Entity]) -> None:
        session = self.session
        rows = _component_location_entities(
            session, [component["id"] for component in components], self["id"])
        for row in rows:
            session.delete(row)
        try:
            session.commit()
        except BaseException:
            for row in rows:
                ftrack_api._unit_of_work.discard_changes(row)
            raise

    # Looking up ------------------------------------------------------------
    def _ids_present(self, components: list[Entity]) -> set[str]:
        """Ids of those *components* that are registered here."""
        ids = set(component["id"] for component in components)
        try:
            self.get_resource_identifiers(components)
        except ftrack_api.exception.ComponentNotInLocationError as error:
            missing = error.details.get("components") or []
            return ids - set(component["id"] for component in missing)
        return ids

    def _present_component_ids(
        self, component_ids: Iterable[str], rows: Optional[dict[str, dict[str, str]]] = None
    ) -> set[str]:
        """The ids among *component_ids* registered in this location.

        *rows* are registrations already read with :func:`_component_locations`.
        """
        if rows is None:
            rows = _component_locations(self.session, component_ids)
        location_id = self["id"]
        return set(i for i in component_ids if location_id in rows.get(str(i), {}))

    def _available_component_ids(
        self, component_ids: Iterable[str], rows: Optional[dict[str, dict[str, str]]] = None
    ) -> set[str]:
        """The ids among *component_ids* whose data this location offers."""
        return self._present_component_ids(component_ids, rows=rows)

    def _get_resource_identifiers(self, components: list[Entity]) -> list[str]:
        """Stored (still encoded) resource identifiers of *components*, in order.

        Raise :class:`~ftrack_api.exception.ComponentNotInLocationError` for
        the components not registered here.
        """
        ids = [str(component["id"]) for component in components]
        stored = {}
        for row in _component_location_entities(self.session, ids, self["id"]):
            stored[row["component_id"]] = row["resource_identifier"]
        missing = [component for component, i in zip(components, ids) if i not in stored]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [stored[i] for i in ids]

    def get_resource_identifier(self, component: Entity) -> str:
        """Return the resource identifier of *component* in this location.

        Raise :class:`~ftrack_api.exception.ComponentNotInLocationError`
        when the component is not here.
        """
        return self.get_resource_identifiers([component])[0]

    def get_resource_identifiers(self, components: Iterable[Entity]) -> list[str]:
        """Return the resource identifiers of *components*, in order."""
        components = list(components)
        identifiers = self._get_resource_identifiers(components)
        transformer = self.resource_identifier_transformer
        if not transformer:
            return identifiers
        return [transformer.decode(identifier, context={"component": component})
                for component, identifier in zip(components, identifiers)]

    def get_component_availability(self, component: Entity) -> float:
        """Return the availability of *component* here, in percent (a float)."""
        return self.get_component_availabilities([component])[0]

    def get_component_availabilities(self, components: Iterable[Entity]) -> list[float]:
        """Return availabilities (floats) of *components* here, in order."""
        availabilities = self.session.get_component_availabilities(components, locations=[self])
        return [availability[self["id"]] for availability in availabilities]

    def get_filesystem_path(self, component: Entity) -> Optional[str]:
        """Return the filesystem path of *component*, when the accessor has one."""
        return self.get_filesystem_paths([component])[0]

    def get_filesystem_paths(self, components: Iterable[Entity]) -> list[Optional[str]]:
        """Return the filesystem paths of *components*, in order."""
        identifiers = self.get_resource_identifiers(components)
        accessor = self._configured_accessor("get_filesystem_path")
        return [accessor.get_filesystem_path(identifier) for identifier in identifiers]

    def get_url(self, component: Entity) -> str:
        """Return a URL to the data of *component*.

        Raise :class:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        when the accessor cannot make URLs.
        """
        identifier = self.get_resource_identifier(component)
        return self._configured_accessor("get_url").get_url(identifier)

    def _configured_accessor(self, operation: str) -> ftrack_api.accessor.base.Accessor:
        """The accessor, or an error that is a LocationError and an unsupported operation."""
        if not self.accessor:
            raise _NoAccessorError(self, operation)
        return self.accessor

    def _publish_event(self, topic: str, component: Entity) -> None:
        """Tell the event server about a change; dropped when not connected."""
        self.session.event_hub.publish(
            ftrack_api.event.base.Event(topic=topic, data=dict(
                component_id=component["id"], location_id=self["id"])),
            on_error="ignore")


class MemoryLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                          metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """Keep registrations in the session's memory instead of on the server."""

    @property
    def _cache(self) -> dict[str, str]:
        """``{component id: resource identifier}`` of the components registered here."""
        cache = self.__dict__.get("_memory_location_cache")
        if cache is None:
            cache = self.__dict__["_memory_location_cache"] = {}
        return cache

    def _register_component_in_location(self, component: Entity, resource_identifier: str) -> None:
        self._cache[component["id"]] = resource_identifier

    def _register_components_in_location(self, components: list[Entity], resource_identifiers: list[str]) -> None:
        for component, identifier in zip(components, resource_identifiers):
            self._register_component_in_location(component, identifier)

    def _deregister_component_in_location(self, component: Entity) -> None:
        self._cache.pop(component["id"], None)

    def _deregister_components_in_location(self, components: Iterable[Entity]) -> None:
        for component in list(components):
            self._deregister_component_in_location(component)

    def _present_component_ids(
        self, component_ids: Iterable[str], rows: Optional[dict[str, dict[str, str]]] = None
    ) -> set[str]:
        cache = self._cache
        return set(i for i in component_ids if cache.get(i) is not None)

    def _get_resource_identifiers(self, components: list[Entity]) -> list[str]:
        cache = self._cache
        identifiers = [cache.get(component["id"]) for component in components]
        missing = [component for component, identifier in zip(components, identifiers)
                   if identifier is None]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return identifiers


class UnmanagedLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                             metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """Register components where their data already is; never transfer or delete data."""

    def _add_data(self, component: Entity, resource_identifier: str, source: Any) -> None:
        """Nothing to copy: the data stays where it is."""
        return

    def _remove_data(self, component: Entity) -> None:
        """Nothing to delete: the data is not managed here."""
        return


class OriginLocationMixin(MemoryLocationMixin, UnmanagedLocationMixin):
    """The in-memory origin of new data: sources are file paths, not locations."""

    def _get_context(self, component: Entity, source: Any) -> dict[str, Any]:
        """The source is the path of the data itself."""
        context = {}
        if source:
            context["source_resource_identifier"] = source
        return context

    def _available_component_ids(
        self, component_ids: Iterable[str], rows: Optional[dict[str, dict[str, str]]] = None
    ) -> set[str]:
        # The origin only stages new data for a transfer; like the official
        # client it never counts as a place where a component is available.
        return set()


class ServerLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                          metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """The server's own storage, with thumbnail URLs."""

    def get_thumbnail_url(self, component: Entity, size: Optional[int] = None) -> str:
        """Return a URL to a thumbnail of *component*, fitting *size* × *size* when given.

        Raise :class:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        when the accessor cannot make thumbnail URLs.
        """
        identifier = self.get_resource_identifier(component)
        accessor = self._configured_accessor("get_thumbnail_url")
        make_url = getattr(accessor, "get_thumbnail_url", None)
        if make_url is None:
            raise ftrack_api.exception.AccessorUnsupportedOperationError(
                "get_thumbnail_url", resource_identifier=identifier,
                details=dict(location=self))
        return make_url(identifier, size)
