"""The API actions of the local server and the backend that runs them."""

from .backend import Backend

__all__ = ["Backend"]
