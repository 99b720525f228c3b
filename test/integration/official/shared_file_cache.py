"""Use a file cache shared with another client.

Parameters (JSON on stdin):

* ``cache_path``: path of the :class:`ftrack_api.cache.FileCache` database.
* ``queries``: expressions to run (all results fetched) before ``reads``.
* ``reads``: ``[entity type, id, [attribute paths]]`` entries, each got with
  ``session.get`` and reported as the values of the attribute paths
  (``"parent.name"`` follows references), read without auto population
  unless ``auto_populate`` is true.
* ``key_items``: Python literals of tuples of items, whose keys are made
  with both key makers (the object keys reported in hexadecimal).

Reports the keys and raw values stored in the file cache when done, the
values read, and the number of requests sent to the server while reading.
"""

import ast
import dbm

import ftrack_api.cache
import ftrack_api.entity.base
import ftrack_api.symbol

from _common import params, report, session


def open_session(cache_path):
    def make_cache(a_session):
        return ftrack_api.cache.SerialisedCache(
            ftrack_api.cache.FileCache(cache_path),
            encode=a_session.encode, decode=a_session.decode)

    return session(cache=make_cache)


def follow(entity, path):
    value = entity
    for name in path.split("."):
        if value is None:
            return None
        value = value[name]
        if value is ftrack_api.symbol.NOT_SET:
            return "NOT_SET"
    if isinstance(value, ftrack_api.entity.base.Entity):
        return {"entity_type": value.entity_type, "id": value["id"]}
    return value


arguments = params()
observed = {}

if arguments.get("key_items") is not None:
    keys = []
    for text in arguments["key_items"]:
        items = ast.literal_eval(text)
        keys.append({
            "string": ftrack_api.cache.StringKeyMaker().key(*items),
            "object": ftrack_api.cache.ObjectKeyMaker().key(*items).hex(),
        })
    observed["keys"] = keys

cache_path = arguments.get("cache_path")
if cache_path:
    a_session = open_session(cache_path)
    posts = []
    original_post = a_session._request.post

    def counting_post(url, *args, **kwargs):
        posts.append(kwargs.get("data"))
        return original_post(url, *args, **kwargs)

    a_session._request.post = counting_post

    for expression in arguments.get("queries", []):
        a_session.query(expression).all()

    posts[:] = []
    reads = []
    with a_session.auto_populating(bool(arguments.get("auto_populate"))):
        for entity_type, entity_id, paths in arguments.get("reads", []):
            entity = a_session.get(entity_type, entity_id)
            if entity is None:
                reads.append(None)
                continue
            reads.append({path: follow(entity, path) for path in paths})
    observed["reads"] = reads
    observed["read_requests"] = len(posts)
    a_session.close()

    stored = ftrack_api.cache.FileCache(cache_path)
    observed["stored"] = {key: stored.get(key) for key in stored.keys()}
    observed["dbm"] = dbm.whichdb(cache_path)

report(observed)
