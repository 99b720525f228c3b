"""Start two sessions sharing one schema cache; observe types, server
information and whether the second session fetched the schemas again."""

import hashlib
import os
import time

import ftrack_api

from _common import params, report, session

cache_dir = params()["schema_cache_path"]
cache_file = os.path.join(cache_dir, "ftrack_api_schema_cache.json")

first = session()
types = sorted(first.types)
information = dict(first.server_information)
first.close()


def cache_state():
    if not os.path.exists(cache_file):
        return None
    with open(cache_file, "rb") as stream:
        digest = hashlib.md5(stream.read()).hexdigest()
    return {"mtime_ns": os.stat(cache_file).st_mtime_ns, "md5": digest}


before = cache_state()
time.sleep(1.1)  # a rewrite would show as a new modification time
second = session()
second_types = len(second.types)
user_count = len(second.query("select username from User").all())
second.close()

report({
    "client_version": ftrack_api.__version__,
    "types": types,
    "type_count": len(types),
    "server_information": information,
    "cache_before_second": before,
    "cache_after_second": cache_state(),
    "second_type_count": second_types,
    "second_user_count": user_count,
})
