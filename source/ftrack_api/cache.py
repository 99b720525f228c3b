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

import abc
import contextlib
import copy
import dbm
import dbm.dumb
import functools
import hashlib
import os
import pickle
import re
import threading
import types


class Cache(metaclass=abc.ABCMeta):
    """Interface of a key/value cache.

    Subclasses must implement :meth:`get`, :meth:`set` and :meth:`remove`,
    and should implement :meth:`keys` so that :meth:`values` and
    :meth:`clear` work. Each key is unique within a cache.
    """

    @abc.abstractmethod
    def get(self, key):
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """

    @abc.abstractmethod
    def set(self, key, value):
        """Store *value* for *key*, replacing any previous value."""

    @abc.abstractmethod
    def remove(self, key):
        """Remove *key* and its value.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """

    def keys(self):
        """Return list of the keys currently in the cache.

        .. warning::

            With concurrent access the actual keys may change as soon as
            the list is returned.
        """
        raise NotImplementedError()

    def values(self):
        """Return list of the values currently in the cache."""
        values = []
        for key in self.keys():
            try:
                values.append(self.get(key))
            except KeyError:
                # Removed since the keys were listed.
                continue
        return values

    def clear(self, pattern=None):
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

    def __init__(self, proxied):
        """Forward to *proxied* cache."""
        self.proxied = proxied
        super(ProxyCache, self).__init__()

    def get(self, key):
        """Return value stored for *key* in the proxied cache.

        Raise :exc:`KeyError` if *key* is not found.
        """
        return self.proxied.get(key)

    def set(self, key, value):
        """Store *value* for *key* in the proxied cache."""
        return self.proxied.set(key, value)

    def remove(self, key):
        """Remove *key* from the proxied cache.

        Raise :exc:`KeyError` if *key* is not found.
        """
        return self.proxied.remove(key)

    def keys(self):
        """Return list of the keys currently in the proxied cache."""
        return self.proxied.keys()


class LayeredCache(Cache):
    """Stack of caches searched from top (shallowest) to bottom."""

    def __init__(self, caches):
        """Use *caches*, a sequence ordered from shallowest to deepest."""
        super(LayeredCache, self).__init__()
        self.caches = caches

    def get(self, key):
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

    def set(self, key, value):
        """Store *value* for *key* in every layer."""
        for cache in self.caches:
            cache.set(key, value)

    def remove(self, key):
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

    def keys(self):
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

    def __init__(self):
        """Create an empty cache."""
        super(MemoryCache, self).__init__()
        self._cache = {}
        self._lock = threading.RLock()

    def get(self, key):
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._lock:
            return self._cache[key]

    def set(self, key, value):
        """Store *value* for *key*."""
        with self._lock:
            self._cache[key] = value

    def remove(self, key):
        """Remove *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._lock:
            del self._cache[key]

    def keys(self):
        """Return list of the keys currently in the cache."""
        with self._lock:
            return list(self._cache.keys())


_FILE_LOCKS = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _lock_for_path(path):
    """Return lock shared by every FileCache using *path* in this process."""
    key = os.path.normcase(os.path.abspath(path))
    with _FILE_LOCKS_GUARD:
        lock = _FILE_LOCKS.get(key)
        if lock is None:
            lock = _FILE_LOCKS[key] = threading.RLock()
        return lock


def _as_text(value):
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

    def __init__(self, path):
        """Use database at *path*, creating it if needed."""
        self.path = os.fspath(path)
        self._lock = _lock_for_path(self.path)
        super(FileCache, self).__init__()

        # Create the database straight away to report problems early.
        with self._database("c"):
            pass

    def _open(self, flag):
        """Return database opened with *flag*."""
        kind = dbm.whichdb(self.path)
        if kind is None or kind == "dbm.dumb":
            return dbm.dumb.open(self.path, flag)

        if kind == "" and os.path.isfile(self.path) and not os.path.getsize(self.path):
            # An empty placeholder file: keep the database next to it.
            return dbm.dumb.open(self.path, flag)

        return dbm.open(self.path, flag)

    @contextlib.contextmanager
    def _database(self, flag="w"):
        """Yield the database opened with *flag*, closing it afterwards."""
        with self._lock:
            database = self._open(flag)
            try:
                yield database
            finally:
                database.close()

    def get(self, key):
        """Return value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._database("r") as database:
            try:
                value = database[key]
            except KeyError:
                raise KeyError(key)

        return _as_text(value)

    def set(self, key, value):
        """Store *value* (text or bytes) for *key*."""
        with self._database() as database:
            database[key] = value

    def remove(self, key):
        """Remove *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        with self._database() as database:
            try:
                del database[key]
            except KeyError:
                raise KeyError(key)

    def keys(self):
        """Return list of the keys currently in the cache."""
        with self._database("r") as database:
            return [_as_text(key) for key in database.keys()]


class SerialisedCache(ProxyCache):
    """Proxy cache storing values in serialised form.

    Useful in front of caches, such as :class:`FileCache`, that can only hold
    text.
    """

    def __init__(self, proxied, encode=None, decode=None):
        """Store values in *proxied* cache, serialised with *encode*.

        *encode* is called with each value before it is stored and *decode*
        with each stored value before it is returned. Either can be None to
        leave values untouched in that direction.
        """
        super(SerialisedCache, self).__init__(proxied)
        self.encode = encode
        self.decode = decode

    def get(self, key):
        """Return decoded value stored for *key*.

        Raise :exc:`KeyError` if *key* is not in the cache.
        """
        value = super(SerialisedCache, self).get(key)
        if self.decode is not None:
            value = self.decode(value)
        return value

    def set(self, key, value):
        """Store encoded *value* for *key*."""
        if self.encode is not None:
            value = self.encode(value)
        return super(SerialisedCache, self).set(key, value)


class KeyMaker(metaclass=abc.ABCMeta):
    """Interface of objects generating cache keys from arbitrary items.

    The keys of several items are joined with :attr:`item_separator`.
    """

    #: Text placed between the keys of several items (the ASCII unit
    #: separator control character, which is unlikely to appear in keys).
    item_separator = "\x1f"

    def __init__(self):
        """Initialise key maker."""
        super(KeyMaker, self).__init__()

    def key(self, *items):
        """Return key (text) representing *items*."""
        return self.item_separator.join(self._key(item) for item in items)

    @abc.abstractmethod
    def _key(self, obj):
        """Return key (text) for a single *obj*."""


class StringKeyMaker(KeyMaker):
    """Key maker using the text form (:func:`str`) of each item."""

    def _key(self, obj):
        """Return text form of *obj*."""
        return str(obj)


def _qualified_name(obj):
    """Return ``module.qualname`` of *obj*."""
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "")
    return "{0}.{1}".format(module, name)


class ObjectKeyMaker(KeyMaker):
    """Key maker producing distinct, stable keys for arbitrary objects.

    Values of different types never share a key (``1``, ``1.0``, ``True``
    and ``'1'`` all differ), mappings and sets give the same key whatever
    their order, and functions, methods and classes are identified by their
    qualified names. Entities are identified by their identity. Other
    objects are identified by their pickled form or, failing that, by their
    representation.
    """

    def __init__(self):
        """Initialise key maker."""
        super(ObjectKeyMaker, self).__init__()

    def _key(self, obj):
        """Return key (text) for *obj*."""
        return self._encode(obj, set())

    def _encode(self, obj, active):
        """Return text encoding of *obj*; *active* guards against cycles."""
        if obj is None or obj is Ellipsis or obj is NotImplemented:
            return repr(obj)

        kind = type(obj)
        if kind in (bool, int, float, complex, str, bytes):
            return "{0}:{1!r}".format(kind.__name__, obj)

        if isinstance(obj, (bool, int, float, complex, str, bytes)):
            # Subclass of a primitive, e.g. an IntEnum member.
            return "{0}:{1!r}".format(_qualified_name(kind), obj)

        if isinstance(obj, type):
            return "class:" + _qualified_name(obj)

        if isinstance(obj, types.ModuleType):
            return "module:" + obj.__name__

        if isinstance(obj, types.MethodType):
            return "method:{0}@{1}".format(
                self._encode(obj.__func__, active),
                self._encode(obj.__self__, active),
            )

        if isinstance(obj, types.FunctionType):
            return self._encode_function(obj, active)

        if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
            owner = getattr(obj, "__self__", None)
            text = "builtin:" + _qualified_name(obj)
            if owner is not None and not isinstance(owner, types.ModuleType):
                text += "@" + self._encode(owner, active)
            return text

        if isinstance(obj, functools.partial):
            return "partial({0},{1},{2})".format(
                self._encode(obj.func, active),
                self._encode(tuple(obj.args), active),
                self._encode(dict(obj.keywords), active),
            )

        marker = id(obj)
        if marker in active:
            return "<cycle>"

        active.add(marker)
        try:
            return self._encode_composite(obj, active)
        finally:
            active.discard(marker)

    def _encode_function(self, function, active):
        """Return text encoding of a Python *function*."""
        code = getattr(function, "__code__", None)
        text = "function:" + _qualified_name(function)
        if code is not None:
            text += "@{0}:{1}".format(code.co_filename, code.co_firstlineno)

        closure = getattr(function, "__closure__", None)
        if closure:
            cells = []
            for cell in closure:
                try:
                    contents = cell.cell_contents
                except ValueError:
                    cells.append("<empty>")
                    continue

                if self._is_immutable(contents):
                    cells.append(self._encode(contents, active))
                else:
                    # Mutable captured state (e.g. a list or an instance) is
                    # identified by object, so changing it keeps the key.
                    cells.append(
                        "ref:{0}:{1:x}".format(
                            _qualified_name(type(contents)), id(contents)
                        )
                    )
            text += "[" + ",".join(cells) + "]"

        return text

    def _is_immutable(self, obj):
        """Return whether *obj* is a value that cannot change."""
        if obj is None or isinstance(
            obj,
            (
                bool,
                int,
                float,
                complex,
                str,
                bytes,
                type,
                types.ModuleType,
                types.FunctionType,
                types.BuiltinFunctionType,
            ),
        ):
            return True

        if type(obj) in (tuple, frozenset):
            return all(self._is_immutable(item) for item in obj)

        return False

    def _encode_composite(self, obj, active):
        """Return text encoding of containers and other objects."""
        if self._is_entity(obj):
            try:
                import ftrack_api.inspection

                identity = ftrack_api.inspection.identity(obj)
            except Exception:
                identity = None
            if identity is not None:
                return "entity:{0!r}".format(identity)

        if isinstance(obj, dict) or self._is_mapping(obj):
            entries = sorted(
                "{0}={1}".format(
                    self._encode(key, active), self._encode(value, active)
                )
                for key, value in obj.items()
            )
            prefix = "dict" if type(obj) is dict else _qualified_name(type(obj))
            return prefix + "{" + ",".join(entries) + "}"

        if isinstance(obj, (set, frozenset)):
            entries = sorted(self._encode(item, active) for item in obj)
            prefix = type(obj).__name__ if type(obj) in (set, frozenset) else (
                _qualified_name(type(obj))
            )
            return prefix + "{" + ",".join(entries) + "}"

        if isinstance(obj, list):
            prefix = "list" if type(obj) is list else _qualified_name(type(obj))
            return (
                prefix
                + "["
                + ",".join(self._encode(item, active) for item in obj)
                + "]"
            )

        if isinstance(obj, tuple):
            prefix = "tuple" if type(obj) is tuple else _qualified_name(type(obj))
            return (
                prefix
                + "("
                + ",".join(self._encode(item, active) for item in obj)
                + ")"
            )

        try:
            data = pickle.dumps(obj, protocol=4)
        except Exception:
            try:
                text = repr(obj)
            except Exception:
                text = object.__repr__(obj)
            return "object:{0}:{1}".format(_qualified_name(type(obj)), text)

        return "pickle:{0}:{1}".format(
            _qualified_name(type(obj)), hashlib.sha1(data).hexdigest()
        )

    @staticmethod
    def _is_entity(obj):
        """Return whether *obj* looks like an entity."""
        return hasattr(obj, "entity_type") and hasattr(obj, "primary_key_attributes")

    @staticmethod
    def _is_mapping(obj):
        """Return whether *obj* is a mapping."""
        import collections.abc

        return isinstance(obj, collections.abc.Mapping)


class Memoiser(object):
    """Remember results of function calls using a cache and a key maker.

    Example::

        >>> memoiser = Memoiser(MemoryCache(), ObjectKeyMaker())
        >>> def add(x, y):
        ...     print('Called')
        ...     return x + y
        >>> memoiser.call(add, (1, 2), {})
        Called
        3
        >>> memoiser.call(add, (1, 2), {})
        3
        >>> memoiser.call(add, (1, 3), {})
        Called
        4
    """

    def __init__(self, cache=None, key_maker=None, return_copies=True):
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

    def call(self, function, args=None, kw=None):
        """Return result of calling *function* with *args* and *kw*.

        The result is taken from the cache when this call was made before;
        otherwise *function* is called and its result remembered.
        """
        if args is None:
            args = ()
        if kw is None:
            kw = {}

        args = tuple(args)
        kw = dict(kw)

        key = self.key_maker.key(function, args, kw)
        try:
            value = self.cache.get(key)
        except KeyError:
            value = function(*args, **kw)
            self.cache.set(key, value)

        if self.return_copies:
            value = copy.deepcopy(value)

        return value


def memoise_decorator(memoiser):
    """Return decorator memoising calls of a function with *memoiser*."""

    def outer(function):
        """Return memoised version of *function*."""

        @functools.wraps(function)
        def inner(*args, **kw):
            """Call the wrapped function through the memoiser."""
            return memoiser.call(function, args, kw)

        return inner

    return outer


#: Default memoiser, using a :class:`MemoryCache` and an
#: :class:`ObjectKeyMaker`.
memoiser = Memoiser()

#: Decorator memoising function calls with the default :data:`memoiser`.
memoise = memoise_decorator(memoiser)
