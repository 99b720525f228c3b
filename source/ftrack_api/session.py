"""Session: communication with an ftrack server and local unit of work."""

from __future__ import annotations

import atexit
import contextlib
import functools
import getpass
import json
import logging
import os
import threading
import weakref
from typing import Any, Iterable, List, Optional


import ftrack_api._properties
import ftrack_api._codec
import ftrack_api._components
import ftrack_api._custom_attributes
import ftrack_api._dict_backed
import ftrack_api._identity_map
import ftrack_api._merge
import ftrack_api._retrieval
import ftrack_api._schemas
import ftrack_api._server_actions
import ftrack_api._unit_of_work
import ftrack_api.attribute
import ftrack_api.cache
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.plugin
import ftrack_api.query
import ftrack_api.symbol
import ftrack_api.transport
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 - ftrack_api.session.L
from ftrack_api.transport import SessionAuthentication  # noqa: F401 - ftrack_api.session.SessionAuthentication

NOT_SET = ftrack_api.symbol.NOT_SET


_decode_datetime = ftrack_api._merge.decode_datetime


def _close_session_at_exit(reference):
    """Close session behind weak *reference* if still alive and open."""
    session = reference()
    if session is not None and not session.closed:
        try:
            session.close()
        except Exception:  # pragma: no cover - best effort at exit.
            pass


class _Delegated(object):
    """A session method carried out by one of the session's collaborators.

    ``_Delegated("_locations", "configure")`` as a class attribute makes it
    the bound method ``session._locations.configure``. An instance attribute
    of the same name (a test's mock) takes precedence, as for a method.
    """

    def __init__(self, holder, name, doc=None):
        """Look *name* up on the session's attribute *holder*."""
        self._holder = holder
        self._name = name
        self.__doc__ = doc

    def __get__(self, session, owner=None):
        if session is None:
            return self
        return getattr(getattr(session, self._holder), self._name)


class _Forwarded(_Delegated):
    """A session attribute kept by one of the session's collaborators (read and written there)."""

    def __set__(self, session, value):
        setattr(getattr(session, self._holder), self._name, value)


def _required(value, variable, message):
    """*value*, else environment variable *variable*; raise :exc:`TypeError` with *message* when neither is set."""
    if value is None:
        value = os.environ.get(variable)
    if not value:
        raise TypeError(message)
    return value


def _connection_settings(server_url, api_key, api_user):
    """Return (server URL, API key, API user) from the arguments or the environment."""
    server_url = _required(
        server_url, "FTRACK_SERVER",
        'Required "server_url" not specified. Pass as argument or set in '
        "environment variable FTRACK_SERVER.")
    if api_key is None:
        # FTRACK_APIKEY is the older name of the variable.
        api_key = os.environ.get("FTRACK_API_KEY", os.environ.get("FTRACK_APIKEY"))
    api_key = _required(
        api_key, "FTRACK_API_KEY",
        'Required "api_key" not specified. Pass as argument or set in '
        "environment variable FTRACK_API_KEY.")
    if api_user is None:
        api_user = os.environ.get("FTRACK_API_USER")
        if not api_user:
            try:
                api_user = getpass.getuser()
            except Exception:
                pass
    api_user = _required(
        api_user, "FTRACK_API_USER",
        'Required "api_user" not specified. Pass as argument, set in '
        "environment variable FTRACK_API_USER or one of the standard "
        "environment variables used by Python's getpass module.")
    return server_url.rstrip("/"), api_key, api_user


def _thread_setting(name, doc):
    """Return a session property *name* that a thread may override for a while.

    The value is kept in the session attribute ``_<name>``; a value set in
    the session's thread state (see :class:`_ThreadSettingContext`) takes
    precedence in that thread, and setting the property updates both.
    """
    private = "_" + name

    def read(session):
        value = getattr(session._thread_state, name, NOT_SET)
        return getattr(session, private) if value is NOT_SET else value

    def write(session, value):
        setattr(session, private, value)
        if hasattr(session._thread_state, name):
            setattr(session._thread_state, name, value)

    read.__doc__ = doc
    return property(read, write, doc=doc)


class Session(object):
    """An isolated session for interaction with an ftrack server.

    Connection: *server_url* is the server's address (port and path
    included), *api_user* and *api_key* the credentials. Left out, they come
    from :envvar:`FTRACK_SERVER`, :envvar:`FTRACK_API_KEY` and
    :envvar:`FTRACK_API_USER` (the login name as a last resort). Each request
    waits *timeout* seconds for the server, carries the mappings *headers*
    and *cookies*, and with *strict_api* asks the server to report errors with
    HTTP error statuses. Requests go through an instance of
    :attr:`transport_class`.

    Local state: with *auto_populate* (the default) reading an attribute
    that has no value yet fetches it from the server; the flag can be
    changed at any time. *cache* is a :class:`ftrack_api.cache.Cache` (or a
    callable given the session and returning one, or None) placed below the
    session's own :class:`~ftrack_api.cache.MemoryCache`; *cache_key_maker*
    makes its keys (default :class:`~ftrack_api.cache.StringKeyMaker`).

    Set up: plugins are discovered in *plugin_paths* (default
    :envvar:`FTRACK_EVENT_PLUGIN_PATH`) and their register functions get the
    keyword arguments *plugin_arguments*. Schemas are cached in the folder
    *schema_cache_path* (default :envvar:`FTRACK_API_SCHEMA_CACHE_PATH`, else
    a per user cache folder; False turns the cache off). With
    *auto_connect_event_hub* the event hub connects in a background thread;
    subscribing does not need a connection.
    """

    #: The :class:`~ftrack_api.transport.Transport` subclass carrying the
    #: session's requests; a subclass of the session may name another one.
    transport_class = ftrack_api.transport.HttpTransport

    def __init__(
        self, server_url: Optional[str] = None, api_key: Optional[str] = None, api_user: Optional[str] = None,
        auto_populate: bool = True, plugin_paths: Optional[List[str]] = None, cache: Any = None,
        cache_key_maker: Any = None, auto_connect_event_hub: bool = False, schema_cache_path: Any = None,
        plugin_arguments: Optional[dict] = None, timeout: Optional[float] = 60, cookies: Any = None,
        headers: Optional[dict] = None, strict_api: bool = False,
    ) -> None:
        """Connect to the server and set the session up (see the class for the arguments)."""
        super(Session, self).__init__()
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self._closed = False

        # Guards the cache and the operation log (never held during I/O).
        self._lock = threading.RLock()
        self._thread_lock = self._lock
        self._auto_connect_event_hub_thread = None
        # Serialises commits with each other.
        self._commit_lock = threading.RLock()
        self._thread_state = threading.local()

        server_url, self._api_key, self._api_user = _connection_settings(server_url, api_key, api_user)

        self._set_up_local_state(auto_populate, cache, cache_key_maker)

        self._transport = self.transport_class(
            server_url, self._api_user, self._api_key, timeout=timeout,
            headers=headers, cookies=cookies, strict_api=strict_api,
        )
        self._strict_api = strict_api
        self._schema_source = ftrack_api._schemas.SchemaSource(self)
        self._custom_attributes = ftrack_api._custom_attributes.CustomAttributeConfigurations(self)
        self._locations = ftrack_api._components.Locations(self)
        self._components = ftrack_api._components.ComponentMaker(self)
        self.types = {}
        self.schemas = []
        self._start(schema_cache_path, plugin_paths, plugin_arguments, headers)

        if auto_connect_event_hub:
            self._auto_connect_event_hub_thread = self._event_hub._connect_in_background()
        self._atexit_callback = functools.partial(_close_session_at_exit, weakref.ref(self))
        atexit.register(self._atexit_callback)

    def _start(self, schema_cache_path, plugin_paths, plugin_arguments, headers):
        """Meet the server, then set up the event hub, plugins, entity classes and locations.

        Without a usable schema cache the schemas are needed whatever their
        hash, so they come with the server information in one request.
        """
        schema_cache_path = ftrack_api._schemas.cache_file(
            ftrack_api._schemas.cache_folder(schema_cache_path)
        )
        self._server_information = self._fetch_server_information(
            with_schemas=not schema_cache_path or not os.path.isfile(schema_cache_path)
        )
        self.check_server_compatibility()

        self._event_hub = self._make_event_hub(headers)
        if plugin_paths is None:
            plugin_paths = os.environ.get("FTRACK_EVENT_PLUGIN_PATH", "").split(os.pathsep)
        self._plugin_paths = [path for path in plugin_paths if path]
        self._discover_plugins(plugin_arguments=plugin_arguments)

        self.schemas = self._load_schemas(schema_cache_path)
        self.types = self._build_entity_type_classes(self.schemas)
        self._configure_locations()
        self._event_hub.publish(
            ftrack_api.event.base.Event(
                topic="ftrack.api.session.ready", data=dict(session=self)
            ),
            synchronous=True,
        )

    def _make_event_hub(self, headers):
        """The session's event hub, answering the entity class requests by default."""
        hub_headers = dict(headers or {})
        hub_headers["ftrack-strict-api"] = "true" if self._strict_api else "false"
        hub = ftrack_api.event.hub.EventHub(
            self._server_url, self._api_user, self._api_key,
            headers=hub_headers, cookies=dict(self._transport.cookies),
        )
        hub.subscribe(
            "topic={0}".format(ftrack_api._schemas.CONSTRUCT_TOPIC),
            ftrack_api._schemas.construct_default_class,
            priority=ftrack_api._schemas.DEFAULT_CONSTRUCT_PRIORITY,
        )
        return hub

    # Context management and properties.

    def __enter__(self) -> Session:
        """Return session as context manager."""
        return self

    def __exit__(self, exception_type: Any, exception_value: Any, traceback: Any) -> None:
        """Exit session context, closing session in process."""
        self.close()

    _request = _Forwarded("_transport", "http", "The requests.Session of an HTTP transport.")
    _server_url = _Forwarded("_transport", "server_url", "The server's address, where requests go.")
    request_timeout = _Forwarded("_transport", "timeout", "Seconds to wait for the server on each request.")

    closed = ftrack_api._properties.read_only("_closed", "True once the session is closed.")

    server_information = ftrack_api._properties.read_only("_server_information", "What the server says about itself.")

    server_url = ftrack_api._properties.read_only("_server_url", "The address of the server.")

    api_user = ftrack_api._properties.read_only("_api_user", "The user the session acts as.")

    api_key = ftrack_api._properties.read_only("_api_key", "The API key the session signs in with.")

    event_hub = ftrack_api._properties.read_only("_event_hub", "The session's event hub.")

    auto_populate = _thread_setting(
        "auto_populate", "Whether reading an attribute without a value fetches it from the server."
    )
    record_operations = _thread_setting(
        "record_operations", "Whether changes to entities are recorded as operations."
    )

    @property
    def recorded_operations(self) -> ftrack_api.operation.Operations:
        """Return the log of operations recorded and not yet committed."""
        return self._recorded_operations

    @recorded_operations.setter
    def recorded_operations(self, operations: ftrack_api.operation.Operations) -> None:
        """Replace the log of recorded operations with *operations*."""
        self._recorded_operations = operations

    def auto_populating(self, auto_populate: bool) -> AutoPopulatingContext:
        """Return a context manager setting :attr:`auto_populate` to *auto_populate* in this thread."""
        return AutoPopulatingContext(self, auto_populate)

    def operation_recording(self, record_operations: bool) -> OperationRecordingContext:
        """Return a context manager setting :attr:`record_operations` to *record_operations* in this thread."""
        return OperationRecordingContext(self, record_operations)

    @property
    def created(self) -> List[Any]:
        """Return list of newly created entities."""
        return self._unit_of_work.entities_in(ftrack_api.symbol.CREATED)

    @property
    def modified(self) -> List[Any]:
        """Return list of locally modified entities."""
        return self._unit_of_work.entities_in(ftrack_api.symbol.MODIFIED)

    @property
    def deleted(self) -> List[Any]:
        """Return list of deleted entities."""
        return self._unit_of_work.entities_in(ftrack_api.symbol.DELETED)

    def _set_up_local_state(self, auto_populate, cache, cache_key_maker):
        """Set up the local state: the cache (identity map on top, then *cache*), the log, their handlers."""
        self._auto_populate = auto_populate
        self._record_operations = True
        self._recorded_operations = ftrack_api._unit_of_work.OperationLog()
        if cache_key_maker is None:
            cache_key_maker = ftrack_api.cache.StringKeyMaker()
        self.cache_key_maker = cache_key_maker
        self._memory_cache = ftrack_api._identity_map.IdentityMap()
        self.cache = ftrack_api.cache.LayeredCache([self._memory_cache])
        if cache is not None:
            if callable(cache) and not isinstance(cache, ftrack_api.cache.Cache):
                cache = cache(self)
            if cache is not None:
                self.cache.caches.append(cache)
        self._entity_cache = ftrack_api._identity_map.EntityCache(self, self._memory_cache)
        self._merger = ftrack_api._merge.Merger(self, self._entity_cache)
        self._codec = ftrack_api._codec.Codec(self, OperationPayload)
        self._retrieval = ftrack_api._retrieval.Retrieval(self, self._entity_cache)
        self._unit_of_work = ftrack_api._unit_of_work.UnitOfWork(
            self, self._entity_cache, self._merger, self._codec, self._lock, self._commit_lock,
            send=lambda batch: self._call(batch),
        )

    # Life cycle.

    def close(self) -> None:
        """Close the session: drop pending operations and the local cache, close connections.

        Closing a closed session does nothing.
        """
        if self._closed:
            return
        self.logger.debug("Closing session.")
        if len(self._recorded_operations):
            self.logger.warning("Closing session with pending operations not persisted.")
        with self._lock:
            self._recorded_operations.clear()
            self._memory_cache.clear()
        with contextlib.suppress(Exception):
            self._transport.close()
        with contextlib.suppress(ftrack_api.exception.EventHubConnectionError):
            self._event_hub.disconnect()
        self._closed = True
        atexit.unregister(self._atexit_callback)

    def reset(self) -> None:
        """Reset session clearing local state.

        Clear all pending operations and expunge all entities from session.

        Also clear the local cache. If the cache used by the session is a
        :class:`~ftrack_api.cache.LayeredCache` then only clear top level
        cache. Otherwise, clear the entire cache.

        Plugins are not rediscovered or reinitialised, but certain plugin
        events are re-emitted to properly configure session aspects that are
        dependant on cache (such as location plugins).
        """
        with self._lock:
            self._recorded_operations.clear()
            self._custom_attribute_configurations_cache = None

            cache = self.cache
            if isinstance(cache, ftrack_api.cache.LayeredCache):
                if cache.caches:
                    cache.caches[0].clear()
            else:
                cache.clear()

        self._configure_locations()
        self._event_hub.publish(
            ftrack_api.event.base.Event(
                topic="ftrack.api.session.reset", data=dict(session=self)
            ),
            synchronous=True,
        )

    # Plugins, server information, schemas and entity classes (see ftrack_api._schemas).

    def _discover_plugins(self, plugin_arguments=None):
        """Find and load plugins in search paths."""
        ftrack_api.plugin.discover(self._plugin_paths, [self], plugin_arguments or {})

    def check_server_compatibility(self) -> None:
        """Raise :exc:`~ftrack_api.exception.ServerCompatibilityError` when the server is too old."""
        ftrack_api._server_actions.check_compatibility(self._server_information)

    _fetch_server_information = _Delegated("_schema_source", "fetch_server_information")
    _read_schemas_from_cache = _Delegated("_schema_source", "read_cache")
    _write_schemas_to_cache = _Delegated("_schema_source", "write_cache")
    _load_schemas = _Delegated("_schema_source", "load")
    _build_entity_type_classes = _Delegated("_schema_source", "build_types")
    _configure_locations = _Delegated("_locations", "configure")

    # Local cache and merging (see ftrack_api._identity_map, ftrack_api._merge).
    @property
    def _local_cache(self):
        """Return the top cache layer, the session's identity map (entities by cache key)."""
        return self.cache.caches[0]

    def _has_lower_caches(self):
        """Return whether cache layers exist below the identity map."""
        return bool(self._entity_cache.lower_layers())

    def _update_lower_caches(self, entities):
        """Store *entities* in the cache layers below the identity map."""
        self._entity_cache.store_in_lower_layers(entities)

    def _make_merge_hook(self, touched=None):
        """Return a JSON object hook merging the entities of one answer (appended to *touched*)."""
        return self._merger.hook(touched)

    def merge(self, value: Any, merged: Optional[dict] = None) -> Any:
        """Return *value* with each entity replaced by the session's one, which takes in its values.

        *merged* maps the identities already merged in this run to their entities.
        """
        if merged is None:
            merged = {}
        with self._lock:
            return self._merge(value, merged)

    def _merge(self, value, merged):
        """Merge *value* recursively (see :meth:`merge`)."""
        return self._merger.merge(value, merged)

    # Entities and the unit of work (see ftrack_api._unit_of_work, ftrack_api._retrieval).
    def create(self, entity_type: str, data: Optional[dict] = None, reconstructing: bool = False) -> Any:
        """Create an entity of *entity_type* with *data* (defaults for the rest), merged and recorded.

        With *reconstructing*, *data* describes an existing entity instead (no defaults, nothing recorded).
        """
        return self._unit_of_work.create(entity_type, data, reconstructing)

    def _create(self, entity_type, data, reconstructing):
        """Return a new, not yet merged entity of *entity_type* with *data*."""
        return self._unit_of_work.new_entity(entity_type, data, reconstructing)

    def delete(self, entity: Any) -> None:
        """Mark *entity* for deletion."""
        self._unit_of_work.delete(entity)

    def get(self, entity_type: str, entity_key: Any) -> Any:
        """Return the entity of *entity_type* with primary key *entity_key* (cache first), or None."""
        return self._retrieval.get(entity_type, entity_key)

    def ensure(self, entity_type: str, data: dict, identifying_keys: Optional[List[str]] = None) -> Any:
        """Return the entity of *entity_type* matching *data* on *identifying_keys* (default: all).

        A missing entity is created, a found one updated to match; either change is committed at once.
        """
        return self._retrieval.ensure(entity_type, data, identifying_keys)

    def query(self, expression: str, page_size: int = 500) -> ftrack_api.query.QueryResult:
        """Return the lazy :class:`~ftrack_api.query.QueryResult` of *expression* (*page_size* a page)."""
        return self._retrieval.query(expression, page_size)

    def _query(self, expression):
        """Execute *expression* and return (records, metadata)."""
        result = self._call([{"action": "query", "expression": expression}])
        return result[0]["data"], result[0]["metadata"]

    def populate(self, entities: Any, projections: Any) -> None:
        """Fetch *projections* of *entities* in one query; local values and new entities are left alone."""
        self._retrieval.populate(entities, projections)

    def commit(self) -> None:
        """Commit all local changes to the server."""
        self._unit_of_work.commit()

    def rollback(self) -> None:
        """Forget every recorded operation and local value; new entities leave the session (do not reuse them)."""
        self._unit_of_work.rollback()

    def _discard_operations(self, entity):
        """Remove recorded operations of *entity*, detaching it if new."""
        self._unit_of_work.discard(entity)

    def reset_remote(self, reset_type: str, entity: Any = None) -> Any:
        """Perform the server side reset *reset_type*, on *entity* when given.

        Return the data the server answers (for ``api_key``, the new key).
        """
        payload = {"action": "reset_remote", "reset_type": reset_type}
        if entity is not None:
            payload.update({"entity_type": entity.entity_type, "entity_key": entity["id"]})
        result = self.call([payload])
        return result[0]["data"]

    # Encoding (see ftrack_api._codec).
    def entity_reference(self, entity: Any) -> dict:
        """Return the reference identifying *entity*: its ``__entity_type__`` and primary key."""
        return self._codec.entity_reference(entity)

    def encode(self, data: Any, entity_attribute_strategy: str = "set_only") -> str:
        """Return *data* as JSON text; entities carry the values *entity_attribute_strategy* picks.

        Strategies: ``all`` (fetching missing ones), ``set_only``, ``modified_only``, ``persisted_only``.
        """
        return self._codec.encode(data, entity_attribute_strategy)

    def _encode(self, item, entity_attribute_strategy="set_only"):
        """Return JSON encodable version of *item*."""
        return self._codec.encodable(item, entity_attribute_strategy)

    def _decode(self, item):
        """Decode hook building detached entities."""
        return self._codec.detached(item)

    def decode(self, string: str) -> Any:
        """Return decoded JSON *string*; entities in it are detached (not merged)."""
        return self._codec.decode(string)

    # Requests (see ftrack_api.transport).

    def call(self, data: list) -> Any:
        """Send the batch of operations *data* and return the decoded answer.

        Entities in the answer are detached: they are not merged into the
        session.
        """
        return self._decode_answer(self._send(data), merge=False)

    def _call(self, data):
        """Send *data* and return the answer with its entities merged."""
        return self._call_keeping_response(data)[0]

    def _call_keeping_response(self, data):
        """Send *data*; return (answer with entities merged, the answer's JSON text).

        Every request of the session passes :meth:`call`: when it has been
        replaced (a subclass, a test's mock), the replacement is asked and
        its answer merged, and the text is None. Otherwise entities are
        merged while the answer is decoded, which saves building detached
        copies first.
        """
        if "call" in self.__dict__ or type(self).call is not _SESSION_CALL:
            with self._lock:
                return self.merge(self.call(data)), None
        content = self._send(data)
        return self._decode_answer(content, merge=True), content

    def _send(self, data):
        """Encode the batch *data* and hand it to the transport; return the answer's JSON text."""
        if self._closed:
            raise ftrack_api.exception.ConnectionClosedError()
        body = self.encode(data, entity_attribute_strategy="modified_only")
        return self._transport.send(body)

    def _decode_answer(self, content, merge):
        """Return the decoded answer JSON text *content*.

        Entities are merged into the session when *merge* is True, else
        detached. Text that is not JSON raises
        :exc:`~ftrack_api.exception.ServerError`.
        """
        try:
            if b'"__' not in content:
                # Nothing to decode beyond plain JSON.
                return json.loads(content)
            if not merge:
                return json.loads(content, object_hook=self._decode)
            with self._lock:
                if not self._has_lower_caches():
                    return json.loads(content, object_hook=self._make_merge_hook())
                touched = []
                result = json.loads(content, object_hook=self._make_merge_hook(touched))
                self._update_lower_caches(touched)
                return result
        except ValueError as error:
            raise ftrack_api.transport.unexpected_answer_error(content) from error

    def _raise_server_error(self, error_message):
        """Log *error_message* and raise it as a :exc:`~ftrack_api.exception.ServerError`."""
        self.logger.error(error_message)
        raise ftrack_api.exception.ServerError(error_message)

    def _call_action(self, action, data):
        """Call *data*, mapping unknown *action* errors to compatibility errors."""
        return ftrack_api._server_actions.call_action(self, action, data)

    # Custom attribute configurations (see ftrack_api._custom_attributes).

    _custom_attribute_configurations_cache = _Forwarded("_custom_attributes", "records")
    _custom_attribute_configuration_records = _Delegated("_custom_attributes", "all")
    _custom_attribute_owner_details = staticmethod(ftrack_api._custom_attributes.owner_details)
    _resolve_custom_attribute_configuration = _Delegated("_custom_attributes", "resolve")
    _custom_attribute_candidates = _Delegated("_custom_attributes", "candidates")
    _custom_attribute_configurations = _Delegated("_custom_attributes", "legacy")

    # Server actions (see ftrack_api._server_actions).

    def get_widget_url(self, name: str, entity: Any = None, theme: Optional[str] = None) -> str:
        """Return a signed URL (valid a few minutes) of the widget *name*.

        *name* is ``'info'``, ``'tasks'`` or ``'tasks_browser'``; the widgets
        that show one entity need *entity*. *theme* is ``'light'`` or
        ``'dark'`` (the default).
        """
        return ftrack_api._server_actions.widget_url(self, name, entity=entity, theme=theme)

    def get_upload_metadata(
        self, component_id: str, file_name: str, file_size: int, checksum: Optional[str] = None
    ) -> dict:
        """Return the ``url`` to PUT the data of *component_id* to and the ``headers`` to send.

        *file_name* and *file_size* describe the data; *checksum*, the base64
        MD5 digest of the data, is sent as ``Content-MD5`` (RFC 1864).
        """
        return ftrack_api._server_actions.upload_metadata(
            self, component_id, file_name, file_size, checksum=checksum)

    def send_user_invite(self, user: Any) -> None:
        """Invite *user* to ftrack by email."""
        self.send_user_invites([user])

    def send_user_invites(self, users: Iterable[Any]) -> None:
        """Invite each of *users* to ftrack by email."""
        ftrack_api._server_actions.send_invites(self, "send_user_invite", "user_id", users)

    def send_review_session_invite(self, invitee: Any) -> None:
        """Invite *invitee* (a ReviewSessionInvitee) to its review session."""
        self.send_review_session_invites([invitee])

    def send_review_session_invites(self, invitees: Iterable[Any]) -> None:
        """Invite each of *invitees* (ReviewSessionInvitee) to its review session."""
        ftrack_api._server_actions.send_invites(
            self, "send_review_session_invite", "review_session_invitee_id", invitees)

    def encode_media(self, media: Any, version_id: Optional[str] = None, keep_original: Any = "auto") -> Any:
        """Return the Job encoding *media* into formats browsers play.

        *media* is a file path (uploaded first as a new component in
        ftrack.server, which commits) or a FileComponent in ftrack.server.
        The results are attached to the AssetVersion *version_id* when given.
        *keep_original* ``'auto'`` keeps a given component and drops an
        uploaded path; True or False decide explicitly.
        """
        return ftrack_api._server_actions.encode_media(
            self, media, version_id=version_id, keep_original=keep_original)

    # Locations and components (see ftrack_api._components).

    _get_locations = _Delegated("_locations", "ordered")
    _create_component = _Delegated("_components", "create_one")
    _get_filesystem_size = staticmethod(ftrack_api._components.filesystem_size)

    def pick_location(self, component: Any = None) -> Any:
        """Return the accessible location preferred (lowest priority), holding all of *component* when given.

        None when no location fits.
        """
        return self._locations.pick_one(component)

    def pick_locations(self, components: Iterable[Any]) -> List[Any]:
        """Return, for each of *components*, the best accessible location holding it (or None)."""
        return self._locations.pick(components)

    def get_component_availability(self, component: Any, locations: Optional[Iterable[Any]] = None) -> dict:
        """Return ``{location id: percentage}`` for *component*.

        *locations* limits the result to those locations (default: all).
        """
        return self.get_component_availabilities([component], locations=locations)[0]

    def get_component_availabilities(
        self, components: Iterable[Any], locations: Optional[Iterable[Any]] = None
    ) -> List[dict]:
        """Return one ``{location id: percentage}`` per component of *components*.

        A file is 0 or 100 percent available in a location; a container the
        average of its members. *locations* limits the result (default: all
        locations).
        """
        return self._locations.availabilities(components, locations=locations)

    def create_component(self, path: str, data: Optional[dict] = None, location: Any = "auto") -> Any:
        """Create a new component from *path* with additional *data*.

        *path* is a file, a folder (a container component with a member per
        entry) or a sequence such as ``'/path/file.%04d.exr [1-5, 7]'`` (a
        sequence component with a member per frame). *data* is passed to
        :meth:`create` for the new component.

        The component is registered in the ftrack.origin location and then
        added to *location*: by default (``'auto'``) the one
        :meth:`pick_location` prefers, or ftrack.review for review
        components; None adds it nowhere else. Adding commits. When adding
        fails, nothing of the new component is left in the session and the
        error is raised.
        """
        return self._components.create(path, data=data, location=location)


#: The session's own ``call``, told apart from replacements.
_SESSION_CALL = Session.call


class _ThreadSettingContext(object):
    """Context manager setting one setting of a session for the current thread.

    The setting, named by :attr:`_setting`, takes *value* inside the context
    and goes back to what it was (for this thread) on exit.
    """

    _setting = None

    def __init__(self, session, value):
        """Initialise context."""
        super(_ThreadSettingContext, self).__init__()
        self._session = session
        self._value = value
        self._previous = NOT_SET

    def __enter__(self):
        """Enter context switching to desired setting."""
        state = self._session._thread_state
        self._previous = getattr(state, self._setting, NOT_SET)
        setattr(state, self._setting, self._value)

    def __exit__(self, exception_type, exception_value, traceback):
        """Exit context restoring the previous setting."""
        state = self._session._thread_state
        if self._previous is NOT_SET:
            try:
                delattr(state, self._setting)
            except AttributeError:
                pass
        else:
            setattr(state, self._setting, self._previous)


class AutoPopulatingContext(_ThreadSettingContext):
    """Context manager for temporary change of session auto_populate value."""

    _setting = "auto_populate"

    def __init__(self, session: Session, auto_populate: bool) -> None:
        """Initialise context."""
        super(AutoPopulatingContext, self).__init__(session, auto_populate)


class OperationRecordingContext(_ThreadSettingContext):
    """Context manager for temporary change of session record_operations."""

    _setting = "record_operations"

    def __init__(self, session: Session, record_operations: bool) -> None:
        """Initialise context."""
        super(OperationRecordingContext, self).__init__(session, record_operations)


class OperationPayload(ftrack_api._dict_backed.DictBackedMapping):
    """Represent operation payload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialise payload."""
        super(OperationPayload, self).__init__()
        self._data = dict()
        self.update(dict(*args, **kwargs))

    def __str__(self):
        """Return string representation."""
        return "<{0} {1}>".format(self.__class__.__name__, str(self._data))
