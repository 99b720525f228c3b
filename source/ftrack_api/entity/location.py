"""Location entity: where component data lives and how to reach it.

A location is configured in a session with an *accessor* (how to read and
write data), a *structure* (which resource identifier a component gets),
an optional *resource_identifier_transformer* and a *priority* (lower is
preferred when picking locations). Registrations are ``ComponentLocation``
rows on the server, except for memory locations which keep them in the
session.
"""

import collections.abc

import ftrack_api.entity.base
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 (public name)

NOT_SET = ftrack_api.symbol.NOT_SET

#: Component ids per query when asking the server about registrations.
_IDS_PER_QUERY = 200


def _chunks(values, size=_IDS_PER_QUERY):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _members(component):
    """Members of a container component, or an empty list for a file."""
    if "members" not in component.keys():
        return []
    members = component["members"]
    if members is NOT_SET or members is None:
        return []
    return list(members)


def _with_members(components, sources, members_first=False):
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


def _kind(component):
    """``'sequence'``, ``'container'`` or ``'file'``: how the data of *component* is laid out."""
    if component.entity_type == "SequenceComponent":
        return "sequence"
    if component.entity_type == "ContainerComponent":
        return "container"
    return "file"


def _component_location_entities(session, component_ids, location_id=None):
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


def _component_locations(session, component_ids):
    """Return ``{component id: {location id: resource identifier}}`` from the server."""
    rows = {}
    for row in _component_location_entities(session, component_ids):
        rows.setdefault(row["component_id"], {})[row["location_id"]] = row[
            "resource_identifier"]
    return rows


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

    def __str__(self):
        """Return ``<ClassName("name", id)>``."""
        name = self._local.get("name", self._remote.get("name", NOT_SET))
        if name is NOT_SET:
            return super(Location, self).__str__()
        return '<{0}("{1}", {2})>'.format(type(self).__name__, name, self._format_key())

    # Adding ----------------------------------------------------------------
    def add_component(self, component, source, recursive=True):
        """Add *component* to this location, copying its data from *source*.

        *source* is another location holding the component. Raise
        :class:`~ftrack_api.exception.ComponentInLocationError` when the
        component is already here and
        :class:`~ftrack_api.exception.LocationError` when the target data
        already exists or the transfer or registration fails. Commits.
        """
        return self.add_components([component], sources=source, recursive=recursive)

    def add_components(self, components, sources, recursive=True, _depth=0):
        """Add *components*, each from the matching entry of *sources*.

        *sources* is one location for all components or a list with one
        location per component. With *recursive*, the members of container
        components are added too. Nothing is registered unless every
        transfer succeeded; the error's ``transferred`` detail lists data
        that was written and may need cleaning up. Commits.
        """
        components = list(components)
        if isinstance(sources, (list, tuple)):
            if len(sources) != len(components):
                raise ValueError(
                    "Got {0} sources for {1} components.".format(len(sources), len(components)))
            sources = list(sources)
        else:
            sources = [sources] * len(components)
        if not components:
            return

        pairs = _with_members(components, sources) if recursive else list(zip(components, sources))
        components = [component for component, _ in pairs]
        sources = [source for _, source in pairs]

        present = self._present_component_ids([component["id"] for component in components])
        already = [component for component in components if component["id"] in present]
        if already:
            raise ftrack_api.exception.ComponentInLocationError(already, self)

        if self.structure is NOT_SET:
            raise ftrack_api.exception.LocationError(
                "No structure defined for location {location}.", details=dict(location=self))

        contexts = self._source_contexts(components, sources)
        identifiers = [self.structure.get_resource_identifier(component, context)
                       for component, context in zip(components, contexts)]

        transferred = []
        if self._manages_data():
            self._check_targets_free(components, identifiers)
            for component, source, context, identifier in zip(
                    components, sources, contexts, identifiers):
                try:
                    self._add_data(component, identifier, source, context)
                except Exception as error:
                    raise ftrack_api.exception.LocationError(
                        "Failed to transfer data of component {component} to location "
                        "{location}: {error}",
                        details=dict(component=component, location=self, error=error,
                                     transferred=transferred))
                transferred.append((component, identifier))

        try:
            self._register_components_in_location(components, identifiers, contexts)
        except Exception as error:
            raise ftrack_api.exception.LocationError(
                "Failed to register components with location {location}: {error}",
                details=dict(location=self, error=error, transferred=transferred))

        for component in components:
            self._publish_event(ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC, component)

    def _manages_data(self):
        """Whether adding and removing components transfers data."""
        if self.accessor is NOT_SET:
            raise ftrack_api.exception.LocationError(
                "No accessor defined for location {location}.", details=dict(location=self))
        return True

    def _source_contexts(self, components, sources):
        """Structure contexts telling where each component's data comes from."""
        by_source = collections.OrderedDict()
        for index, source in enumerate(sources):
            by_source.setdefault(id(source), (source, []))[1].append(index)
        contexts = [None] * len(components)
        for source, indexes in by_source.values():
            identifiers = source.get_resource_identifiers([components[i] for i in indexes])
            for index, identifier in zip(indexes, identifiers):
                contexts[index] = {"source_resource_identifier": identifier,
                                   "source_location": source}
        return contexts

    def _check_targets_free(self, components, identifiers):
        for component, identifier in zip(components, identifiers):
            if _kind(component) != "file":
                continue
            try:
                exists = self.accessor.exists(identifier)
            except ftrack_api.exception.AccessorError as error:
                raise ftrack_api.exception.LocationError(
                    "Cannot add component {component} to location {location}: {error}",
                    details=dict(component=component, location=self, error=error,
                                 resource_identifier=identifier))
            if exists:
                raise ftrack_api.exception.LocationError(
                    "Cannot add component {component} to location {location}: data already "
                    "exists at {resource_identifier}.",
                    details=dict(component=component, location=self,
                                 resource_identifier=identifier))

    def _add_data(self, component, resource_identifier, source, context):
        """Copy the data of *component* from *source* to *resource_identifier*.

        A sequence has no data of its own (its members have); a container is
        made as an (empty) container of the accessor.
        """
        kind = _kind(component)
        if kind == "sequence":
            return
        if kind == "container":
            self.accessor.make_container(resource_identifier)
            return
        if source.accessor is NOT_SET:
            raise ftrack_api.exception.LocationError(
                "Source location {location} has no accessor to read data with.",
                details=dict(location=source))
        source_identifier = context["source_resource_identifier"]
        reader = source.accessor.open(source_identifier, "rb")
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

    def _abandon(self, writer, resource_identifier):
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
            self.session.logger.debug(
                L("Could not clean up partial data at {0!r}.", resource_identifier))

    def _register_components_in_location(self, components, resource_identifiers, contexts=None):
        """Create ``ComponentLocation`` rows for *components* and commit them."""
        session = self.session
        transformer = self.resource_identifier_transformer
        created = []
        try:
            for component, identifier in zip(components, resource_identifiers):
                if transformer is not NOT_SET:
                    identifier = transformer.encode(identifier, context={"component": component})
                created.append(session.create("ComponentLocation", {
                    "component": component, "location": self,
                    "resource_identifier": identifier}))
            session.commit()
        except BaseException:
            for entity in created:
                session._discard_operations(entity)
            raise

    # Removing --------------------------------------------------------------
    def remove_component(self, component, recursive=True):
        """Remove *component* (and, with *recursive*, its members) from this location."""
        return self.remove_components([component], recursive=recursive)

    def remove_components(self, components, recursive=True):
        """Remove *components* from this location, deleting managed data. Commits.

        Raise :class:`~ftrack_api.exception.ComponentNotInLocationError`
        when one of *components* is not in this location.
        """
        components = list(components)
        if recursive:
            # Raise for missing components before looking at their members.
            self.get_resource_identifiers(components)
            pairs = _with_members(components, [None] * len(components), members_first=True)
            candidates = [component for component, _ in pairs]
            present = self._present_component_ids([c["id"] for c in candidates])
            top = set(component["id"] for component in components)
            components = [c for c in candidates if c["id"] in present or c["id"] in top]
        identifiers = self.get_resource_identifiers(components)

        if self._manages_data():
            for component, identifier in zip(components, identifiers):
                self._remove_data(component, identifier)

        self._deregister_components_in_location(components)
        for component in components:
            self._publish_event(ftrack_api.symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC, component)

    def _remove_data(self, component, resource_identifier):
        kind = _kind(component)
        if kind == "sequence":
            return
        if kind == "container":
            self.accessor.remove_container(resource_identifier)
            return
        self.accessor.remove(resource_identifier)

    def _deregister_components_in_location(self, components):
        """Delete the ``ComponentLocation`` rows of *components* here and commit."""
        session = self.session
        rows = _component_location_entities(
            session, [component["id"] for component in components], self["id"])
        for row in rows:
            session.delete(row)
        try:
            session.commit()
        except BaseException:
            for row in rows:
                session._discard_operations(row)
            raise

    # Looking up ------------------------------------------------------------
    def _present_component_ids(self, component_ids, rows=None):
        """The ids among *component_ids* registered in this location.

        *rows* are registrations already read with :func:`_component_locations`.
        """
        if rows is None:
            rows = _component_locations(self.session, component_ids)
        location_id = self["id"]
        return set(i for i in component_ids if location_id in rows.get(str(i), {}))

    def _available_component_ids(self, component_ids, rows=None):
        """The ids among *component_ids* whose data this location offers."""
        return self._present_component_ids(component_ids, rows=rows)

    def _get_resource_identifiers(self, components):
        """Stored resource identifiers of *components*, in order."""
        ids = [str(component["id"]) for component in components]
        rows = _component_locations(self.session, ids)
        location_id = self["id"]
        missing = [c for c, i in zip(components, ids) if location_id not in rows.get(i, {})]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [rows[i][location_id] for i in ids]

    def get_resource_identifier(self, component):
        """Return the resource identifier of *component* in this location.

        Raise :class:`~ftrack_api.exception.ComponentNotInLocationError`
        when the component is not here.
        """
        return self.get_resource_identifiers([component])[0]

    def get_resource_identifiers(self, components):
        """Return the resource identifiers of *components*, in order."""
        components = list(components)
        identifiers = self._get_resource_identifiers(components)
        transformer = self.resource_identifier_transformer
        if transformer is NOT_SET:
            return identifiers
        return [transformer.decode(identifier, context={"component": component})
                for component, identifier in zip(components, identifiers)]

    def get_component_availability(self, component):
        """Return the availability of *component* here, in percent (a float)."""
        return self.get_component_availabilities([component])[0]

    def get_component_availabilities(self, components):
        """Return availabilities (floats) of *components* here, in order."""
        availabilities = self.session.get_component_availabilities(components, locations=[self])
        return [availability[self["id"]] for availability in availabilities]

    def get_filesystem_path(self, component):
        """Return the filesystem path of *component*, when the accessor has one."""
        return self.get_filesystem_paths([component])[0]

    def get_filesystem_paths(self, components):
        """Return the filesystem paths of *components*, in order."""
        accessor = self._configured_accessor("get_filesystem_path")
        return [accessor.get_filesystem_path(identifier)
                for identifier in self.get_resource_identifiers(components)]

    def get_url(self, component):
        """Return a URL to the data of *component*.

        Raise :class:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        when the accessor cannot make URLs.
        """
        accessor = self._configured_accessor("get_url")
        return accessor.get_url(self.get_resource_identifier(component))

    def _configured_accessor(self, operation):
        if self.accessor is NOT_SET:
            raise ftrack_api.exception.AccessorUnsupportedOperationError(
                operation, details=dict(location=self))
        return self.accessor

    def _publish_event(self, topic, component):
        """Tell the event server about a change; dropped when not connected."""
        self.session.event_hub.publish(
            ftrack_api.event.base.Event(topic=topic, data=dict(
                component_id=component["id"], location_id=self["id"])),
            on_error="ignore")


class MemoryLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                          metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """Keep registrations in the session's memory instead of on the server."""

    @property
    def _memory_registry(self):
        registry = self.__dict__.get("_memory_location_registry")
        if registry is None:
            registry = self.__dict__["_memory_location_registry"] = {}
        return registry

    def _register_components_in_location(self, components, resource_identifiers, contexts=None):
        for component, identifier in zip(components, resource_identifiers):
            self._memory_registry[str(component["id"])] = identifier

    def _deregister_components_in_location(self, components):
        for component in components:
            self._memory_registry.pop(str(component["id"]), None)

    def _present_component_ids(self, component_ids, rows=None):
        registry = self._memory_registry
        return set(i for i in component_ids if str(i) in registry)

    def _get_resource_identifiers(self, components):
        registry = self._memory_registry
        missing = [c for c in components if str(c["id"]) not in registry]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [registry[str(c["id"])] for c in components]


class UnmanagedLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                             metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """Register components where their data already is; never transfer or delete data."""

    def _manages_data(self):
        return False


class OriginLocationMixin(MemoryLocationMixin, UnmanagedLocationMixin):
    """The in-memory origin of new data: sources are file paths, not locations."""

    def _source_contexts(self, components, sources):
        return [{"source_resource_identifier": source} for source in sources]

    def _available_component_ids(self, component_ids, rows=None):
        # The origin only stages new data for a transfer; like the official
        # client it never counts as a place where a component is available.
        return set()


class ServerLocationMixin(ftrack_api.entity.base._EntityBase, collections.abc.MutableMapping,
                          metaclass=ftrack_api.entity.base.DynamicEntityTypeMetaclass):
    """The server's own storage, with thumbnail URLs."""

    def get_thumbnail_url(self, component, size=None):
        """Return a URL to a thumbnail of *component*, fitting *size* × *size* when given.

        Raise :class:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        when the accessor cannot make thumbnail URLs.
        """
        accessor = self._configured_accessor("get_thumbnail_url")
        make_url = getattr(accessor, "get_thumbnail_url", None)
        if make_url is None:
            raise ftrack_api.exception.AccessorUnsupportedOperationError(
                "get_thumbnail_url", details=dict(location=self))
        return make_url(self.get_resource_identifier(component), size)
