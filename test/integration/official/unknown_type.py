"""Query an entity type the server does not have, through the client and
through a raw call."""

from _common import attempt, report, session, still_answering

a_session = session()
report({
    "client_query": attempt(lambda: a_session.query("NoSuchType").all()),
    "raw_call": attempt(a_session.call, [
        {"action": "query", "expression": "select id from NoSuchType"}]),
    "still_answering": still_answering(a_session),
})
