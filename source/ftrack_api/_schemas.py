"""A session's schemas: where they come from, the cache file, entity classes.

The server describes its entity types as schemas and reports their hash with
its information (doc/protocol.rst, "Server information and schemas"). The
session keeps them in a cache file and only asks for them when the hash of
the cached copy differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from typing import Any, Dict, List, Optional, Tuple, Union

import ftrack_api.entity.factory
import ftrack_api.event.base
from ftrack_api.logging import LazyLogMessage as L

#: Name of the cache file inside the schema cache folder.
CACHE_FILENAME = "ftrack_api_schema_cache.json"

#: Event topic asking plugins for the class of one entity type.
CONSTRUCT_TOPIC = "ftrack.api.session.construct-entity-type"

#: Priority of the built in handler constructing entity classes; plugins
#: subscribing with usual priorities are called first and take precedence.
DEFAULT_CONSTRUCT_PRIORITY = 2 ** 31

#: Builds the default entity classes; it keeps no state between classes.
STANDARD_FACTORY = ftrack_api.entity.factory.StandardFactory()

logger = logging.getLogger(__name__)


def default_cache_directory() -> str:
    """Return the per user folder holding the schema cache by default."""
    try:
        import platformdirs

        return platformdirs.user_cache_dir("ftrack_api", appauthor=False)
    except Exception:  # pragma: no cover - platformdirs is a dependency.
        return os.path.join(tempfile.gettempdir(), "ftrack_api")


def cache_folder(schema_cache_path: Any) -> Any:
    """The folder the session option *schema_cache_path* names (False: none).

    None means :envvar:`FTRACK_API_SCHEMA_CACHE_PATH`, or the per user
    folder when that is not set either.
    """
    if schema_cache_path is None:
        schema_cache_path = os.environ.get("FTRACK_API_SCHEMA_CACHE_PATH")
        if not schema_cache_path:
            schema_cache_path = default_cache_directory()
    return schema_cache_path


def cache_file(schema_cache_path: Any) -> Union[str, bool]:
    """Path of the cache file in folder *schema_cache_path* (False: caching off)."""
    if schema_cache_path is False:
        return False
    return os.path.join(
        os.path.abspath(os.path.expanduser(str(schema_cache_path))), CACHE_FILENAME
    )


def schema_hash(schemas: Any) -> str:
    """Return the hash of *schemas* as the server computes it."""
    return hashlib.md5(json.dumps(schemas, sort_keys=True).encode("utf-8")).hexdigest()


def read_cache_file(path: str) -> Tuple[List[dict], Optional[str]]:
    """Return the schemas in cache file *path* and their hash.

    A missing file gives ``([], None)``; unreadable content raises.
    """
    logger.debug(L("Reading schemas from cache {0!r}", path))
    if not os.path.exists(path):
        logger.info(L("Cache file not found at {0!r}.", path))
        return [], None
    with open(path, "r", encoding="utf-8") as handle:
        schemas = json.load(handle)
    return schemas, schema_hash(schemas)


def write_cache_file(path: str, text: bytes) -> None:
    """Replace cache file *path* by *text* whole, so readers never see a partial file."""
    logger.debug(L("Updating schema cache {0!r} with new schemas.", path))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary_path = tempfile.mkstemp(dir=directory, prefix=".schema-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text)
        os.replace(temporary_path, path)
    except BaseException:
        try:
            os.remove(temporary_path)
        except OSError:
            pass
        raise


def last_element_text(content: bytes, count: int) -> bytes:
    """The JSON text of the last element of the JSON array *content*.

    *content* holds *count* elements. Only the ones before the last are
    parsed; the last (the schemas, kept exactly as the server sent them)
    runs to the array's closing bracket.
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


def _skip_space(text: str, position: int) -> int:
    while text[position] in " \t\r\n":
        position += 1
    return position


class SchemaSource(object):
    """Fetches a session's schemas, from its cache file when that is current.

    The session's schema methods delegate here; the steps that tests and
    plugins replace on a session (``call``, ``_read_schemas_from_cache``,
    ``_write_schemas_to_cache``, ``_server_information``) are looked up on
    the session each time.
    """

    def __init__(self, session: Any) -> None:
        """Serve *session*."""
        self._session = session
        #: Schemas that came with the server information, until used.
        self._downloaded: Optional[list] = None
        #: (schemas, answer text, operation count) of the last download.
        self._answer: Optional[Tuple[list, bytes, int]] = None

    def fetch_server_information(self, with_schemas: bool = False) -> dict:
        """Return the server information; also download the schemas when *with_schemas*."""
        operations = [{"action": "query_server_information"}]
        if with_schemas:
            operations.append({"action": "query_schemas"})
        result, content = self._session._call_keeping_response(operations)
        if with_schemas:
            self._downloaded = result[1]
            self.keep_answer(result[1], content, 2)
        return result[0]

    def keep_answer(self, schemas: list, content: Optional[bytes], count: int) -> None:
        """Remember that *schemas* came as the last of *count* results of answer *content*.

        Writing the cache then stores the server's text rather than encoding
        the schemas again. *content* is None when the answer came from a
        replaced ``call``.
        """
        self._answer = None if content is None else (schemas, content, count)

    def text_of(self, schemas: Any) -> bytes:
        """The JSON text to store for *schemas*: the server's own when kept."""
        kept, self._answer = self._answer, None
        if kept is not None and kept[0] is schemas:
            return last_element_text(kept[1], kept[2])
        return json.dumps(schemas).encode("utf-8")

    def read_cache(self, schema_cache_path: str) -> Tuple[List[dict], Optional[str]]:
        """Return the schemas in cache file *schema_cache_path* and their hash (see :func:`read_cache_file`)."""
        return read_cache_file(schema_cache_path)

    def write_cache(self, schemas: Any, schema_cache_path: str) -> None:
        """Store *schemas* in cache file *schema_cache_path*, replacing it whole.

        Schemas that cannot be encoded raise :exc:`TypeError` and leave the
        file as it was.
        """
        write_cache_file(schema_cache_path, self.text_of(schemas))

    def load(self, schema_cache_path: Union[str, bool]) -> List[dict]:
        """Return the schemas, from cache file *schema_cache_path* when its hash is current.

        Otherwise they are fetched (or taken from the download that came with
        the server information) and the cache file is rewritten. False as
        *schema_cache_path* always fetches them.
        """
        session = self._session
        path = schema_cache_path
        cached_hash = None
        schemas: List[dict] = []
        if path:
            try:
                schemas, cached_hash = session._read_schemas_from_cache(path)
            except (IOError, TypeError, AttributeError, ValueError):
                logger.exception(L("Schema cache could not be loaded from {0!r}", path))

        server_hash = session._server_information.get("schema_hash", False)
        if cached_hash == server_hash:
            logger.debug(L("Using cached schemas from {0!r}", path))
            return schemas

        logger.debug(L(
            "Loading schemas from server due to hash not matching. Local: {0!r} != Server: {1!r}",
            cached_hash, server_hash,
        ))
        schemas = self._fresh_schemas()
        if path:
            try:
                session._write_schemas_to_cache(schemas, path)
            except (IOError, TypeError):
                logger.exception(L("Failed to update schema cache {0!r}.", path))
        self._answer = None
        return schemas

    def build_types(self, schemas: List[dict]) -> Dict[str, type]:
        """Return the entity classes for *schemas* (see :func:`build_entity_type_classes`)."""
        return build_entity_type_classes(self._session._event_hub, schemas)

    def _fresh_schemas(self) -> list:
        """The schemas downloaded with the server information, else fetched now."""
        if self._downloaded is not None:
            schemas, self._downloaded = self._downloaded, None
            return schemas
        result, content = self._session._call_keeping_response([{"action": "query_schemas"}])
        self.keep_answer(result[0], content, 1)
        return result[0]


def construct_default_class(event: Any) -> type:
    """Return the class StandardFactory builds for the schema of *event*."""
    return STANDARD_FACTORY.create(event["data"]["schema"])


def build_entity_type_classes(event_hub: Any, schemas: List[dict]) -> Dict[str, type]:
    """Return the entity class of each of *schemas*, by entity type.

    Each class is asked for with a ``ftrack.api.session.construct-entity-type``
    event: a plugin's answer wins over the built in one (which answers last).
    """
    types: Dict[str, type] = {}
    for schema in schemas:
        results = event_hub.publish(
            ftrack_api.event.base.Event(
                topic=CONSTRUCT_TOPIC, data=dict(schema=schema, schemas=schemas)
            ),
            synchronous=True,
        )
        results = [result for result in results if result is not None]
        if not results:
            logger.debug(L(
                "Using default StandardFactory to construct entity type class for {0!r}",
                schema["id"],
            ))
            entity_type_class = STANDARD_FACTORY.create(schema)
        else:
            if len(results) > 2:
                logger.warning(L(
                    "More than one handler constructed a class for {0!r}; using the first.",
                    schema["id"],
                ))
            entity_type_class = results[0]

        types[entity_type_class.entity_type] = entity_type_class
        if entity_type_class.entity_type != schema["id"]:
            types[schema["id"]] = entity_type_class
    return types
