"""Session: communication with an ftrack server and local unit of work."""

import atexit
import collections
import collections.abc
import datetime
import functools
import getpass
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import weakref

import arrow
import clique
import dateutil.tz
import requests
import requests.auth
import requests.utils

import ftrack_api._centralized_storage_scenario
import ftrack_api.accessor.disk
import ftrack_api.accessor.server
import ftrack_api.attribute
import ftrack_api.cache
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.entity.factory
import ftrack_api.entity.location
import ftrack_api.event.base
import ftrack_api.event.hub
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.plugin
import ftrack_api.query
import ftrack_api.structure.entity_id
import ftrack_api.structure.origin
import ftrack_api.symbol
from ftrack_api.logging import LazyLogMessage as L

NOT_SET = ftrack_api.symbol.NOT_SET

_Entity = ftrack_api.entity.base.Entity
_Collection = ftrack_api.collection.Collection
_MappedCollectionProxy = ftrack_api.collection.MappedCollectionProxy
_StringKeyMaker = ftrack_api.cache.StringKeyMaker

_ENTITY_INIT = ftrack_api.entity.base.Entity.__init__
_UTC = dateutil.tz.tzutc()
_new_object = object.__new__

_SCHEMA_CACHE_FILENAME = "ftrack_api_schema_cache.json"
_MINIMUM_SERVER_VERSION = (3, 3, 11)
_CONSTRUCT_TOPIC = "ftrack.api.session.construct-entity-type"

#: Component names that go to ftrack.review when no location is given.
_REVIEW_COMPONENT_NAMES = ("ftrackreview-mp4", "ftrackreview-webm", "ftrackreview-image")

#: Priority of the built in handler constructing entity classes; plugins
#: subscribing with usual priorities are called first and take precedence.
_DEFAULT_CONSTRUCT_PRIORITY = 2 ** 31


class _UnknownEntityTypeError(
    ftrack_api.exception.UnrecognisedEntityTypeError, KeyError
):
    """Unknown entity type met by a look up (also a :exc:`KeyError`)."""


def _decode_datetime(value):
    """Return :class:`arrow.Arrow` for ISO 8601 text *value* (naive = UTC)."""
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return arrow.get(value)
    tzinfo = parsed.tzinfo
    return arrow.Arrow(
        parsed.year,
        parsed.month,
        parsed.day,
        parsed.hour,
        parsed.minute,
        parsed.second,
        parsed.microsecond,
        tzinfo if tzinfo is not None else _UTC,
    )


def _default_schema_cache_directory():
    """Return per user directory used for the schema cache by default."""
    try:
        import platformdirs

        return platformdirs.user_cache_dir("ftrack_api", appauthor=False)
    except Exception:  # pragma: no cover - platformdirs is a dependency.
        return os.path.join(tempfile.gettempdir(), "ftrack_api")


def _close_session_at_exit(reference):
    """Close session behind weak *reference* if still alive and open."""
    session = reference()
    if session is not None and not session.closed:
        try:
            session.close()
        except Exception:  # pragma: no cover - best effort at exit.
            pass


class SessionAuthentication(requests.auth.AuthBase):
    """Attach ftrack session authentication information to requests."""

    def __init__(self, api_key, api_user):
        """Initialise with *api_key* and *api_user*."""
        self.api_key = api_key
        self.api_user = api_user
        super(SessionAuthentication, self).__init__()

    def __call__(self, request):
        """Modify *request* to have appropriate headers."""
        request.headers.update(
            {"ftrack-api-key": self.api_key, "ftrack-user": self.api_user}
        )
        return request


def _last_element_text(content, count):
    """The JSON text of the last element of the JSON list *content*, as bytes.

    *content* holds *count* elements. Only the ones before the last are
    parsed; the last (the schemas, stored exactly as the server sent them)
    simply runs to the list's closing bracket.
    """
    text = content.decode("utf-8")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    for _ in range(count - 1):
        _, position = decoder.raw_decode(text, _skip_space(text, position))
        position = text.index(",", position) + 1
    start = _skip_space(text, position)
    end = text.rstrip().rindex("]")
    return text[start:end].rstrip().encode("utf-8")


def _skip_space(text, position):
    while text[position] in " \t\r\n":
        position += 1
    return position


def _settle_environment(request, server_url):
    """Read proxy and certificate settings from the environment once.

    *request* then sends every call with them instead of consulting the
    environment again for each request (which costs CPU on every call).
    """
    settings = request.merge_environment_settings(server_url, {}, None, None, None)
    request.proxies.update(settings.get("proxies") or {})
    verify = settings.get("verify")
    if verify is not None:
        request.verify = verify
    request.trust_env = False


#: Builds the default entity classes; it keeps no state between classes.
_STANDARD_FACTORY = ftrack_api.entity.factory.StandardFactory()


class Session(object):
    """An isolated session for interaction with an ftrack server."""

    #: Whether the storage scenario handlers are subscribed (once per session).
    _storage_scenarios_registered = False

    def __init__(
        self,
        server_url=None,
        api_key=None,
        api_user=None,
        auto_populate=True,
        plugin_paths=None,
        cache=None,
        cache_key_maker=None,
        auto_connect_event_hub=False,
        schema_cache_path=None,
        plugin_arguments=None,
        timeout=60,
        cookies=None,
        headers=None,
        strict_api=False,
    ):
        """Initialise session.

        *server_url* should be the URL of the ftrack server to connect to
        including any port number. If not specified attempt to look up from
        :envvar:`FTRACK_SERVER`.

        *api_key* should be the API key to use for authentication whilst
        *api_user* should be the username of the user in ftrack to record
        operations against. If not specified, *api_key* should be retrieved
        from :envvar:`FTRACK_API_KEY` and *api_user* from
        :envvar:`FTRACK_API_USER` (falling back to the login name).

        If *auto_populate* is True (the default), then accessing entity
        attributes will cause them to be automatically fetched from the
        server if they are not already. This flag can be changed on the
        session directly at any time.

        *plugin_paths* should be a list of paths to search for plugins. If
        not specified, default to looking up
        :envvar:`FTRACK_EVENT_PLUGIN_PATH`.

        *cache* should be an instance of a cache that fulfils the
        :class:`ftrack_api.cache.Cache` interface and will be used as the
        cache for the session. It can also be a callable that will be called
        with the session instance as sole argument. The callable should
        return None if a suitable cache could not be configured, but session
        instantiation can continue safely. The cache is placed below a
        :class:`ftrack_api.cache.MemoryCache` in a
        :class:`ftrack_api.cache.LayeredCache`.

        *cache_key_maker* should be an instance of a key maker that fulfils
        the :class:`ftrack_api.cache.KeyMaker` interface and will be used to
        generate keys for objects being stored in the cache. If not
        specified, a :class:`~ftrack_api.cache.StringKeyMaker` will be used.

        If *auto_connect_event_hub* is True then embedded event hub will be
        automatically connected to the event server in a background thread.
        Subscribing to events does not require a connected event hub.

        Enable schema caching by setting *schema_cache_path* to a folder
        path. If not set, :envvar:`FTRACK_API_SCHEMA_CACHE_PATH` will be used
        to determine the path to store cache in. If the environment variable
        is also not specified then a per user cache directory will be used.
        Set to False to disable schema caching entirely.

        *plugin_arguments* should be an optional mapping (dict) of keyword
        arguments to pass to plugin register functions upon discovery.

        *timeout* is the number of seconds to wait for the server on each
        request. *cookies* and *headers* are optional mappings of cookies and
        HTTP headers sent with every request. *strict_api* asks the server to
        report errors with HTTP error statuses.
        """
        super(Session, self).__init__()
        self.logger = logging.getLogger(
            __name__ + "." + self.__class__.__name__
        )
        self._closed = False

        # Guards the cache and the operation log (never held during I/O).
        self._lock = threading.RLock()
        self._thread_lock = self._lock
        self._managed_request = None
        self._auto_connect_event_hub_thread = None
        # Serialises commits with each other.
        self._commit_lock = threading.RLock()
        self._thread_state = threading.local()

        if server_url is None:
            server_url = os.environ.get("FTRACK_SERVER")

        if not server_url:
            raise TypeError(
                'Required "server_url" not specified. Pass as argument or set '
                "in environment variable FTRACK_SERVER."
            )

        self._server_url = server_url.rstrip("/")

        if api_key is None:
            api_key = os.environ.get(
                "FTRACK_API_KEY",
                # Backwards compatibility
                os.environ.get("FTRACK_APIKEY"),
            )

        if not api_key:
            raise TypeError(
                'Required "api_key" not specified. Pass as argument or set in '
                "environment variable FTRACK_API_KEY."
            )

        self._api_key = api_key

        if api_user is None:
            api_user = os.environ.get("FTRACK_API_USER")
            if not api_user:
                try:
                    api_user = getpass.getuser()
                except Exception:
                    pass

        if not api_user:
            raise TypeError(
                'Required "api_user" not specified. Pass as argument, set in '
                "environment variable FTRACK_API_USER or one of the standard "
                "environment variables used by Python's getpass module."
            )

        self._api_user = api_user

        self._auto_populate = auto_populate
        self._record_operations = True
        self._recorded_operations = ftrack_api.operation.Operations()

        self._custom_attribute_configurations_cache = None

        # Cache: always a memory cache on top of any user supplied cache. The
        # memory cache is the session's identity map (see _local_cache).
        if cache_key_maker is None:
            cache_key_maker = ftrack_api.cache.StringKeyMaker()
        self.cache_key_maker = cache_key_maker
        self._memory_cache = ftrack_api.cache.MemoryCache()
        self.cache = ftrack_api.cache.LayeredCache([self._memory_cache])

        if cache is not None:
            if callable(cache) and not isinstance(cache, ftrack_api.cache.Cache):
                cache = cache(self)
            if cache is not None:
                self.cache.caches.append(cache)

        self.request_timeout = timeout
        self._strict_api = strict_api

        self._request = requests.Session()
        self._request.auth = SessionAuthentication(self._api_key, self._api_user)
        self._request.headers.update(
            {
                "content-type": "application/json",
                "accept": "application/json",
                "ftrack-strict-api": "true" if strict_api else "false",
            }
        )
        if headers:
            self._request.headers.update(headers)
        if cookies:
            self._request.cookies.update(cookies)
        _settle_environment(self._request, self._server_url)

        self.types = {}
        self.schemas = []

        if schema_cache_path is None:
            schema_cache_path = os.environ.get("FTRACK_API_SCHEMA_CACHE_PATH")
            if not schema_cache_path:
                schema_cache_path = _default_schema_cache_directory()

        # Fetch server information and in doing so also check credentials.
        # Without a usable schema cache the schemas are needed whatever the
        # hash says, so they come in the same request.
        self._downloaded_schemas = None
        self._schemas_text = None
        schema_cache_path = self._schema_cache_file(schema_cache_path)
        self._server_information = self._fetch_server_information(
            with_schemas=not schema_cache_path or not os.path.isfile(schema_cache_path)
        )
        self.check_server_compatibility()

        hub_headers = dict(headers or {})
        hub_headers["ftrack-strict-api"] = "true" if strict_api else "false"
        self._event_hub = ftrack_api.event.hub.EventHub(
            self._server_url,
            self._api_user,
            self._api_key,
            headers=hub_headers,
            cookies=requests.utils.dict_from_cookiejar(self._request.cookies),
        )

        self._event_hub.subscribe(
            "topic={0}".format(_CONSTRUCT_TOPIC),
            self._default_construct_entity_type,
            priority=_DEFAULT_CONSTRUCT_PRIORITY,
        )

        if plugin_paths is None:
            plugin_paths = os.environ.get("FTRACK_EVENT_PLUGIN_PATH", "").split(
                os.pathsep
            )
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

        if auto_connect_event_hub:
            self._auto_connect_event_hub_thread = (
                self._event_hub._connect_in_background()
            )

        self._atexit_callback = functools.partial(
            _close_session_at_exit, weakref.ref(self)
        )
        atexit.register(self._atexit_callback)

    # ------------------------------------------------------------------
    # Context management and properties.
    # ------------------------------------------------------------------
    def __enter__(self):
        """Return session as context manager."""
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        """Exit session context, closing session in process."""
        self.close()

    @property
    def _request(self):
        """Return the HTTP session (a :class:`requests.Session`) requests use.

        Raise :exc:`~ftrack_api.exception.ConnectionClosedError` once the
        session is closed.
        """
        if self._managed_request is None:
            raise ftrack_api.exception.ConnectionClosedError()
        return self._managed_request

    @_request.setter
    def _request(self, value):
        """Use *value* as the HTTP session."""
        self._managed_request = value

    @property
    def closed(self):
        """Return whether session has been closed."""
        return self._closed

    @property
    def server_information(self):
        """Return server information such as server version."""
        return self._server_information

    @property
    def server_url(self):
        """Return server url used for session."""
        return self._server_url

    @property
    def api_user(self):
        """Return username used for session."""
        return self._api_user

    @property
    def api_key(self):
        """Return API key used for session."""
        return self._api_key

    @property
    def event_hub(self):
        """Return event hub."""
        return self._event_hub

    @property
    def auto_populate(self):
        """Return whether attribute values are fetched on access when unset."""
        value = getattr(self._thread_state, "auto_populate", NOT_SET)
        if value is NOT_SET:
            return self._auto_populate
        return value

    @auto_populate.setter
    def auto_populate(self, value):
        """Set whether unset attribute values are fetched on access."""
        self._auto_populate = value
        if hasattr(self._thread_state, "auto_populate"):
            self._thread_state.auto_populate = value

    @property
    def record_operations(self):
        """Return whether changes are recorded as operations."""
        value = getattr(self._thread_state, "record_operations", NOT_SET)
        if value is NOT_SET:
            return self._record_operations
        return value

    @record_operations.setter
    def record_operations(self, value):
        """Set whether changes are recorded as operations."""
        self._record_operations = value
        if hasattr(self._thread_state, "record_operations"):
            self._thread_state.record_operations = value

    @property
    def recorded_operations(self):
        """Return the log of operations recorded and not yet committed."""
        return self._recorded_operations

    @recorded_operations.setter
    def recorded_operations(self, operations):
        """Replace the log of recorded operations with *operations*."""
        self._recorded_operations = operations

    def auto_populating(self, auto_populate):
        """Temporarily set auto populate to *auto_populate*.

        The current setting will be restored automatically when done.

        Example::

            with session.auto_populating(False):
                print(entity['name'])
        """
        return AutoPopulatingContext(self, auto_populate)

    def operation_recording(self, record_operations):
        """Temporarily set operation recording to *record_operations*.

        The current setting will be restored automatically when done.

        Example::

            with session.operation_recording(False):
                entity['name'] = 'change_not_recorded'
        """
        return OperationRecordingContext(self, record_operations)

    def _states(self):
        """Return ordered mapping of identity to state from operations."""
        states = collections.OrderedDict()
        for operation in self._recorded_operations:
            identity = (
                operation.entity_type,
                tuple(operation.entity_key.values()),
            )
            current = states.get(identity, NOT_SET)
            if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
                states[identity] = ftrack_api.symbol.CREATED
            elif isinstance(operation, ftrack_api.operation.UpdateEntityOperation):
                if current not in (
                    ftrack_api.symbol.CREATED,
                    ftrack_api.symbol.DELETED,
                ):
                    states[identity] = ftrack_api.symbol.MODIFIED
            elif isinstance(operation, ftrack_api.operation.DeleteEntityOperation):
                states[identity] = ftrack_api.symbol.DELETED
        return states

    def _entities_in_state(self, state):
        with self._lock:
            entities = []
            for identity, entity_state in self._states().items():
                if entity_state is state:
                    entity = self._attached(identity)
                    if entity is not None:
                        entities.append(entity)
            return entities

    @property
    def created(self):
        """Return list of newly created entities."""
        return self._entities_in_state(ftrack_api.symbol.CREATED)

    @property
    def modified(self):
        """Return list of locally modified entities."""
        return self._entities_in_state(ftrack_api.symbol.MODIFIED)

    @property
    def deleted(self):
        """Return list of deleted entities."""
        return self._entities_in_state(ftrack_api.symbol.DELETED)

    # ------------------------------------------------------------------
    # Life cycle.
    # ------------------------------------------------------------------
    def close(self):
        """Close session.

        Close connections to server. Clear any pending operations and local
        cache.

        Use this to ensure that session is cleaned up properly after use.
        """
        if self._closed:
            return

        self.logger.debug("Closing session.")
        if len(self._recorded_operations):
            self.logger.warning(
                "Closing session with pending operations not persisted."
            )

        with self._lock:
            self._recorded_operations.clear()
            try:
                self._memory_cache.clear()
            except Exception:  # pragma: no cover - defensive.
                pass

        try:
            self._request.close()
        except Exception:  # pragma: no cover - defensive.
            pass
        self._request = None

        try:
            self._event_hub.disconnect()
        except ftrack_api.exception.EventHubConnectionError:
            pass

        self._closed = True
        try:
            atexit.unregister(self._atexit_callback)
        except Exception:  # pragma: no cover - defensive.
            pass

    def reset(self):
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

    # ------------------------------------------------------------------
    # Plugins, schemas and entity classes.
    # ------------------------------------------------------------------
    def _discover_plugins(self, plugin_arguments=None):
        """Find and load plugins in search paths."""
        ftrack_api.plugin.discover(
            self._plugin_paths, [self], plugin_arguments or {}
        )

    def _fetch_server_information(self, with_schemas=False):
        """Return server information (and keep the schemas when *with_schemas*)."""
        operations = [{"action": "query_server_information"}]
        if with_schemas:
            operations.append({"action": "query_schemas"})
        result, response = self._call_keeping_response(operations)
        if with_schemas:
            self._downloaded_schemas = result[1]
            self._keep_schemas_text(result[1], response, 2)
        return result[0]

    def check_server_compatibility(self):
        """Check compatibility with connected server."""
        server_version = self._server_information.get("version")
        if server_version is None:
            raise ftrack_api.exception.ServerCompatibilityError(
                "Could not determine server version."
            )

        if server_version == "dev":
            return

        match = re.match(r"(\d+)\.(\d+)\.(\d+)", str(server_version))
        if match is None:
            return

        version = tuple(int(part) for part in match.groups())
        if version < _MINIMUM_SERVER_VERSION:
            raise ftrack_api.exception.ServerCompatibilityError(
                "Server version {0!r} incompatible with this version of the "
                "API which requires a server version >= {1}".format(
                    server_version,
                    ".".join(str(part) for part in _MINIMUM_SERVER_VERSION),
                )
            )

    @staticmethod
    def _schema_hash(schemas):
        """Return hash of *schemas* as computed by the server."""
        return hashlib.md5(
            json.dumps(schemas, sort_keys=True).encode("utf-8")
        ).hexdigest()

    @staticmethod
    def _schema_cache_file(schema_cache_path):
        """Path of the schema cache file in folder *schema_cache_path*.

        Return False when caching is disabled (*schema_cache_path* is False).
        """
        if schema_cache_path is False:
            return False
        return os.path.join(
            os.path.abspath(os.path.expanduser(str(schema_cache_path))),
            _SCHEMA_CACHE_FILENAME,
        )

    def _keep_schemas_text(self, schemas, response, count):
        """Remember *schemas* as the text the server sent in *response*.

        *response* answered a batch of *count* operations ending with
        ``query_schemas`` (None: the answer came from a replaced
        :meth:`call`). Writing the schema cache then stores that text rather
        than encoding the schemas again.
        """
        if response is not None:
            self._schemas_text = (
                schemas, _last_element_text(response.content, count)
            )

    def _read_schemas_from_cache(self, schema_cache_path):
        """Return the schemas in file *schema_cache_path* and their hash.

        A missing file gives ``([], None)``; unreadable content raises.
        """
        self.logger.debug(L("Reading schemas from cache {0!r}", schema_cache_path))
        if not os.path.exists(schema_cache_path):
            self.logger.info(L("Cache file not found at {0!r}.", schema_cache_path))
            return [], None

        with open(schema_cache_path, "r", encoding="utf-8") as handle:
            schemas = json.load(handle)
        return schemas, self._schema_hash(schemas)

    def _write_schemas_to_cache(self, schemas, schema_cache_path):
        """Store *schemas* as JSON in file *schema_cache_path*.

        The file is replaced whole, so readers never see a partial cache.
        Schemas that cannot be encoded raise :exc:`TypeError` and leave the
        file as it was.
        """
        self.logger.debug(
            L("Updating schema cache {0!r} with new schemas.", schema_cache_path)
        )
        kept = getattr(self, "_schemas_text", None)
        self._schemas_text = None
        if kept is not None and kept[0] is schemas:
            text = kept[1]
        else:
            text = json.dumps(schemas).encode("utf-8")

        directory = os.path.dirname(os.path.abspath(schema_cache_path))
        os.makedirs(directory, exist_ok=True)
        handle, temporary_path = tempfile.mkstemp(
            dir=directory, prefix=".schema-", suffix=".json"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(text)
            os.replace(temporary_path, schema_cache_path)
        except BaseException:
            try:
                os.remove(temporary_path)
            except OSError:
                pass
            raise

    def _load_schemas(self, schema_cache_path):
        """Return the schemas, from the cache file *schema_cache_path* when current.

        The cache is used when its schemas hash to what the server reports;
        otherwise the schemas are fetched and the cache rewritten. Set
        *schema_cache_path* to False to always fetch them.
        """
        cached_hash = None
        schemas = []
        if schema_cache_path:
            try:
                schemas, cached_hash = self._read_schemas_from_cache(
                    schema_cache_path
                )
            except (IOError, TypeError, AttributeError, ValueError):
                self.logger.exception(
                    L("Schema cache could not be loaded from {0!r}", schema_cache_path)
                )

        server_hash = self._server_information.get("schema_hash", False)
        if cached_hash == server_hash:
            self.logger.debug(L("Using cached schemas from {0!r}", schema_cache_path))
            return schemas

        self.logger.debug(
            L(
                "Loading schemas from server due to hash not matching."
                "Local: {0!r} != Server: {1!r}",
                cached_hash,
                server_hash,
            )
        )
        if self._downloaded_schemas is not None:
            schemas = self._downloaded_schemas
            self._downloaded_schemas = None
        else:
            result, response = self._call_keeping_response(
                [{"action": "query_schemas"}]
            )
            schemas = result[0]
            self._keep_schemas_text(schemas, response, 1)

        if schema_cache_path:
            try:
                self._write_schemas_to_cache(schemas, schema_cache_path)
            except (IOError, TypeError):
                self.logger.exception(
                    L("Failed to update schema cache {0!r}.", schema_cache_path)
                )
        self._schemas_text = None
        return schemas

    def _default_construct_entity_type(self, event):
        """Return class for the schema of *event* built by StandardFactory."""
        return _STANDARD_FACTORY.create(event["data"]["schema"])

    def _build_entity_type_classes(self, schemas):
        """Build default entity type classes."""
        types = {}
        for schema in schemas:
            results = self._event_hub.publish(
                ftrack_api.event.base.Event(
                    topic=_CONSTRUCT_TOPIC,
                    data=dict(schema=schema, schemas=schemas),
                ),
                synchronous=True,
            )
            results = [result for result in results if result is not None]

            if not results:
                self.logger.debug(
                    L(
                        "Using default StandardFactory to construct entity "
                        "type class for {0!r}",
                        schema["id"],
                    )
                )
                entity_type_class = ftrack_api.entity.factory.StandardFactory().create(
                    schema
                )
            else:
                # The built in handler answers last; more answers mean that
                # several plugins constructed a class.
                if len(results) > 2:
                    self.logger.warning(
                        L(
                            "More than one handler constructed a class for "
                            "{0!r}; using the first.",
                            schema["id"],
                        )
                    )
                entity_type_class = results[0]

            types[entity_type_class.entity_type] = entity_type_class
            if entity_type_class.entity_type != schema["id"]:
                types[schema["id"]] = entity_type_class

        return types

    def _configure_locations(self):
        """Configure the built-in locations, then let plugins configure theirs.

        ``ftrack.api.session.configure-location`` is published after the
        built-in locations are set up, then the server's storage scenario
        is activated when it names one.
        """
        self._configure_builtin_locations()
        self._event_hub.publish(
            ftrack_api.event.base.Event(
                topic="ftrack.api.session.configure-location",
                data=dict(session=self),
            ),
            synchronous=True,
        )
        self._activate_storage_scenario()

    def _builtin_location(self, location_id, name, mixin, mixin_name):
        """The local instance of a built-in location (no request is sent)."""
        location = self.create(
            "Location", data=dict(id=location_id, name=name), reconstructing=True
        )
        ftrack_api.mixin(location, mixin, name=mixin_name)
        return location

    def _configure_builtin_locations(self):
        """Set up ftrack.origin, ftrack.unmanaged, ftrack.review and ftrack.server."""
        symbol = ftrack_api.symbol
        locations = ftrack_api.entity.location

        origin = self._builtin_location(
            symbol.ORIGIN_LOCATION_ID, "ftrack.origin",
            locations.OriginLocationMixin, "OriginLocation")
        unmanaged = self._builtin_location(
            symbol.UNMANAGED_LOCATION_ID, "ftrack.unmanaged",
            locations.UnmanagedLocationMixin, "UnmanagedLocation")
        review = self._builtin_location(
            symbol.REVIEW_LOCATION_ID, "ftrack.review",
            locations.UnmanagedLocationMixin, "UnmanagedLocation")
        for location, priority in ((origin, 100), (unmanaged, 90), (review, 110)):
            location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix="")
            location.structure = ftrack_api.structure.origin.OriginStructure()
            location.priority = priority

        server = self._builtin_location(
            symbol.SERVER_LOCATION_ID, "ftrack.server",
            locations.ServerLocationMixin, "ServerLocation")
        server.accessor = ftrack_api.accessor.server.ServerAccessor(session=self)
        server.structure = ftrack_api.structure.entity_id.EntityIdStructure()
        server.priority = 150

    def _activate_storage_scenario(self):
        """Publish ``ftrack.storage-scenario.activate`` when the server names a scenario."""
        scenario = (self._server_information or {}).get("storage_scenario")
        if not isinstance(scenario, collections.abc.Mapping) or not scenario.get("scenario"):
            return
        if not self._storage_scenarios_registered:
            self._storage_scenarios_registered = True
            ftrack_api._centralized_storage_scenario.register(self)
        self._event_hub.publish(
            ftrack_api.event.base.Event(
                topic="ftrack.storage-scenario.activate",
                data=dict(storage_scenario=scenario),
            ),
            synchronous=True,
        )

    # ------------------------------------------------------------------
    # Identity map and merging.
    # ------------------------------------------------------------------
    @property
    def _local_cache(self):
        """Return the top cache layer, which is the session's identity map.

        Every entity attached to the session is stored there under the key
        :attr:`cache_key_maker` makes of its :func:`ftrack_api.inspection.identity`.
        """
        return self.cache.caches[0]

    def _cache_key(self, identity):
        """Return the cache key of *identity*, an (entity type, key values) pair."""
        if type(self.cache_key_maker) is _StringKeyMaker:
            # The text of the (type, [values]) pair, written out directly:
            # the values are strings, so %r gives what str() of the pair does.
            values = identity[1]
            if len(values) == 1:
                return "(%r, [%r])" % (identity[0], values[0])
            return "(%r, [%s])" % (identity[0], ", ".join(map(repr, values)))
        return self.cache_key_maker.key((identity[0], list(identity[1])))

    def _attached(self, identity):
        """Return the entity held for *identity*, or None."""
        return self._memory_cache._cache.get(self._cache_key(identity))

    def _attached_entities(self):
        """Return the entities currently held by the session."""
        return [
            value for value in list(self._memory_cache._cache.values())
            if isinstance(value, _Entity)
        ]

    def _detach(self, identity):
        """Forget the entity held for *identity* in every cache layer."""
        try:
            self.cache.remove(self._cache_key(identity))
        except KeyError:
            pass

    def _is_attached(self, entity):
        """Return whether *entity* is the instance held by this session."""
        return self._attached(entity._identity_key()) is entity

    def _attach(self, key, entity):
        """Hold *entity* under cache *key* in the session's identity map."""
        entity.session = self
        self._memory_cache._cache[key] = entity

    def _has_lower_caches(self):
        """Return whether caches exist below the memory cache."""
        cache = self.cache
        return isinstance(cache, ftrack_api.cache.LayeredCache) and len(cache.caches) > 1

    def _update_lower_caches(self, entities):
        """Store *entities* in the cache layers below the memory cache."""
        caches = self.cache.caches[1:] if isinstance(
            self.cache, ftrack_api.cache.LayeredCache
        ) else []
        if not caches:
            return
        for entity in entities:
            key = self._cache_key(entity._identity_key())
            for cache in caches:
                try:
                    cache.set(key, entity)
                except Exception:
                    self.logger.debug(
                        L("Failed to store {0!r} in cache {1!r}.", entity, cache)
                    )

    def _make_merge_hook(self, touched=None):
        """Return a decode hook merging the entities of one answer.

        What the hook needs is looked up once, here, rather than for every
        object of the answer: this is the hot path of every query. Entities
        merged are appended to the list *touched* when given.
        """
        types = self.types
        entities = self._memory_cache._cache
        string_keys = type(self.cache_key_maker) is _StringKeyMaker
        cache_key = self._cache_key
        refresh = self._refresh_local_copies
        session = self

        def merge(data):
            if "__type__" in data:
                kind = data["__type__"]
                if kind == "datetime" or kind == "date":
                    return _decode_datetime(data["value"])

            entity_type = data.get("__entity_type__")
            if entity_type is None:
                return data

            cls = types.get(entity_type)
            if cls is None:
                raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)

            del data["__entity_type__"]
            primary_key = cls.primary_key_attributes
            try:
                if string_keys and len(primary_key) == 1:
                    # The usual case, with the key written out as _cache_key does.
                    key = "(%r, [%r])" % (entity_type, str(data[primary_key[0]]))
                else:
                    key = cache_key(
                        (entity_type, [str(data[name]) for name in primary_key])
                    )
            except KeyError:
                return cls(session, data, reconstructing=True)

            names = cls.attributes._data
            if not data.keys() <= names.keys():
                data = {name: value for name, value in data.items() if name in names}

            entity = entities.get(key)
            if entity is None:
                if cls.__init__ is _ENTITY_INIT:
                    entity = _new_object(cls)
                    entity.session = session
                    entity._local = {}
                    entity._remote = data
                else:
                    entity = cls(session, data, reconstructing=True)
                entities[key] = entity
            else:
                if entity._local:
                    refresh(cls, entity, data)
                entity._remote.update(data)
            if touched is not None:
                touched.append(entity)
            return entity

        return merge

    @staticmethod
    def _refresh_local_copies(cls, entity, data):
        """Drop local collections of *entity* that merely copy remote values
        *data* is about to replace (see ``_refresh_copy`` of collection
        attributes)."""
        local = entity._local
        remote = entity._remote
        attributes = cls.attributes
        for name in [name for name in data if name in local]:
            attribute = attributes.get(name)
            if isinstance(attribute, ftrack_api.attribute.AbstractCollectionAttribute):
                attribute._refresh_copy(entity, remote.get(name, NOT_SET))

    def merge(self, value, merged=None):
        """Merge *value* into session and return merged value.

        *merged* should be a mapping to record merges during run and should
        be used to avoid infinite recursion. If not set will default to a
        dictionary.
        """
        if merged is None:
            merged = {}

        with self._lock:
            return self._merge(value, merged)

    def _merge(self, value, merged):
        """Merge *value* recursively (see :meth:`merge`)."""
        if isinstance(value, _Entity):
            return self._merge_entity(value, merged)

        if isinstance(value, _MappedCollectionProxy):
            collection = value.collection
            collection._data[:] = [
                self._merge(item, merged) for item in collection._data
            ]
            return value

        if isinstance(value, _Collection):
            value._data[:] = [self._merge(item, merged) for item in value._data]
            return value

        if isinstance(value, list):
            return [self._merge(item, merged) for item in value]

        if isinstance(value, tuple):
            return tuple(self._merge(item, merged) for item in value)

        if isinstance(value, dict):
            return dict(
                (key, self._merge(item, merged)) for key, item in value.items()
            )

        return value

    def _merge_entity(self, entity, merged):
        """Merge *entity* into session and return attached instance."""
        identity = entity._identity_key()
        if identity in merged:
            return merged[identity]

        key = self._cache_key(identity)
        attached = self._memory_cache._cache.get(key)
        if attached is None and self._has_lower_caches():
            # Start from what a lower cache layer (a file cache, say) holds,
            # so that entities referenced from a cached record come whole.
            stored = self._from_lower_caches(key)
            if isinstance(stored, _Entity) and stored is not entity:
                if stored.session is not self:
                    stored = self._copy_entity(stored)
                merged[identity] = stored
                self._attach(key, stored)
                self._merge_nested(stored, merged)
                stored.merge(entity, merged)
                return stored
        if attached is None:
            if entity.session is not None and entity.session is not self:
                # Entity of another session: attach a copy, never steal it.
                entity = self._copy_entity(entity)
            merged[identity] = entity
            self._attach(key, entity)
            self._merge_nested(entity, merged)
            return entity

        merged[identity] = attached
        if attached is not entity:
            attached.merge(entity, merged)
        return attached

    def _copy_entity(self, entity):
        """Return new instance of this session holding values of *entity*."""
        cls = self.types.get(entity.entity_type, type(entity))
        copy = _new_object(cls)
        copy.session = self
        copy._remote = {}
        copy._local = {}
        attributes = cls.attributes
        for source, target in ((entity._remote, copy._remote), (entity._local, copy._local)):
            for name, value in source.items():
                attribute = attributes.get(name)
                if attribute is None:
                    continue
                if isinstance(attribute, ftrack_api.attribute.AbstractCollectionAttribute):
                    items = attribute._items(value)
                    if target is copy._local:
                        value = attribute._new_collection(copy, items)
                    else:
                        value = items
                target[name] = value
        return copy

    def _merge_nested(self, entity, merged):
        """Replace entities referenced by values of *entity* by attached ones."""
        for store in (entity._remote, entity._local):
            for name, value in list(store.items()):
                if isinstance(
                    value, (_Entity, _Collection, _MappedCollectionProxy, list)
                ):
                    store[name] = self._merge(value, merged)

    # ------------------------------------------------------------------
    # Operations.
    # ------------------------------------------------------------------
    def _record_operation(self, operation):
        """Add *operation* to the log of recorded operations."""
        with self._lock:
            self._recorded_operations.push(operation)

    def create(self, entity_type, data=None, reconstructing=False):
        """Create and return an entity of *entity_type* with initial *data*.

        If specified, *data* should be a dictionary of key, value pairs that
        should be used to populate attributes on the entity.

        If *reconstructing* is False then create a new entity setting
        appropriate defaults for missing data. If True then reconstruct an
        existing entity.

        Constructed entity will be automatically :meth:`merged <merge>` into
        the session.
        """
        with self._lock:
            entity = self._create(entity_type, data, reconstructing=reconstructing)
            return self._merge(entity, {})

    def _create(self, entity_type, data, reconstructing):
        """Return a new, not yet merged entity of *entity_type* with *data*."""
        try:
            entity_class = self.types[entity_type]
        except KeyError:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
        return entity_class(self, data=data, reconstructing=reconstructing)

    def delete(self, entity):
        """Mark *entity* for deletion."""
        if self.record_operations:
            self._record_operation(
                ftrack_api.operation.DeleteEntityOperation(
                    entity.entity_type, ftrack_api.inspection.primary_key(entity)
                )
            )

    def get(self, entity_type, entity_key):
        """Return entity of *entity_type* with unique *entity_key*.

        First check for an existing entry in the configured cache, otherwise
        issue a query to the server.

        If no matching entity found, return None.
        """
        entity_class = self._type_for_lookup(entity_type)
        primary_key = entity_class.primary_key_attributes
        if isinstance(entity_key, str):
            key_values = [entity_key]
        elif isinstance(entity_key, collections.abc.Mapping):
            key_values = [entity_key[name] for name in primary_key]
        elif isinstance(entity_key, collections.abc.Iterable):
            key_values = list(entity_key)
        else:
            key_values = [entity_key]

        if len(key_values) != len(primary_key):
            raise ValueError(
                "Incompatible entity_key {0!r} supplied. Entity type {1} "
                "expects a primary key composed of {2} values ({3}).".format(
                    entity_key, entity_type, len(primary_key), ", ".join(primary_key)
                )
            )

        try:
            return self._get(entity_type, key_values)
        except KeyError:
            pass

        expression = "{0} where ({1})".format(
            entity_type,
            " and ".join(
                '{0} is "{1}"'.format(name, value)
                for name, value in zip(primary_key, key_values)
            ),
        )
        results = self.query(expression).all()
        if results:
            return results[0]
        return None

    def _get(self, entity_type, entity_key):
        """Return the cached entity of *entity_type* with key values *entity_key*.

        Raise :exc:`KeyError` when no cache layer holds it.
        """
        key = self._cache_key((entity_type, [str(value) for value in entity_key]))
        entity = self._memory_cache._cache.get(key)
        if entity is not None:
            return entity
        value = self._from_lower_caches(key)
        if not isinstance(value, _Entity):
            raise KeyError(key)
        return self.merge(value)

    def _merge_recursive(self, entity, merged=None):
        """Merge *entity* and the entities its values refer to; return it attached."""
        return self.merge(entity, merged)

    def _type_for_lookup(self, entity_type):
        """Return the class of *entity_type* for get and query.

        An unknown type raises :exc:`~ftrack_api.exception.UnrecognisedEntityTypeError`
        that is also a :exc:`KeyError`, as code written for plain type look
        ups expects.
        """
        try:
            return self.types[entity_type]
        except KeyError:
            raise _UnknownEntityTypeError(entity_type) from None

    def _from_lower_caches(self, key):
        """Return the value stored for *key* below the memory cache, or None."""
        cache = self.cache
        if not isinstance(cache, ftrack_api.cache.LayeredCache):
            return None
        for layer in cache.caches[1:]:
            try:
                return layer.get(key)
            except KeyError:
                continue
            except Exception:
                self.logger.debug(L("Failed reading {0} from cache {1!r}.", key, layer))
        return None

    def _ensure_criterion(self, key, value):
        """Return query criterion text for *key* equal to *value*."""
        if isinstance(value, str):
            return '{0} is "{1}"'.format(key, value)
        if isinstance(value, arrow.Arrow):
            value = value.naive
        if isinstance(value, datetime.datetime):
            value = value.replace(tzinfo=None, microsecond=0)
            return '{0} is "{1}"'.format(key, value.isoformat())
        if isinstance(value, datetime.date):
            return '{0} is "{1}"'.format(key, value.isoformat())
        return "{0} is {1}".format(key, value)

    def ensure(self, entity_type, data, identifying_keys=None):
        """Retrieve entity of *entity_type* with *data*, creating if necessary.

        *data* should be a dictionary of the same form passed to
        :meth:`create`.

        By default, check for an entity that has matching *data*. If
        *identifying_keys* is specified as a list of keys then only consider
        the values from *data* for those keys when searching for existing
        entity. If *data* is missing an identifying key then raise
        :exc:`KeyError`.

        If no *identifying_keys* specified then use all of the keys from the
        passed *data*. Raise :exc:`ValueError` if no *identifying_keys* can
        be determined.

        If more than one entity matches the determined filter criteria then
        raise :exc:`~ftrack_api.exception.MultipleResultsFoundError`.

        If no matching entity found then create entity using supplied *data*.

        If a matching entity is found, then update it if necessary with
        *data*.

        .. note::

            If entity created or updated then a :meth:`commit` will be issued
            automatically.

        Return retrieved or created entity.
        """
        if not identifying_keys:
            identifying_keys = list(data.keys())

        if not identifying_keys:
            raise ValueError(
                "Could not determine any identifying data to check against "
                "when ensuring {0!r} with data {1!r}. Identifying keys: {2!r}".format(
                    entity_type, data, identifying_keys
                )
            )

        criteria = []
        for identifying_key in identifying_keys:
            value = data[identifying_key]
            criteria.append(self._ensure_criterion(identifying_key, value))

        expression = "{0} where {1}".format(entity_type, " and ".join(criteria))

        try:
            entity = self.query(expression).one()
        except ftrack_api.exception.NoResultFoundError:
            self.logger.debug("Creating entity as did not already exist.")
            entity = self.create(entity_type, data)
            self.commit()
        else:
            self.logger.debug("Retrieved matching existing entity.")
            updated = False
            for key, target_value in data.items():
                if entity[key] != target_value:
                    entity[key] = target_value
                    updated = True

            if updated:
                self.logger.debug("Updating existing entity to match new data.")
                self.commit()

        return entity

    def query(self, expression, page_size=500):
        """Query against remote data according to *expression*.

        *expression* is not executed directly. Instead return an
        :class:`ftrack_api.query.QueryResult` instance that will execute
        remote call on access.

        *page_size* specifies the maximum page size that the returned query
        result object should be configured with.
        """
        stripped = expression.strip()
        head = stripped.split(None, 1)
        if not head or head[0].lower() != "select":
            entity_type = head[0] if head else ""
            entity_class = self._type_for_lookup(entity_type)

            projections = entity_class.default_projections or list(
                entity_class.primary_key_attributes
            )
            expression = "select {0} from {1}".format(
                ", ".join(projections), stripped
            )

        return ftrack_api.query.QueryResult(self, expression, page_size=page_size)

    def _query(self, expression):
        """Execute *expression* and return (records, metadata)."""
        result = self._call([{"action": "query", "expression": expression}])
        return result[0]["data"], result[0]["metadata"]

    def populate(self, entities, projections):
        """Populate *entities* with attributes specified by *projections*.

        Any locally set values included in the *projections* will not be
        overwritten with the retrieved remote value. If this 'synchronise'
        behaviour is required, first clear the relevant values on the entity
        by setting them to NOT_SET. Deleting the key will have the same
        effect.

        .. note::

            Entities that have been created and not yet persisted will be
            skipped as they have no remote values to fetch.
        """
        if isinstance(entities, _Entity):
            entities = [entities]
        else:
            entities = list(entities)

        entities_to_process = [entity for entity in entities if not entity._created]
        if not entities_to_process:
            return

        if not isinstance(projections, str):
            projections = ", ".join(projections)

        reference_entity = entities_to_process[0]
        entity_type = reference_entity.entity_type
        primary_key = reference_entity.primary_key_attributes

        keys = []
        seen = set()
        for entity in entities_to_process:
            key = entity._identity_key()[1]
            if key not in seen:
                seen.add(key)
                keys.append(key)

        if len(primary_key) == 1:
            name = primary_key[0]
            if len(keys) == 1:
                criteria = "{0} is {1}".format(name, keys[0][0])
            else:
                criteria = "{0} in ({1})".format(
                    name, ",".join(key[0] for key in keys)
                )
        else:
            criteria = " or ".join(
                "({0})".format(
                    "and ".join(
                        '{0} is "{1}"'.format(name, value)
                        for name, value in zip(primary_key, key)
                    )
                )
                for key in keys
            )

        expression = "select {0} from {1} where {2}".format(
            projections, entity_type, criteria
        )
        self.query(expression).all()

    def _operation_identity(self, operation):
        return (operation.entity_type, tuple(operation.entity_key.values()))

    def _encode_operation_value(self, value):
        """Return *value* prepared for an operation payload."""
        if isinstance(value, _Entity):
            return self._known_reference(value)
        if isinstance(value, _MappedCollectionProxy):
            return [self._encode_operation_value(item) for item in value.collection]
        if isinstance(value, _Collection):
            return [self._encode_operation_value(item) for item in value]
        if isinstance(value, (list, tuple)):
            return [self._encode_operation_value(item) for item in value]
        return value

    def _build_batch(self, operations):
        """Return list of payloads for *operations* (see commit)."""
        CreateOperation = ftrack_api.operation.CreateEntityOperation
        UpdateOperation = ftrack_api.operation.UpdateEntityOperation
        DeleteOperation = ftrack_api.operation.DeleteEntityOperation

        identities = [self._operation_identity(operation) for operation in operations]

        # Entities created and then deleted need no operation at all.
        created = set()
        created_and_deleted = set()
        for identity, operation in zip(identities, operations):
            if isinstance(operation, CreateOperation):
                created.add(identity)
            elif isinstance(operation, DeleteOperation) and identity in created:
                created_and_deleted.add(identity)

        # Only the last update of an attribute is kept.
        last_update = {}
        for index, (identity, operation) in enumerate(zip(identities, operations)):
            if isinstance(operation, UpdateOperation):
                last_update[(identity, operation.attribute_name)] = index

        payloads = []
        for index, (identity, operation) in enumerate(zip(identities, operations)):
            if identity in created_and_deleted:
                continue

            entity_type = operation.entity_type
            entity_key = list(identity[1])

            if isinstance(operation, CreateOperation):
                entity_data = {"__entity_type__": entity_type}
                for key, value in operation.entity_data.items():
                    if value is NOT_SET:
                        continue
                    entity_data[key] = self._encode_operation_value(value)
                payloads.append(
                    {
                        "action": "create",
                        "entity_type": entity_type,
                        "entity_key": entity_key,
                        "entity_data": entity_data,
                    }
                )

            elif isinstance(operation, UpdateOperation):
                if last_update[(identity, operation.attribute_name)] != index:
                    continue
                if operation.new_value is NOT_SET:
                    continue
                value = self._encode_operation_value(operation.new_value)
                previous = payloads[-1] if payloads else None
                if (
                    previous is not None
                    and previous["action"] in ("create", "update")
                    and previous["entity_type"] == entity_type
                    and previous["entity_key"] == entity_key
                ):
                    previous["entity_data"][operation.attribute_name] = value
                    continue
                payloads.append(
                    {
                        "action": "update",
                        "entity_type": entity_type,
                        "entity_key": entity_key,
                        "entity_data": {
                            "__entity_type__": entity_type,
                            operation.attribute_name: value,
                        },
                    }
                )

            elif isinstance(operation, DeleteOperation):
                payloads.append(
                    {
                        "action": "delete",
                        "entity_type": entity_type,
                        "entity_key": entity_key,
                    }
                )

        return payloads

    def commit(self):
        """Commit all local changes to the server."""
        with self._commit_lock:
            with self._lock:
                operations = list(self._recorded_operations)
                batch = self._build_batch(operations)

            if batch:
                self._call(batch)

            self._after_commit(operations)

    def _after_commit(self, operations):
        """Clear committed *operations* and local values after a commit."""
        CreateOperation = ftrack_api.operation.CreateEntityOperation
        UpdateOperation = ftrack_api.operation.UpdateEntityOperation

        with self._lock:
            committed = set(id(operation) for operation in operations)
            remaining = [
                operation
                for operation in self._recorded_operations
                if id(operation) not in committed
            ]
            self._recorded_operations.clear()
            for operation in remaining:
                self._recorded_operations.push(operation)

            for operation in operations:
                if isinstance(operation, CreateOperation):
                    entity = self._attached(self._operation_identity(operation))
                    if entity is not None:
                        entity._created = False

            # Local values still needed by operations recorded meanwhile.
            keep_all = set()
            keep = {}
            for operation in remaining:
                identity = self._operation_identity(operation)
                if isinstance(operation, CreateOperation):
                    keep_all.add(identity)
                elif isinstance(operation, UpdateOperation):
                    keep.setdefault(identity, set()).add(operation.attribute_name)

            for entity in self._attached_entities():
                local = entity._local
                if not local:
                    continue
                identity = entity._identity_key()
                if identity in keep_all:
                    continue
                # What was committed is now what the server holds.
                remote = entity._remote
                names = keep.get(identity)
                for name in list(local):
                    if names is not None and name in names:
                        continue
                    value = local.pop(name)
                    if value is not NOT_SET:
                        remote[name] = value

    def rollback(self):
        """Clear all recorded operations and local state.

        Typically this would be used following a failed :meth:`commit` in
        order to revert the session to a known good state.

        Newly created entities not yet persisted will be detached from the
        session / purged from cache and no longer contribute, but the actual
        objects are not deleted from memory. They should no longer be used
        and doing so could cause errors.
        """
        with self._lock:
            operations = list(self._recorded_operations)
            self._recorded_operations.clear()

            for operation in operations:
                if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
                    self._detach(self._operation_identity(operation))

            for entity in self._attached_entities():
                entity._local.clear()

    def _discard_operations(self, entity):
        """Remove recorded operations of *entity*, detaching it if new."""
        identity = entity._identity_key()
        with self._lock:
            operations = list(self._recorded_operations)
            remaining = [
                operation
                for operation in operations
                if self._operation_identity(operation) != identity
            ]
            self._recorded_operations.clear()
            for operation in remaining:
                self._recorded_operations.push(operation)
            if entity._created and self._attached(identity) is entity:
                self._detach(identity)
            entity._local.clear()

    def reset_remote(self, reset_type, entity=None):
        """Perform a server side reset.

        *reset_type* is a server side supported reset type, passing the
        optional *entity* to perform the option upon.

        Please refer to ftrack documentation for a complete list of supported
        server side reset types.
        """
        payload = {"action": "reset_remote", "reset_type": reset_type}

        if entity is not None:
            payload.update(
                {"entity_type": entity.entity_type, "entity_key": entity["id"]}
            )

        result = self.call([payload])
        return result[0]["data"]

    # ------------------------------------------------------------------
    # Encoding and communication.
    # ------------------------------------------------------------------
    def entity_reference(self, entity):
        """Return entity reference that uniquely identifies *entity*.

        Return a mapping containing the __entity_type__ of the entity along
        with the key, value pairs that make up it's primary key.
        """
        reference = {"__entity_type__": entity.entity_type}
        with self.auto_populating(False):
            reference.update(ftrack_api.inspection.primary_key(entity))
        return reference

    def _known_reference(self, entity):
        """Return the reference of *entity* from the key values it holds.

        Same as :meth:`entity_reference` without switching auto population
        off (the values are read directly); an entity lacking a key value
        goes through :meth:`entity_reference`, which raises.
        """
        reference = {"__entity_type__": entity.entity_type}
        local = entity._local
        remote = entity._remote
        for name in entity.primary_key_attributes:
            value = local[name] if name in local else remote.get(name, NOT_SET)
            if value is NOT_SET:
                return self.entity_reference(entity)
            reference[name] = str(value)
        return reference

    def _encode_entity(self, entity, strategy):
        """Return mapping encoding *entity* according to *strategy*."""
        data = {"__entity_type__": entity.entity_type}
        primary_key = entity.primary_key_attributes

        if strategy == "all":
            entity._populate_unset_scalar_attributes()

        for attribute in entity.attributes:
            name = attribute.name
            is_collection = isinstance(
                attribute, ftrack_api.attribute.AbstractCollectionAttribute
            )

            if strategy == "all":
                value = attribute.get_value(entity)
            elif strategy == "set_only":
                value = entity._local.get(name, NOT_SET)
                if value is NOT_SET:
                    value = entity._remote.get(name, NOT_SET)
            elif strategy == "modified_only":
                if name in primary_key:
                    value = entity._local.get(name, NOT_SET)
                    if value is NOT_SET:
                        value = entity._remote.get(name, NOT_SET)
                elif attribute.is_modified(entity):
                    value = entity._local.get(name, NOT_SET)
                else:
                    value = NOT_SET
            elif strategy == "persisted_only":
                if attribute.computed:
                    continue
                value = entity._remote.get(name, NOT_SET)
            else:
                raise ValueError(
                    "Unsupported entity_attribute_strategy {0!r}.".format(strategy)
                )

            if value is NOT_SET:
                continue

            if is_collection:
                value = [
                    self.entity_reference(item) for item in attribute._items(value)
                ]
            elif isinstance(value, _Entity):
                value = self.entity_reference(value)

            data[name] = value

        return data

    def encode(self, data, entity_attribute_strategy="set_only"):
        """Return *data* encoded as JSON formatted string.

        *entity_attribute_strategy* specifies how entity attributes should be
        handled. The following strategies are available:

        * *all* - Encode all attributes, loading any that are currently
          NOT_SET.
        * *set_only* - Encode only attributes that are currently set without
          loading any from the remote.
        * *modified_only* - Encode only attributes that have been modified
          locally.
        * *persisted_only* - Encode only remote (persisted) attribute values.
        """
        if entity_attribute_strategy not in (
            "all",
            "set_only",
            "modified_only",
            "persisted_only",
        ):
            raise ValueError(
                'Unsupported entity_attribute_strategy "{0}"'.format(
                    entity_attribute_strategy
                )
            )

        return json.dumps(
            data,
            sort_keys=True,
            default=functools.partial(
                self._encode, entity_attribute_strategy=entity_attribute_strategy
            ),
        )

    def _encode(self, item, entity_attribute_strategy="set_only"):
        """Return JSON encodable version of *item*."""
        if isinstance(item, (arrow.Arrow, datetime.datetime, datetime.date)):
            return {"__type__": "datetime", "value": item.isoformat()}

        if isinstance(item, OperationPayload):
            # Entities given as operation data are sent as references.
            data = dict(item)
            entity_data = data.get("entity_data")
            if isinstance(entity_data, collections.abc.Mapping):
                data["entity_data"] = dict(
                    (key, self.entity_reference(value) if isinstance(value, _Entity) else value)
                    for key, value in entity_data.items()
                )
            return data

        if isinstance(item, _Entity):
            return self._encode_entity(item, entity_attribute_strategy)

        if isinstance(item, _MappedCollectionProxy):
            return [self.entity_reference(entity) for entity in item.collection]

        if isinstance(item, _Collection):
            return [self.entity_reference(entity) for entity in item]

        if isinstance(item, ftrack_api.symbol.Symbol):
            return str(item)

        if isinstance(item, collections.abc.Mapping):
            return dict(item)

        if isinstance(item, (set, frozenset, tuple)):
            return list(item)

        raise TypeError("{0!r} is not JSON serializable".format(item))

    def _decode(self, item):
        """Decode hook building detached entities."""
        if "__type__" in item:
            kind = item["__type__"]
            if kind == "datetime" or kind == "date":
                return _decode_datetime(item["value"])

        entity_type = item.get("__entity_type__")
        if entity_type is None:
            return item

        entity_class = self.types.get(entity_type)
        if entity_class is None:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
        return entity_class(self, item, reconstructing=True)

    def decode(self, string):
        """Return decoded JSON *string* as Python object.

        Entities are created detached: they are not merged into the session.
        """
        return json.loads(string, object_hook=self._decode)

    def call(self, data):
        """Make request to server with *data* batch describing the actions.

        Return the decoded answer. Entities in it are detached: they are
        not merged into the session.
        """
        return self._decode_response(self._send(data), merge=False)

    def _call(self, data):
        """Send *data* and return the answer with its entities merged."""
        return self._call_keeping_response(data)[0]

    def _call_keeping_response(self, data):
        """Send *data*; return (answer with entities merged, response).

        Every request of the session passes :meth:`call`: when it has been
        replaced (a subclass, a test's mock), the replacement is asked and
        its answer merged, and the response is None. Otherwise entities are
        merged while the answer is decoded, which saves building detached
        copies first.
        """
        if "call" in self.__dict__ or type(self).call is not _SESSION_CALL:
            with self._lock:
                return self.merge(self.call(data)), None
        response = self._send(data)
        return self._decode_response(response, merge=True), response

    def _send(self, data):
        """Post *data* to the server; return the response."""
        if self._closed:
            raise ftrack_api.exception.ConnectionClosedError()

        body = self.encode(data, entity_attribute_strategy="modified_only")
        url = self._server_url + "/api"
        try:
            return self._request.post(
                url, data=body.encode("utf-8"), timeout=self.request_timeout
            )
        except requests.exceptions.Timeout as error:
            raise ftrack_api.exception.ServerTimeoutError(
                "The ftrack server at {0} did not answer within {1} seconds: "
                "{2}".format(self._server_url, self.request_timeout, error)
            ) from error
        except requests.exceptions.ConnectionError as error:
            raise ftrack_api.exception.ServerConnectionError(
                "Could not reach the ftrack server at {0}: {1}".format(
                    self._server_url, error
                )
            ) from error

    def _decode_response(self, response, merge):
        """Return the decoded answer of *response*.

        Entities are merged into the session when *merge* is True, else
        detached.
        """
        content = response.content

        try:
            if b'"__' not in content:
                # Nothing to decode beyond plain JSON.
                result = json.loads(content)
            elif not merge:
                result = json.loads(content, object_hook=self._decode)
            else:
                with self._lock:
                    if self._has_lower_caches():
                        touched = []
                        result = json.loads(
                            content, object_hook=self._make_merge_hook(touched)
                        )
                        self._update_lower_caches(touched)
                    else:
                        result = json.loads(
                            content, object_hook=self._make_merge_hook()
                        )
        except ValueError:
            if response.status_code >= 400:
                raise
            error_message = (
                "Server reported error in unexpected format. Raw error was: "
                "{0}".format(content.decode("utf-8", "replace"))
            )
            self._raise_server_error(error_message)

        if isinstance(result, dict) and "exception" in result:
            self._raise_server_error(
                "Server reported error: {0}({1})".format(
                    result["exception"], result["content"]
                )
            )

        if response.status_code >= 400:
            try:
                response.raise_for_status()
            except requests.exceptions.HTTPError as error:
                self._raise_server_error(str(error))

        return result

    def _raise_server_error(self, error_message):
        """Log *error_message* and raise it as a :exc:`~ftrack_api.exception.ServerError`."""
        self.logger.error(error_message)
        raise ftrack_api.exception.ServerError(error_message)

    def _call_action(self, action, data):
        """Call *data*, mapping unknown *action* errors to compatibility errors."""
        try:
            return self._call(data)
        except ftrack_api.exception.ServerCompatibilityError:
            raise
        except ftrack_api.exception.ServerError as error:
            if "Invalid action u'{0}'".format(action) in str(error):
                raise ftrack_api.exception.ServerCompatibilityError(
                    'Server version {0!r} does not support "{1}", please update '
                    "server and try again.".format(
                        self.server_information.get("version"), action
                    )
                )
            raise

    # ------------------------------------------------------------------
    # Custom attribute configurations.
    # ------------------------------------------------------------------
    def _custom_attribute_configuration_records(self):
        """Return custom attribute configurations (cached per session)."""
        configurations = self._custom_attribute_configurations_cache
        if configurations is None:
            configurations = self.query(
                "select key, project_id, id, object_type_id, entity_type, "
                "is_hierarchical from CustomAttributeConfiguration"
            ).all()
            self._custom_attribute_configurations_cache = configurations
        return configurations

    def _custom_attribute_owner_details(self, entity):
        """Return (legacy entity type code, object type id, project id)."""
        entity_type = entity.entity_type

        def value_of(owner, name):
            try:
                value = owner[name]
            except KeyError:
                return None
            return None if value is NOT_SET else value

        if entity_type == "Project":
            return "show", None, value_of(entity, "id")

        project_id = None
        if entity_type == "AssetVersion":
            code = "assetversion"
            asset = value_of(entity, "asset")
            parent = value_of(asset, "parent") if asset is not None else None
            if parent is not None:
                project_id = value_of(parent, "project_id") or (
                    value_of(parent, "id") if parent.entity_type == "Project" else None
                )
            return code, None, project_id

        if entity_type == "Asset":
            parent = value_of(entity, "parent")
            if parent is not None:
                project_id = value_of(parent, "project_id") or (
                    value_of(parent, "id") if parent.entity_type == "Project" else None
                )
            return "asset", None, project_id

        if entity_type == "User":
            return "user", None, None

        if entity_type in ("List", "TypedContextList", "AssetVersionList"):
            return "list", None, value_of(entity, "project_id")

        # Typed contexts.
        project_id = value_of(entity, "project_id")
        if project_id is None:
            parent = value_of(entity, "parent")
            if parent is not None:
                if parent.entity_type == "Project":
                    project_id = value_of(parent, "id")
                else:
                    project_id = value_of(parent, "project_id")
        return "task", value_of(entity, "object_type_id"), project_id

    def _resolve_custom_attribute_configuration(self, entity, key):
        """Return configuration record for *key* applicable to *entity*.

        Project specific configurations are preferred over global ones.
        Raise :exc:`KeyError` when none applies.
        """
        code, object_type_id, project_id = self._custom_attribute_owner_details(
            entity
        )
        fresh = self._custom_attribute_configurations_cache is None
        candidates = self._custom_attribute_candidates(
            key, code, object_type_id, project_id
        )
        if not candidates and not fresh:
            # Configurations may have been added since they were loaded.
            self._custom_attribute_configurations_cache = None
            candidates = self._custom_attribute_candidates(
                key, code, object_type_id, project_id
            )

        if not candidates:
            raise KeyError(
                "Custom attribute {0!r} does not exist for {1!r}.".format(key, entity)
            )

        candidates.sort(key=lambda item: item["project_id"] is None)
        return candidates[0]

    def _custom_attribute_candidates(self, key, code, object_type_id, project_id):
        """Return configurations for *key* (None: any key) applicable to an owner."""
        candidates = []
        for configuration in self._custom_attribute_configuration_records():
            if key is not None and configuration["key"] != key:
                continue
            configuration_project = configuration["project_id"]
            if configuration_project is not None and configuration_project != project_id:
                continue
            if configuration["entity_type"] == code:
                if code == "task" and configuration["object_type_id"] not in (
                    None,
                    object_type_id,
                ):
                    continue
            elif not (
                configuration["is_hierarchical"]
                and code in ("task", "show", "asset", "assetversion")
            ):
                continue
            candidates.append(configuration)
        return candidates

    def _custom_attribute_configurations(self, entity):
        """Return legacy custom attribute configurations for *entity*."""
        return self.query(
            "select key, project_id, id, object_type_id, entity_type from "
            "CustomAttributeConfiguration"
        ).all()

    # ------------------------------------------------------------------
    # Server actions.
    # ------------------------------------------------------------------
    def get_widget_url(self, name, entity=None, theme=None):
        """Return an authenticated URL for widget with *name* and given options.

        The returned URL will be authenticated using a token which will
        expire after 6 minutes.

        *name* should be the name of the widget to return and should be one
        of 'info', 'tasks' or 'tasks_browser'.

        Certain widgets require an entity to be specified. If so, specify it
        by setting *entity* to a valid entity instance.

        *theme* sets the theme of the widget and can be either 'light' or
        'dark' (defaulting to 'dark' if an invalid option given).
        """
        operation = {"action": "get_widget_url", "name": name, "theme": theme}
        if entity:
            operation["entity_type"] = entity.entity_type
            operation["entity_key"] = list(
                ftrack_api.inspection.primary_key(entity).values()
            )

        result = self._call_action("get_widget_url", [operation])
        return result[0]["widget_url"]

    def get_upload_metadata(self, component_id, file_name, file_size, checksum=None):
        """Return URL and headers used to upload data for *component_id*.

        *file_name* and *file_size* should match the components details.

        The returned URL should be requested using HTTP PUT with the
        specified headers.

        The *checksum* is used as the Content-MD5 header and should contain
        the base64-encoded 128-bit MD5 digest of the message (without the
        headers) according to RFC 1864.
        """
        operation = {
            "action": "get_upload_metadata",
            "component_id": component_id,
            "file_name": file_name,
            "file_size": file_size,
            "checksum": checksum,
        }
        result = self._call_action("get_upload_metadata", [operation])
        return result[0]

    def send_user_invite(self, user):
        """Send a invitation to the provided *user*."""
        self.send_user_invites([user])

    def send_user_invites(self, users):
        """Send a invitation to the provided *users* (list of User)."""
        operations = [
            {"action": "send_user_invite", "user_id": user["id"]} for user in users
        ]
        self._call_action("send_user_invite", operations)

    def send_review_session_invite(self, invitee):
        """Send an invite to a review session to *invitee*."""
        self.send_review_session_invites([invitee])

    def send_review_session_invites(self, invitees):
        """Send an invite to a review session to a list of *invitees*."""
        operations = [
            {
                "action": "send_review_session_invite",
                "review_session_invitee_id": invitee["id"],
            }
            for invitee in invitees
        ]
        self._call_action("send_review_session_invite", operations)

    def encode_media(self, media, version_id=None, keep_original="auto"):
        """Return a new Job that encode *media* to make it playable in browsers.

        *media* is a path to a file or a FileComponent in the ftrack.server
        location. A path is first uploaded as a new component to
        ftrack.server (which commits).

        If *version_id* is specified, the new components will automatically
        be associated with the AssetVersion.

        With *keep_original* left at ``'auto'`` the original media is kept
        when it is a FileComponent and deleted when it is a file path; True
        or False decide explicitly.
        """
        if isinstance(media, str):
            server_location = self.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
            component = self.create_component(media, location=server_location)
            if keep_original == "auto":
                keep_original = False
        else:
            component = media
            if keep_original == "auto":
                keep_original = True

        operation = {
            "action": "encode_media",
            "component_id": component["id"],
            "version_id": version_id,
            "keep_original": keep_original,
        }
        result = self._call_action("encode_media", [operation])
        return self.get("Job", result[0]["job_id"])

    # ------------------------------------------------------------------
    # Locations and components.
    # ------------------------------------------------------------------
    def _get_locations(self, filter_inaccessible=True):
        """Return the locations ordered by priority, preferred first.

        When *filter_inaccessible* is True, only locations with an accessor
        in this session are included.
        """
        locations = self.query("Location").all()
        if filter_inaccessible:
            locations = [
                location
                for location in locations
                if getattr(location, "accessor", ftrack_api.symbol.NOT_SET)
                is not ftrack_api.symbol.NOT_SET
            ]
        return sorted(locations, key=lambda location: location.priority)

    def pick_location(self, component=None):
        """Return suitable location to use.

        Without *component*, the accessible location with the best (lowest)
        priority; otherwise the best one holding all of *component*. None
        when no location fits.
        """
        if component is None:
            locations = self._get_locations()
            return locations[0] if locations else None
        return self.pick_locations([component])[0]

    def pick_locations(self, components):
        """Return, for each of *components*, the best accessible location holding it (or None)."""
        components = list(components)
        locations = self._get_locations()
        availabilities = self.get_component_availabilities(components, locations=locations)
        picked = []
        for availability in availabilities:
            chosen = None
            for location in locations:
                if availability.get(location["id"]) == 100.0:
                    chosen = location
                    break
            picked.append(chosen)
        return picked

    def get_component_availability(self, component, locations=None):
        """Return ``{location id: percentage}`` for *component*.

        *locations* limits the result to those locations (default: all).
        """
        return self.get_component_availabilities([component], locations=locations)[0]

    def get_component_availabilities(self, components, locations=None):
        """Return one ``{location id: percentage}`` per component of *components*.

        A file is 0 or 100 percent available in a location; a container the
        average of its members. *locations* limits the result (default: all
        locations).
        """
        components = list(components)
        if locations is None:
            locations = self.query("Location").all()
        locations = list(locations)

        members = {}
        pending = list(components)
        every = []
        while pending:
            component = pending.pop()
            every.append(component)
            if component["id"] not in members:
                members[component["id"]] = ftrack_api.entity.location._members(component)
                pending.extend(members[component["id"]])

        ids = [str(component["id"]) for component in every]
        rows = {}
        if not all(component._created for component in every):
            rows = ftrack_api.entity.location._component_locations(self, ids)
        present = {
            location["id"]: location._available_component_ids(ids, rows=rows)
            for location in locations
        }

        def availability(component, location_id):
            inner = members.get(component["id"]) or []
            if inner:
                return sum(availability(member, location_id) for member in inner) / len(inner)
            return 100.0 if str(component["id"]) in present[location_id] else 0.0

        return [
            {location["id"]: availability(component, location["id"]) for location in locations}
            for component in components
        ]

    def _get_file_type(self, path):
        """File type of *path*: a plugin's answer or the file's extension."""
        results = self._event_hub.publish(
            ftrack_api.event.base.Event(
                topic="ftrack.api.session.get-file-type-from-string",
                data=dict(file_path=path),
            ),
            synchronous=True,
        )
        for result in results:
            if result is not None:
                return result
        return os.path.splitext(path)[-1]

    def _component_plan(self, path, data):
        """Describe the components to make for *path* before creating any.

        Return ``(entity type, data, source path, member plans)``; raise
        :exc:`OSError` when a file cannot be read.
        """
        try:
            collection = clique.parse(path)
        except ValueError:
            collection = None

        if collection is not None:
            expression = collection.format("{head}{padding}{tail}")
            file_type = data.get("file_type") or self._get_file_type(expression)
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
                    size = self._get_filesystem_size(member_path)
                plans.append(("FileComponent", {
                    "name": frame, "file_type": file_type,
                    "size": size}, member_path, []))
            data.setdefault("padding", collection.padding)
            data.setdefault("file_type", file_type)
            data.setdefault("size", sum(plan[1]["size"] for plan in plans))
            return ("SequenceComponent", data, expression, plans)

        if os.path.isdir(path):
            plans = []
            for name in sorted(os.listdir(path)):
                stem, extension = os.path.splitext(name)
                member = {"name": stem if extension and stem else name}
                plans.append(self._component_plan(os.path.join(path, name), member))
            data.setdefault("size", sum(plan[1]["size"] for plan in plans))
            return ("ContainerComponent", data, path, plans)

        data.setdefault("file_type", self._get_file_type(path))
        data.setdefault("size", self._get_filesystem_size(path))
        return ("FileComponent", data, path, [])

    def _create_component(self, entity_type, path, data, location):
        """Create a component of *entity_type* with *data* for the file at *path*.

        The component is registered in ftrack.origin at *path*, then added
        to *location* unless it is falsy.
        """
        component = self.create(entity_type, data)
        origin = self.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
        origin.add_component(component, path, recursive=False)
        if location:
            location.add_component(component, origin, recursive=False)
        return component

    def _get_filesystem_size(self, path):
        """Return the size of the file at *path*, 0 when it cannot be read."""
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    def _create_planned(self, plan, container=None, made=None):
        """Create the components of *plan*; collect ``(component, source path)`` in *made*."""
        entity_type, data, source_path, member_plans = plan
        data = dict(data)
        if container is not None:
            data["container"] = container
        component = self.create(entity_type, data)
        made.append((component, source_path))
        members = [
            self._create_planned(member_plan, container=component, made=made)
            for member_plan in member_plans
        ]
        if "members" in component.keys():
            # Known locally until the server reports them after commit.
            with self.operation_recording(False):
                component["members"] = members
        return component

    def create_component(self, path, data=None, location="auto"):
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
        data = dict(data or {})
        plan = self._component_plan(path, data)
        made = []
        component = self._create_planned(plan, made=made)
        origin = self.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
        try:
            origin.add_components(
                [entity for entity, _ in made], sources=[source for _, source in made],
                recursive=False)
            if location == "auto":
                location = self._auto_location(component)
            if location:
                location.add_component(component, origin, recursive=True)
        except BaseException as error:
            self._forget_components(made, origin, location, error)
            raise
        return component

    def _auto_location(self, component):
        """Where ``location='auto'`` puts a new component (None: nowhere but the origin)."""
        if component["name"] in _REVIEW_COMPONENT_NAMES:
            return self.get("Location", ftrack_api.symbol.REVIEW_LOCATION_ID)
        location = self.pick_location()
        if location is not None and location["id"] == ftrack_api.symbol.ORIGIN_LOCATION_ID:
            return None
        return location

    def _forget_components(self, made, origin, location, error):
        """Undo a failed :meth:`create_component` in the session (and transferred data)."""
        entities = [entity for entity, _ in made]
        origin._deregister_components_in_location(entities)
        for entity in entities:
            self._discard_operations(entity)
        details = getattr(error, "details", None) or {}
        transferred = details.get("transferred") or []
        accessor = getattr(location, "accessor", None)
        if not accessor:
            transferred = []
        for _, identifier in transferred:
            try:
                accessor.remove(identifier)
            except Exception:
                self.logger.debug(
                    L("Could not remove transferred data {0!r}.", identifier))


#: The session's own ``call``, told apart from replacements.
_SESSION_CALL = Session.call


class AutoPopulatingContext(object):
    """Context manager for temporary change of session auto_populate value."""

    def __init__(self, session, auto_populate):
        """Initialise context."""
        super(AutoPopulatingContext, self).__init__()
        self._session = session
        self._auto_populate = auto_populate
        self._current_auto_populate = NOT_SET

    def __enter__(self):
        """Enter context switching to desired auto populate setting."""
        state = self._session._thread_state
        self._current_auto_populate = getattr(state, "auto_populate", NOT_SET)
        state.auto_populate = self._auto_populate

    def __exit__(self, exception_type, exception_value, traceback):
        """Exit context resetting auto populate to original setting."""
        state = self._session._thread_state
        if self._current_auto_populate is NOT_SET:
            try:
                del state.auto_populate
            except AttributeError:
                pass
        else:
            state.auto_populate = self._current_auto_populate


class OperationRecordingContext(object):
    """Context manager for temporary change of session record_operations."""

    def __init__(self, session, record_operations):
        """Initialise context."""
        super(OperationRecordingContext, self).__init__()
        self._session = session
        self._record_operations = record_operations
        self._current_record_operations = NOT_SET

    def __enter__(self):
        """Enter context."""
        state = self._session._thread_state
        self._current_record_operations = getattr(state, "record_operations", NOT_SET)
        state.record_operations = self._record_operations

    def __exit__(self, exception_type, exception_value, traceback):
        """Exit context."""
        state = self._session._thread_state
        if self._current_record_operations is NOT_SET:
            try:
                del state.record_operations
            except AttributeError:
                pass
        else:
            state.record_operations = self._current_record_operations


class OperationPayload(collections.abc.MutableMapping):
    """Represent operation payload."""

    def __init__(self, *args, **kwargs):
        """Initialise payload."""
        super(OperationPayload, self).__init__()
        self._data = dict()
        self.update(dict(*args, **kwargs))

    def __str__(self):
        """Return string representation."""
        return "<{0} {1}>".format(self.__class__.__name__, str(self._data))

    def __getitem__(self, key):
        """Return value for *key*."""
        return self._data[key]

    def __setitem__(self, key, value):
        """Set *value* for *key*."""
        self._data[key] = value

    def __delitem__(self, key):
        """Remove *key*."""
        del self._data[key]

    def __iter__(self):
        """Iterate over all keys."""
        return iter(self._data)

    def __len__(self):
        """Return count of keys."""
        return len(self._data)
