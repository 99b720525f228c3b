"""Generated requests never make the server answer 5xx or hang.

Hypothesis builds ``POST /api`` requests from the request grammar: batches
of operations with real and near-real actions, entity types, attributes
and query expressions (built from the query language, then sometimes
broken), data of random JSON, and raw bodies that are no batch at all.
Each goes to a real server over HTTP, as its admin, with or without
``ftrack-strict-api``; every answer must be below 500 and arrive within
:data:`REQUEST_TIMEOUT`. The run is derandomised, so CI sees the same
requests every time.
"""

import base64
import functools
import gzip
import json
import string
import uuid
import zlib

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from ftrack_local import schema as schema_module, seed
from ftrack_local.testing import database_url, throwaway_database
from server_process import ServerProcess

#: Requests the test sends (one per example).
EXAMPLES = 5000
#: Seconds one request may take before the test counts it as a hang.
REQUEST_TIMEOUT = 30

SCHEMA = schema_module.load()
TYPE_NAMES = sorted(SCHEMA.types)
ATTRIBUTE_NAMES = sorted({name for entity_type in SCHEMA.types.values()
                          for name in entity_type.attributes})
#: Actions, the common ones listed more often so they are drawn more often;
#: "populate" stands for the query a client's populate sends.
ACTIONS = ["query"] * 5 + ["populate"] * 2 + ["create"] * 3 + ["update"] * 2 + [
    "delete", "reset_remote", "get_upload_metadata", "complete_multipart_upload",
    "encode_media", "query_server_information", "query_schemas", "get_widget_url",
    "send_user_invite", "send_review_session_invite", "delayed_job", "Query", "create ", "",
    "unknown_action"]
KEYS = ["action", "entity_type", "entity_key", "entity_data", "expression", "reset_type",
        "component_id", "file_name", "file_size", "checksum", "parts", "upload_id", "name",
        "theme", "user_id", "job_type", "values", "version", "keep_original",
        "review_session_invitee_id", "__entity_type__"]
OPERATORS = ["is", "is_not", "=", "!=", ">", "<", ">=", "<=", "like", "not_like", "after",
             "before", "greater_than", "less_than", "=>", "==", "is not"]
#: Ids of the seed data; the fuzzer may read and write them but must never
#: touch the admin user, whose key it uses.
SEED_IDS = [seed.SERVER_LOCATION_ID, str(uuid.UUID(int=0)), "not-an-id"]

# -- JSON values ----------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.sampled_from([2 ** 31, 2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 30, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 0.1]),
    st.text(max_size=30),
    st.sampled_from(["NaN", "Infinity", "-0", "1e400", "", " ", "null", "2024-02-30T25:61:00",
                     "2024-01-01T00:00:00", "\x00", "\u202e", "\U0001F600", "%", "_",
                     "x" * 5000]),
    st.uuids().map(str),
    st.sampled_from(SEED_IDS),
)
JSON_VALUES = st.recursive(
    SCALARS, lambda children: st.one_of(st.lists(children, max_size=4),
                                        st.dictionaries(st.text(max_size=10), children,
                                                        max_size=4)),
    max_leaves=6)


def _deep(depth):
    value = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


VALUES = JSON_VALUES
#: Values nested a little or far beyond what the server accepts.
DEEP_VALUES = st.one_of(st.integers(1, 12), st.integers(50, 120)).map(_deep)

# -- query expressions ----------------------------------------------------------------------

IDENTIFIER = st.one_of(st.sampled_from(ATTRIBUTE_NAMES), st.sampled_from(ATTRIBUTE_NAMES),
                       st.text(string.ascii_letters + "_", min_size=1, max_size=8))
REAL_TYPE = st.sampled_from(TYPE_NAMES)
TYPE_NAME = st.one_of(REAL_TYPE, REAL_TYPE, REAL_TYPE, REAL_TYPE,
                      st.sampled_from(["", "task", "Task]", "1X"]),
                      st.text(string.ascii_letters, min_size=1, max_size=8))


@functools.lru_cache(maxsize=None)
def attributes_of(type_name):
    """The attribute names of *type_name* (a few common ones for junk types)."""
    entity_type = SCHEMA.types.get(type_name)
    names = sorted(entity_type.attributes) if entity_type is not None else []
    return st.sampled_from(names or ["id", "name", "parent", "metadata"])


@functools.lru_cache(maxsize=None)
def attribute_paths(type_name=None):
    """Dotted attribute paths, starting from *type_name* when given (one strategy per type)."""
    return _attribute_paths(type_name)


@st.composite
def _attribute_paths(draw, type_name):
    first = draw(st.one_of(attributes_of(type_name), IDENTIFIER) if type_name
                 else IDENTIFIER)
    steps = [first] + draw(st.lists(IDENTIFIER, max_size=2))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(steps) - 1))
        steps[index] = "{0}[{1}]".format(steps[index], draw(TYPE_NAME))
    return ".".join(steps)


LITERALS = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.text(max_size=12).map(lambda text: "'{0}'".format(text.replace("'", ""))),
    st.integers().map(str), st.floats(allow_nan=False).map(repr),
    st.sampled_from(["none", "null", "true", "False", '"2020-01-01"', '"unclosed', "'", '""',
                     '"a\\"b"', "9" * 40]),
    st.uuids().map(lambda value: '"{0}"'.format(value)),
)


@functools.lru_cache(maxsize=None)
def criteria(type_name=None):
    """Where clauses about *type_name*: conditions, nested relations and sub-queries."""
    def simple():
        return st.tuples(attribute_paths(type_name), st.sampled_from(OPERATORS),
                         LITERALS).map(" ".join)

    def extend(children):
        condition = st.one_of(
            simple(), simple(),
            st.tuples(attribute_paths(type_name), st.sampled_from(["in", "not_in"]),
                      st.lists(LITERALS, max_size=4)).map(
                lambda parts: "{0} {1} ({2})".format(parts[0], parts[1], ", ".join(parts[2]))),
            st.tuples(attribute_paths(type_name), st.sampled_from(["has", "any"]),
                      children).map(lambda parts: "{0} {1} ({2})".format(*parts)),
            st.tuples(attribute_paths(type_name), st.sampled_from(["has", "any"])).map(
                lambda parts: "{0} {1} ()".format(*parts)),
            children.map("not {0}".format),
            children.map("({0})".format),
            st.tuples(attribute_paths(type_name), st.sampled_from(["in", "not_in"]), TYPE_NAME,
                      children).map(
                lambda parts: "{0} {1} (select id from {2} where {3})".format(*parts)),
        )
        return st.one_of(condition, st.tuples(
            condition, st.sampled_from(["and", "or", "AND", ""]), children).map(" ".join))

    return st.recursive(simple(), extend, max_leaves=4)
PAGING = st.one_of(st.integers(0, 100), st.sampled_from([2 ** 63 - 1, 2 ** 63, 10 ** 40]),
                   st.integers(-5, -1))


@st.composite
def expressions(draw):
    parts = []
    type_name = draw(TYPE_NAME)
    if draw(st.booleans()):
        parts.append("select {0} from".format(
            ", ".join(draw(st.lists(attribute_paths(type_name), min_size=1, max_size=4)))))
    parts.append(type_name)
    if draw(st.booleans()):
        parts.append("where " + draw(criteria(type_name)))
    if draw(st.booleans()):
        parts.append("order by {0} {1}".format(draw(attribute_paths(type_name)),
                                               draw(st.sampled_from(["", "asc", "desc", "x"]))))
    for clause in draw(st.lists(st.sampled_from(["offset", "limit"]), max_size=2)):
        parts.append("{0} {1}".format(clause, draw(PAGING)))
    text = " ".join(parts)
    mangle = draw(st.integers(0, 7))
    if mangle == 0 and text:
        text = text[:draw(st.integers(0, len(text)))]
    elif mangle == 1:
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(['"', "'", "(", ")", "[", "]", ",", "\\",
                                                       "\x00", " and", " or "])) + text[position:]
    return text


#: Mostly query expressions, sometimes a value that is no text.
EXPRESSIONS = st.one_of(*[expressions()] * 8, SCALARS)
POPULATE = st.builds(
    lambda entity_type, projections, ids: "select {0} from {1} where id in ({2})".format(
        ", ".join(projections), entity_type, ", ".join('"{0}"'.format(i) for i in ids)),
    TYPE_NAME, st.lists(attribute_paths(), min_size=1, max_size=3),
    st.lists(st.one_of(st.uuids().map(str), st.sampled_from(SEED_IDS)), max_size=3))

# -- operations and bodies ------------------------------------------------------------------


PLAUSIBLE = st.one_of(st.text(max_size=20), st.integers(-10, 10 ** 6), st.floats(-1e6, 1e6),
                      st.booleans(), st.none(), st.uuids().map(str),
                      st.sampled_from(["2024-05-01T10:00:00", "2024-05-01", SEED_IDS[0]]),
                      st.dictionaries(st.sampled_from(["__entity_type__", "id"]),
                                      st.one_of(REAL_TYPE, st.uuids().map(str)), max_size=2))


@functools.lru_cache(maxsize=None)
def data_or_junk(entity_type):
    """Mostly entity data for *entity_type*, sometimes any JSON value."""
    return st.one_of(*[_entity_data(entity_type)] * 6, VALUES)


@st.composite
def _entity_data(draw, entity_type):
    data = draw(st.dictionaries(st.one_of(attributes_of(entity_type), IDENTIFIER),
                                st.one_of(PLAUSIBLE, PLAUSIBLE, VALUES), max_size=6))
    if draw(st.booleans()):
        data["__entity_type__"] = entity_type if draw(st.booleans()) else draw(TYPE_NAME)
    if draw(st.booleans()):
        data["id"] = draw(st.one_of(st.uuids().map(str), SCALARS))
    return data


ENTITY_KEYS = st.one_of(
    st.lists(st.one_of(st.uuids().map(str), st.sampled_from(SEED_IDS)), min_size=1, max_size=2),
    st.uuids().map(str), SCALARS.filter(lambda value: value not in (None, "", 0, False)),
    st.lists(SCALARS, min_size=1, max_size=3))


@st.composite
def operations(draw):
    action = draw(st.sampled_from(ACTIONS))
    entity_type = draw(TYPE_NAME)
    operation = {"action": action}
    if action == "populate":
        operation.update(action="query", expression=draw(POPULATE))
    elif action in ("query", "Query"):
        operation["expression"] = draw(EXPRESSIONS)
    elif action in ("create", "update", "create "):
        operation["entity_type"] = entity_type
        operation["entity_data"] = draw(data_or_junk(entity_type))
        if action != "create" or draw(st.booleans()):
            operation["entity_key"] = draw(ENTITY_KEYS)
    elif action == "delete":
        operation.update(entity_type=entity_type, entity_key=draw(ENTITY_KEYS))
    elif action == "reset_remote":
        # Always about some other entity: resetting the admin's own key
        # would lock the fuzzer out.
        operation.update(entity_type=entity_type, entity_key=draw(ENTITY_KEYS),
                         reset_type=draw(st.one_of(IDENTIFIER, st.just("api_key"), SCALARS)))
    elif action in ("get_upload_metadata", "complete_multipart_upload", "encode_media"):
        operation.update(
            component_id=draw(st.one_of(st.uuids().map(str), st.sampled_from(SEED_IDS), SCALARS)),
            file_name=draw(st.one_of(st.text(max_size=20), SCALARS)),
            file_size=draw(st.one_of(st.none(), st.integers(0, 2 ** 70), SCALARS)),
            checksum=draw(st.one_of(st.none(), st.binary(min_size=16, max_size=16).map(
                lambda digest: base64.b64encode(digest).decode("ascii")), SCALARS)),
            parts=draw(st.one_of(st.none(), st.integers(-1, 10001), SCALARS, VALUES)),
            upload_id=draw(st.one_of(st.text(string.hexdigits, max_size=32), SCALARS)),
            version=draw(SCALARS))
        if action == "complete_multipart_upload":
            operation["parts"] = draw(st.lists(st.fixed_dictionaries(
                {"part_number": st.one_of(st.integers(-1, 10001), SCALARS),
                 "e_tag": st.one_of(st.text(string.hexdigits, max_size=34), SCALARS)}),
                max_size=3))
    elif action == "get_widget_url":
        operation.update(name=draw(st.sampled_from(["info", "tasks", "tasks_browser", "x"])),
                         theme=draw(SCALARS))
        if draw(st.booleans()):
            operation.update(entity_type=entity_type, entity_key=draw(ENTITY_KEYS))
    elif action == "delayed_job":
        operation["job_type"] = draw(st.one_of(st.just("SYNC_USERS_LDAP"), SCALARS))
    elif action in ("send_user_invite", "send_review_session_invite"):
        target = draw(st.one_of(st.uuids().map(str), st.sampled_from(SEED_IDS), SCALARS))
        operation["user_id"] = operation["review_session_invitee_id"] = target
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=2)):
        if key not in operation or draw(st.integers(0, 9)) == 0:
            operation[key] = draw(VALUES)
    if action == "reset_remote" and not operation.get("entity_key"):
        operation["entity_key"] = [str(uuid.uuid4())]
    return operation


def _dump(value):
    return json.dumps(value, allow_nan=True).encode("utf-8")


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    VALUES.map(_dump),
    st.sampled_from([b"", b"[", b"[]", b"{}", b"null", b"[null]", b"[[]]", b"[1, 2]",
                     b'[{"action": "query"}', b"\xef\xbb\xbf[]", b'"\\ud800"',
                     b'[{"action": "query", "expression": "\\udfff"}]', b"[" * 3000,
                     b'[{"action": "query", "expression": 1e999}]', b"NaN"]),
)


@st.composite
def requests_to_send(draw):
    """(body bytes, extra headers)."""
    kind = draw(st.integers(0, 9))
    headers = {}
    strict = draw(st.sampled_from(["true", "false", "TRUE", None, "yes"]))
    if strict is not None:
        headers["ftrack-strict-api"] = strict
    if kind <= 5:
        body = _dump(draw(st.lists(operations(), min_size=1, max_size=3)))
    elif kind == 6:
        operation = draw(operations())
        operation[draw(st.sampled_from(KEYS[1:]))] = draw(DEEP_VALUES)
        body = _dump([operation])
    elif kind == 7:
        body = draw(RAW_BODIES)
    else:
        body = _dump(draw(st.lists(operations(), max_size=2)))
        encoding = draw(st.sampled_from(["gzip", "deflate", "x-gzip", "br", "gzip, deflate"]))
        how = draw(st.integers(0, 3))
        if how == 0:
            body = gzip.compress(body)
        elif how == 1:
            body = zlib.compress(body)
        elif how == 2:
            body = gzip.compress(body)[:draw(st.integers(0, 30))]
        else:
            body = b"\x1f\x8b" + draw(st.binary(max_size=40))
        headers["Content-Encoding"] = encoding
    return body, headers


# -- the test ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A ``serve`` process of its own (it runs beside the generator, on another core)."""
    with throwaway_database(database_url()) as database:
        with ServerProcess(tmp_path_factory.mktemp("fuzz") / "data", database=database,
                           arguments=["--max-body-size", "8M"]) as process:
            yield process
            assert process.process is not None and process.process.poll() is None, \
                process.log_text()


@pytest.fixture(scope="module")
def http(server):
    session = requests.Session()
    session.headers.update({"ftrack-user": server.api_user, "ftrack-api-key": server.api_key,
                            "Content-Type": "application/json"})
    try:
        yield session
    finally:
        session.close()


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(server, http):
    sent = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests_to_send())
    def check(request):
        body, headers = request
        response = http.post(server.url + "/api", data=body, headers=headers,
                             timeout=REQUEST_TIMEOUT)
        sent.append(len(body))
        assert response.status_code < 500, (body[:2000], headers, response.text[:2000])
        if response.status_code >= 400 and \
                response.headers.get("Content-Type", "").startswith("application/json"):
            # (the HTTP layer answers a few malformed requests in plain text)
            envelope = response.json()
            assert envelope["exception"] and envelope["content"], envelope

    check()
    assert len(sent) >= EXAMPLES
    answer = http.post(server.url + "/api", timeout=REQUEST_TIMEOUT, data=json.dumps([
        {"action": "query", "expression": 'select id, username from User where username is '
                                          '"{0}"'.format(server.api_user)}]))
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["data"][0]["username"] == server.api_user


# -- requests the fuzzer once turned into server errors ----------------------------------------

@pytest.mark.parametrize("operation, exception, fragment", [
    ({"action": "send_user_invite", "user_id": "\x00"}, "ValidationError", "NUL character"),
    ({"action": "query", "expression": 'select id from User where username is "a\x00"'},
     "ValidationError", "NUL character"),
    ({"action": {"k": "v"}}, "InvalidActionError", "Invalid action"),
    ({"action": ["query"]}, "InvalidActionError", "Invalid action"),
])
def test_former_server_errors_are_client_errors(server, http, operation, exception, fragment):
    response = http.post(server.url + "/api", data=json.dumps([operation]),
                         headers={"ftrack-strict-api": "true"}, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 400, response.text
    assert response.json()["exception"] == exception
    assert fragment in response.json()["content"]
