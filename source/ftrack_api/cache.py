"""Caching framework.

A :class:`Cache` stores values against unique keys. Concrete caches keep the
data in memory (:class:`MemoryCache`) or in a database file
(:class:`FileCache`); others wrap caches to add behaviour
(:class:`ProxyCache`, :class:`SerialisedCache`) or stack several of them
(:class:`LayeredCache`).

Keys are produced by a :class:`KeyMaker`. A :class:`Memoiser` combines a cache
and a key maker to remember the results of function calls; :func:`memoise` is
a ready made decorator using a module wide memoiser.
"""

from __future__ import annotations

import abc
import collections.abc
import contextlib
import copy
import dbm
import dbm.dumb
import functools
import inspect
import os
import pickle
import re
import threading
import types
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union


class Cache(metaclass=abc.ABCMeta):
    """Interface of a key/value cache.

    Subclasses must implement :meth:`get`, :meth:`set` and :meth:`remove`,
    and should implement :meth:`keys` so that :meth:`values` and
    :meth:`clear` work. Each key is unique within a cache.
    """

    @abc.abstractmethod
    def get(self, key: Any) -> Any:
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """

    @abc.abstractmethod
    def set(self, key: Any, value: Any) -> None:
        """Store *value* for *key*, replacing any previous value."""

    @abc.abstractmethod
    def remove(self, key: Any) -> None:
        """Remove *key* and its value.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """

    def keys(self) -> list[Any]:
        """Return list of the keys currently in the cache.

        .. warning::

            With concurrent access the actual keys may change as soon as
            the list is returned.
        """
        raise NotImplementedError()

    def values(self) -> list[Any]:
        """Return list of the values currently in the cache."""
        values = []
        for key in self.keys():
            try:
                values.append(self.get(key))
            except KeyError:
                # Removed since the keys were listed.
                continue
        return values

    def clear(self, pattern: Optional[str] = None) -> None:
        """Remove all keys matching *pattern*.

        *pattern* is a regular expression string searched for in each key
        (converted to text if needed). When *pattern* is None every key is
        removed.
        """
        expression = None
        if pattern is not None:
            expression = re.compile(pattern)

        for key in self.keys():
            if expression is not None:
                if isinstance(key, bytes):
                    text = key.decode("utf-8", "replace")
                else:
                    text = str(key)
                if not expression.search(text):
                    continue

            try:
                self.remove(key)
            except KeyError:
                # Already gone.
                continue


class ProxyCache(Cache):
    """Cache forwarding every call to another cache."""

    def __init__(self, proxied: Cache) -> None:
        """Forward to *proxied* cache."""
        self.proxied = proxied
        super(ProxyCache, self).__init__()

    def get(self, key: Any) -> Any:
        """Return value stored for *key* in the proxied cache.

        Raise :exc:`KeyError` if *key* is not found.
        """
        return self.proxied.get(key)

    def set(self, key: Any, value: Any) -> None:
        """Store *value* for *key* in the proxied cache."""
        return self.proxied.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from the proxied cache.

        Raise :exc:`KeyError` if *key* is not found.
        """
        return self.proxied.remove(key)

    def keys(self) -> list[Any]:
        """Return list of the keys currently in the proxied cache."""
        return self.proxied.keys()


class LayeredCache(Cache):
    """Stack of caches searched from top (shallowest) to bottom."""

    def __init__(self, caches: Sequence[Cache]) -> None:
        """Use *caches*, a sequence ordered from shallowest to deepest."""
        super(LayeredCache, self).__init__()
        self.caches = caches

    def get(self, key: Any) -> Any:
        """Return value for *key* from the shallowest layer holding it.

        The value found is also stored in every shallower layer so that
        later look ups are served sooner. Raise :exc:`KeyError` if no layer
        holds *key*.
        """
        for index, cache in enumerate(self.caches):
            try:
                value = cache.get(key)
            except KeyError:
                continue

            for shallower in self.caches[:index]:
                shallower.set(key, value)

            return value

        raise KeyError(key)

    def set(self, key: Any, value: Any) -> None:
        """Store *value* for *key* in every layer."""
        for cache in self.caches:
            cache.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from every layer holding it.

        Raise :exc:`KeyError` only if no layer held *key*.
        """
        removed = False
        for cache in self.caches:
            try:
                cache.remove(key)
            except KeyError:
                continue
            removed = True

        if not removed:
            raise KeyError(key)

    def keys(self) -> list[Any]:
        """Return list of the keys held by any layer, without duplicates."""
        keys = []
        seen = set()
        for cache in self.caches:
            for key in cache.keys():
                if key in seen:
                    continue
                seen.add(key)
                keys.append(key)
        return keys


class MemoryCache(Cache):
    """Cache keeping values in a dictionary in memory.

    Safe to use from several threads.
    """

    def __init__(self) -> None:
        """Create an empty cache."""
        super(MemoryCache, self).__init__()
        self._cache = {}
        self._lock = threading.RLock()

    def get(self, key: Any) -> Any:
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._lock:
            return self._cache[key]

    def set(self, key: Any, value: Any) -> None:
        """Store *value* for *key*."""
        with self._lock:
            self._cache[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._lock:
            del self._cache[key]

    def keys(self) -> list[Any]:
        """Return list of the keys currently in the cache."""
        with self._lock:
            return list(self._cache.keys())


_FILE_LOCKS = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _lock_for_path(path: str) -> threading.RLock:
    """Return lock shared by every FileCache using *path* in this process."""
    key = os.path.normcase(os.path.abspath(path))
    with _FILE_LOCKS_GUARD:
        lock = _FILE_LOCKS.get(key)
        if lock is None:
            lock = _FILE_LOCKS[key] = threading.RLock()
        return lock


def _as_text(value: Union[bytes, str]) -> Union[bytes, str]:
    """Return *value* decoded from UTF-8 when it is bytes that allow it."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


class FileCache(Cache):
    """Cache persisting values in a DBM database file at a path.

    Keys and values must be text or bytes; a :class:`SerialisedCache` can be
    wrapped around this cache to store other values. Values are returned as
    text when they are valid UTF-8.

    New databases use the portable :mod:`dbm.dumb` format (files named after
    *path* with extra extensions); existing databases in any format known to
    :mod:`dbm` are opened as they are. The database is opened for each
    operation only, so several caches (even in other processes) can use the
    same path, but no locking across processes is done.
    """

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        """Use database at *path*, creating it if needed."""
        self.path = os.fspath(path)
        self._lock = _lock_for_path(self.path)
        super(FileCache, self).__init__()

        # Create the database straight away to report problems early.
        with self._database("c"):
            pass

    def _open(self, flag: str) -> Any:
        """Return database opened with *flag*."""
        kind = dbm.whichdb(self.path)
        if kind is None or kind == "dbm.dumb":
            return dbm.dumb.open(self.path, flag)

        if kind == "" and os.path.isfile(self.path) and not os.path.getsize(self.path):
            # An empty placeholder file: keep the database next to it.
            return dbm.dumb.open(self.path, flag)

        return dbm.open(self.path, flag)

    @contextlib.contextmanager
    def _database(self, flag: str = "w") -> Iterator[Any]:
        """Yield the database opened with *flag*, closing it afterwards."""
        with self._lock:
            database = self._open(flag)
            try:
                yield database
            finally:
                database.close()

    def get(self, key: Any) -> Any:
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._database("r") as database:
            try:
                value = database[key]
            except KeyError:
                raise KeyError(key)

        return _as_text(value)

    def set(self, key: Any, value: Any) -> None:
        """Store *value* (text or bytes) for *key*."""
        with self._database() as database:
            database[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._database() as database:
            try:
                del database[key]
            except KeyError:
                raise KeyError(key)

    def keys(self) -> list[Any]:
        """Return list of the keys currently in the cache."""
        with self._database("r") as database:
            return [_as_text(key) for key in database.keys()]


class SerialisedCache(ProxyCache):
    """Proxy cache storing values in serialised form.

    Useful in front of caches, such as :class:`FileCache`, that can only hold
    text.
    """

    def __init__(
        self, proxied: Cache, encode: Optional[Callable[[Any], Any]] = None,
        decode: Optional[Callable[[Any], Any]] = None
    ) -> None:
        """Store values in *proxied* cache, serialised with *encode*.

        *encode* is called with each value before it is stored and *decode*
        with each stored value before it is returned. Either can be None to
        leave values untouched in that direction.
        """
        super(SerialisedCache, self).__init__(proxied)
        self.encode = encode
        self.decode = decode

    def get(self, key: Any) -> Any:
        """Return decoded value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        value = super(SerialisedCache, self).get(key)
        if self.decode is not None:
            value = self.decode(value)
        return value

    def set(self, key: Any, value: Any) -> None:
        """Store encoded *value* for *key*."""
        if self.encode is not None:
            value = self.encode(value)
        return super(SerialisedCache, self).set(key, value)


class KeyMaker(metaclass=abc.ABCMeta):
    """Interface of objects generating cache keys from arbitrary items.

    :meth:`key` asks :meth:`_key` for the key of each item and joins the
    results with :attr:`item_separator`, which is empty text unless a
    subclass chooses otherwise. Subclasses only need to implement
    :meth:`_key`.
    """

    #: Placed between the keys of the items given to :meth:`key`.
    item_separator = ""

    def __init__(self) -> None:
        """Initialise key maker."""
        super(KeyMaker, self).__init__()
        self.item_separator = ""

    def key(self, *items: Any) -> Union[str, bytes]:
        """Return key representing *items*."""
        separator = self.item_separator
        if len(items) == 1:
            # Most keys describe a single item (an entity identity for
            # instance): joining one part would only copy it.
            part = self._key(items[0])
            if type(part) is type(separator):
                return part
            return separator.join((part,))

        return separator.join([self._key(item) for item in items])

    @abc.abstractmethod
    def _key(self, obj: Any) -> Union[str, bytes]:
        """Return key for a single *obj*."""


class StringKeyMaker(KeyMaker):
    """Key maker using the text form (:func:`str`) of each item.

    The key of several items is their text forms one after the other, so
    ``key({}, {})`` is ``'{}{}'``. Sessions use this key maker by default:
    the key of an entity is the text of ``(entity type, [primary key
    values as text])``, e.g. ``"('User', ['d7e6...'])"``.
    """

    def _key(self, obj: Any) -> str:
        """Return text form of *obj*."""
        return str(obj)


#: Pickle protocol used by :class:`ObjectKeyMaker`; protocol 2 is the
#: newest that Python 2 clients can read too, so keys are shared with them.
_KEY_PICKLE_PROTOCOL = 2

_Iterable = collections.abc.Iterable
_Mapping = collections.abc.Mapping
_MethodType = types.MethodType
_FunctionType = types.FunctionType
_BuiltinFunctionType = types.BuiltinFunctionType


class ObjectKeyMaker(KeyMaker):
    """Key maker producing byte keys for arbitrary objects.

    Items need not be hashable, so arguments such as dictionaries and lists
    can take part in keys. Each item gives bytes according to its kind,
    checked in this order:

    * Text: its pickle (protocol 2).
    * Mappings: the entries in sorted order, each being the key of the
      entry's key, :attr:`mapping_pair_separator` and the key of its value,
      joined with :attr:`item_separator` and enclosed in
      :attr:`mapping_identifier` bytes.
    * Other iterables (lists, tuples, sets, bytes...): the keys of their
      elements in iteration order, joined with :attr:`item_separator` and
      enclosed in :attr:`iterable_identifier` bytes.
    * Bound methods: :attr:`name_identifier`, then the method name, the
      class name of the instance and the module, separated by
      :attr:`item_separator`.
    * Functions and classes: :attr:`name_identifier`, then the name and the
      module, separated by :attr:`item_separator`.
    * Builtin functions: :attr:`name_identifier` followed by the name.
    * Anything else: its pickle (protocol 2).

    Names are encoded as UTF-8. The keys of several items given to
    :meth:`~KeyMaker.key` are joined with :attr:`item_separator` (a NUL
    byte), so for example ``key(len, [1])`` is
    ``b'\\x04len\\x00\\x03\\x80\\x02K\\x01.\\x03'``.
    """

    item_separator = b"\x00"
    mapping_identifier = b"\x01"
    mapping_pair_separator = b"\x02"
    iterable_identifier = b"\x03"
    name_identifier = b"\x04"

    def __init__(self) -> None:
        """Initialise key maker."""
        super(ObjectKeyMaker, self).__init__()
        self.item_separator = b"\x00"
        self.mapping_identifier = b"\x01"
        self.mapping_pair_separator = b"\x02"
        self.iterable_identifier = b"\x03"
        self.name_identifier = b"\x04"

    def _key(self, item: Any) -> bytes:
        """Return key (bytes) for *item*.

        Elements of containers are keyed through :meth:`_key` as well, so
        subclasses overriding it apply to nested values too.
        """
        if isinstance(item, _Iterable):
            if isinstance(item, str):
                return pickle.dumps(item, _KEY_PICKLE_PROTOCOL)

            if isinstance(item, _Mapping):
                pair_separator = self.mapping_pair_separator
                entries = [
                    self._key(entry_key) + pair_separator + self._key(entry_value)
                    for entry_key, entry_value in sorted(item.items())
                ]
                marker = self.mapping_identifier
                return marker + self.item_separator.join(entries) + marker

            elements = [self._key(element) for element in item]
            marker = self.iterable_identifier
            return marker + self.item_separator.join(elements) + marker

        if isinstance(item, _MethodType):
            separator = self.item_separator
            return (
                self.name_identifier
                + item.__name__.encode()
                + separator
                + item.__self__.__class__.__name__.encode()
                + separator
                + item.__module__.encode()
            )

        if isinstance(item, (_FunctionType, type)):
            return (
                self.name_identifier
                + item.__name__.encode()
                + self.item_separator
                + item.__module__.encode()
            )

        if isinstance(item, _BuiltinFunctionType):
            return self.name_identifier + item.__name__.encode()

        return pickle.dumps(item, _KEY_PICKLE_PROTOCOL)


class Memoiser(object):
    """Remember results of function calls using a cache and a key maker.

    The key of a call is made from the function and the mapping of its
    parameter names to the values they receive (defaults included), so
    ``f(1)``, ``f(x=1)`` and ``f(1, y=2)`` share a key when ``y`` defaults
    to 2.

    Example::

        >>> memoiser = Memoiser(MemoryCache(), ObjectKeyMaker())
        >>> def area(width, height=1):
        ...     print('Computing')
        ...     return width * height
        >>> memoiser.call(area, (4,))
        Computing
        4
        >>> memoiser.call(area, (), {'width': 4, 'height': 1})
        4
        >>> memoiser.call(area, (4, 2))
        Computing
        8
    """

    def __init__(
        self, cache: Optional[Cache] = None, key_maker: Optional[KeyMaker] = None, return_copies: bool = True
    ) -> None:
        """Initialise with *cache* and *key_maker*.

        A new :class:`MemoryCache` is used when *cache* is None and an
        :class:`ObjectKeyMaker` when *key_maker* is None.

        If *return_copies* is True, deep copies of results are returned so
        that callers cannot change the remembered values by accident.
        """
        super(Memoiser, self).__init__()
        if cache is None:
            cache = MemoryCache()
        if key_maker is None:
            key_maker = ObjectKeyMaker()

        self.cache = cache
        self.key_maker = key_maker
        self.return_copies = return_copies

    def call(
        self, function: Callable[..., Any], args: Optional[Sequence[Any]] = None,
        kw: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """Return result of calling *function* with *args* and *kw*.

        The result is taken from the cache when a call binding the same
        values to the parameters of *function* was made before; otherwise
        *function* is called and its result remembered. Arguments that do
        not fit the parameters of *function* raise :exc:`TypeError` without
        calling it.
        """
        if args is None:
            args = ()
        if kw is None:
            kw = {}

        # Bound methods include their instance as the first parameter.
        bound = inspect.getcallargs(function, *args, **kw)

        key = self.key_maker.key(function, bound)
        try:
            value = self.cache.get(key)
        except KeyError:
            value = function(*args, **kw)
            self.cache.set(key, value)

        if self.return_copies:
            value = copy.deepcopy(value)

        return value


def memoise_decorator(memoiser: Memoiser) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return decorator memoising calls of a function with *memoiser*."""

    def outer(function: Callable[..., Any]) -> Callable[..., Any]:
        """Return memoised version of *function*."""

        @functools.wraps(function)
        def inner(*args: Any, **kw: Any) -> Any:
            """Call the wrapped function through the memoiser."""
            return memoiser.call(function, args, kw)

        return inner

    return outer


#: Default memoiser, using a :class:`MemoryCache` and an
#: :class:`ObjectKeyMaker`.
memoiser = Memoiser()

#: Decorator memoising function calls with the default :data:`memoiser`.
memoise = memoise_decorator(memoiser)
