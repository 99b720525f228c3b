"""Mutable mappings whose items live in a plain dictionary.

Events and operation payloads behave like dictionaries but are objects of
their own; :class:`DictBackedMapping` gives them the mapping interface by
handing every operation to their ``_data`` dictionary.
"""

from __future__ import annotations

import collections.abc
from typing import Any, Dict, Iterator


class DictBackedMapping(collections.abc.MutableMapping):
    """A mutable mapping keeping its items in the dictionary ``_data``.

    Subclasses set ``self._data`` in their ``__init__``.
    """

    _data: Dict[Any, Any]

    def __getitem__(self, key: Any) -> Any:
        """Return the value stored under *key*."""
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        """Store *value* under *key*."""
        self._data[key] = value

    def __delitem__(self, key: Any) -> None:
        """Remove *key* and its value."""
        del self._data[key]

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the keys."""
        return iter(self._data)

    def __len__(self) -> int:
        """Return the number of keys."""
        return len(self._data)

    def __contains__(self, key: Any) -> bool:
        """Return whether *key* is present."""
        return key in self._data
