"""A session with a wrong API key; then one with the right key."""

import os

from _common import attempt, report, session


def start(api_key):
    started = session(api_key=api_key)
    started.close()
    return True


report({
    "wrong_key": attempt(start, "0" * 8 + "-wrong-key"),
    "right_key": attempt(start, os.environ["FTRACK_API_KEY"]),
})
