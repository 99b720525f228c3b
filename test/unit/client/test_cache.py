"""Tests for :mod:`ftrack_api.cache`."""

import json
import os
import subprocess
import sys
import threading

import pytest

import ftrack_api.cache as cache_module
from ftrack_api.cache import (
    Cache,
    FileCache,
    KeyMaker,
    LayeredCache,
    Memoiser,
    MemoryCache,
    ObjectKeyMaker,
    ProxyCache,
    SerialisedCache,
    StringKeyMaker,
)


# Generic cache behaviour -------------------------------------------------


@pytest.fixture(
    params=["memory", "file", "proxy", "layered", "serialised"],
)
def cache(request, tmp_path):
    """Return a text capable cache of each kind."""
    kind = request.param
    if kind == "memory":
        return MemoryCache()
    if kind == "file":
        return FileCache(str(tmp_path / "cache.dbm"))
    if kind == "proxy":
        return ProxyCache(MemoryCache())
    if kind == "layered":
        return LayeredCache([MemoryCache(), MemoryCache()])
    return SerialisedCache(MemoryCache(), encode=json.dumps, decode=json.loads)


def test_get_missing_raises_key_error(cache):
    with pytest.raises(KeyError):
        cache.get("missing")


def test_set_get_overwrite(cache):
    cache.set("key", "value")
    assert cache.get("key") == "value"
    cache.set("key", "other")
    assert cache.get("key") == "other"


def test_remove(cache):
    cache.set("key", "value")
    cache.remove("key")
    with pytest.raises(KeyError):
        cache.get("key")
    with pytest.raises(KeyError):
        cache.remove("key")


def test_keys_and_values(cache):
    cache.set("a", "1")
    cache.set("b", "2")
    assert sorted(cache.keys()) == ["a", "b"]
    assert sorted(cache.values()) == ["1", "2"]


def test_clear_all(cache):
    cache.set("a", "1")
    cache.set("b", "2")
    cache.clear()
    assert cache.keys() == []


def test_clear_with_pattern(cache):
    for key in ("user-1", "user-2", "task-1", "xuser"):
        cache.set(key, "v")
    cache.clear(pattern="^user-")
    assert sorted(cache.keys()) == ["task-1", "xuser"]
    cache.clear(pattern="1$")
    assert cache.keys() == ["xuser"]


def test_cache_is_abstract():
    with pytest.raises(TypeError):
        Cache()


def test_minimal_custom_cache():
    class DictCache(Cache):
        def __init__(self):
            self.data = {}

        def get(self, key):
            return self.data[key]

        def set(self, key, value):
            self.data[key] = value

        def remove(self, key):
            del self.data[key]

    custom = DictCache()
    custom.set("a", 1)
    assert custom.get("a") == 1
    with pytest.raises(NotImplementedError):
        custom.keys()


def test_values_skips_keys_removed_meanwhile():
    class Vanishing(MemoryCache):
        def get(self, key):
            if key == "gone":
                raise KeyError(key)
            return super(Vanishing, self).get(key)

    vanishing = Vanishing()
    vanishing.set("gone", 1)
    vanishing.set("kept", 2)
    assert vanishing.values() == [2]


def test_clear_pattern_on_non_text_keys():
    memory = MemoryCache()
    memory.set(("tuple", 1), "a")
    memory.set(b"bytes-key", "b")
    memory.set(5, "c")
    memory.clear(pattern="tuple")
    memory.clear(pattern="^bytes")
    assert memory.keys() == [5]


# MemoryCache -------------------------------------------------------------


def test_memory_cache_stores_objects_by_reference():
    memory = MemoryCache()
    value = {"a": [1]}
    memory.set(("any", "hashable"), value)
    assert memory.get(("any", "hashable")) is value


def test_memory_cache_thread_safe():
    memory = MemoryCache()

    def worker(offset):
        for index in range(300):
            key = "{0}-{1}".format(offset, index)
            memory.set(key, index)
            memory.get(key)
            if index % 50 == 0:
                memory.keys()
                memory.values()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(memory.keys()) == 8 * 300


# ProxyCache --------------------------------------------------------------


def test_proxy_cache_forwards():
    proxied = MemoryCache()
    proxy = ProxyCache(proxied)
    assert proxy.proxied is proxied
    proxy.set("a", 1)
    assert proxied.get("a") == 1
    proxied.set("b", 2)
    assert proxy.get("b") == 2
    assert sorted(proxy.keys()) == ["a", "b"]
    proxy.remove("a")
    assert proxied.keys() == ["b"]


def test_selective_proxy_cache():
    class SelectiveCache(ProxyCache):
        def set(self, key, value):
            if value == "skip":
                return
            super(SelectiveCache, self).set(key, value)

    selective = SelectiveCache(MemoryCache())
    selective.set("a", "keep")
    selective.set("b", "skip")
    assert selective.keys() == ["a"]


# LayeredCache ------------------------------------------------------------


def test_layered_get_back_fills_shallower_layers():
    top, middle, bottom = MemoryCache(), MemoryCache(), MemoryCache()
    layered = LayeredCache([top, middle, bottom])
    bottom.set("key", "value")

    assert layered.get("key") == "value"
    assert top.get("key") == "value"
    assert middle.get("key") == "value"


def test_layered_get_prefers_shallowest():
    top, bottom = MemoryCache(), MemoryCache()
    layered = LayeredCache([top, bottom])
    top.set("key", "top")
    bottom.set("key", "bottom")
    assert layered.get("key") == "top"
    assert bottom.get("key") == "bottom"


def test_layered_get_does_not_fill_deeper_layers():
    top, middle, bottom = MemoryCache(), MemoryCache(), MemoryCache()
    layered = LayeredCache([top, middle, bottom])
    middle.set("key", "value")
    layered.get("key")
    assert top.get("key") == "value"
    with pytest.raises(KeyError):
        bottom.get("key")


def test_layered_set_and_remove_affect_all_layers():
    top, bottom = MemoryCache(), MemoryCache()
    layered = LayeredCache([top, bottom])
    layered.set("key", "value")
    assert top.get("key") == bottom.get("key") == "value"
    layered.remove("key")
    assert top.keys() == bottom.keys() == []


def test_layered_remove_key_only_in_lower_layer():
    top, bottom = MemoryCache(), MemoryCache()
    layered = LayeredCache([top, bottom])
    bottom.set("key", "value")
    layered.remove("key")
    assert bottom.keys() == []
    with pytest.raises(KeyError):
        layered.remove("key")


def test_layered_keys_unique_and_clear():
    top, bottom = MemoryCache(), MemoryCache()
    layered = LayeredCache([top, bottom])
    top.set("a", 1)
    bottom.set("a", 1)
    bottom.set("b", 2)
    assert sorted(layered.keys()) == ["a", "b"]
    assert sorted(layered.values()) == [1, 2]
    layered.clear()
    assert top.keys() == bottom.keys() == []


def test_layered_caches_attribute():
    caches = [MemoryCache()]
    assert LayeredCache(caches).caches is caches


def test_layered_with_serialised_file_cache(tmp_path):
    path = str(tmp_path / "layered.dbm")
    bottom = SerialisedCache(FileCache(path), encode=json.dumps, decode=json.loads)
    layered = LayeredCache([MemoryCache(), bottom])
    layered.set("k", {"a": [1, 2]})

    fresh = LayeredCache(
        [
            MemoryCache(),
            SerialisedCache(FileCache(path), encode=json.dumps, decode=json.loads),
        ]
    )
    assert fresh.get("k") == {"a": [1, 2]}
    assert fresh.caches[0].get("k") == {"a": [1, 2]}


# FileCache ---------------------------------------------------------------


def test_file_cache_created_on_init(tmp_path):
    path = str(tmp_path / "created.dbm")
    FileCache(path)
    assert any(name.startswith("created.dbm") for name in os.listdir(str(tmp_path)))


def test_file_cache_persists_across_instances(tmp_path):
    path = str(tmp_path / "persist.dbm")
    first = FileCache(path)
    first.set("a", "1")
    first.set("b", "2")

    second = FileCache(path)
    assert second.get("a") == "1"
    assert sorted(second.keys()) == ["a", "b"]
    second.remove("a")
    assert first.keys() == ["b"]


def test_file_cache_persists_across_processes(tmp_path):
    path = str(tmp_path / "process.dbm")
    FileCache(path).set("from-parent", "yes")
    script = (
        "import sys; from ftrack_api.cache import FileCache;"
        "c = FileCache(sys.argv[1]); c.set('from-child', c.get('from-parent') + '!')"
    )
    environment = dict(os.environ)
    source = os.path.dirname(os.path.dirname(cache_module.__file__))
    environment["PYTHONPATH"] = source + os.pathsep + environment.get("PYTHONPATH", "")
    subprocess.check_call([sys.executable, "-c", script, path], env=environment)
    assert FileCache(path).get("from-child") == "yes!"


def test_file_cache_unicode_and_bytes(tmp_path):
    file_cache = FileCache(str(tmp_path / "unicode.dbm"))
    file_cache.set("cl\u00e9", "v\u00e4lue \u2603")
    file_cache.set("raw", b"\xff\x00")
    assert file_cache.get("cl\u00e9") == "v\u00e4lue \u2603"
    assert file_cache.get("raw") == b"\xff\x00"
    assert sorted(file_cache.keys()) == ["cl\u00e9", "raw"]


def test_file_cache_rejects_non_text_values(tmp_path):
    file_cache = FileCache(str(tmp_path / "strict.dbm"))
    with pytest.raises(TypeError):
        file_cache.set("key", {"not": "text"})


def test_file_cache_opens_existing_dbm_database(tmp_path):
    import dbm

    path = str(tmp_path / "native.db")
    with dbm.open(path, "c") as database:
        database["key"] = "native"

    file_cache = FileCache(path)
    assert file_cache.get("key") == "native"
    file_cache.set("other", "value")
    assert sorted(file_cache.keys()) == ["key", "other"]


def test_file_cache_with_empty_placeholder_file(tmp_path):
    path = tmp_path / "placeholder.dbm"
    path.write_bytes(b"")
    file_cache = FileCache(str(path))
    file_cache.set("a", "b")
    assert FileCache(str(path)).get("a") == "b"


def test_file_cache_threads(tmp_path):
    path = str(tmp_path / "threads.dbm")
    caches = [FileCache(path) for _ in range(4)]

    def worker(index):
        for item in range(25):
            caches[index].set("{0}-{1}".format(index, item), "v")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(FileCache(path).keys()) == 100


# SerialisedCache ---------------------------------------------------------


def test_serialised_cache_json_round_trip():
    proxied = MemoryCache()
    serialised = SerialisedCache(proxied, encode=json.dumps, decode=json.loads)
    assert serialised.proxied is proxied
    serialised.set("k", {"a": [1, 2], "b": None})

    stored = proxied.get("k")
    assert isinstance(stored, str)
    assert json.loads(stored) == {"a": [1, 2], "b": None}
    assert serialised.get("k") == {"a": [1, 2], "b": None}
    assert serialised.values() == [{"a": [1, 2], "b": None}]


def test_serialised_cache_without_callables():
    serialised = SerialisedCache(MemoryCache())
    value = object()
    serialised.set("k", value)
    assert serialised.get("k") is value


def test_serialised_cache_over_file_cache(tmp_path):
    path = str(tmp_path / "serialised.dbm")
    SerialisedCache(FileCache(path), encode=json.dumps, decode=json.loads).set(
        "k", [1, "two", {"three": 3.0}]
    )
    reader = SerialisedCache(FileCache(path), encode=json.dumps, decode=json.loads)
    assert reader.get("k") == [1, "two", {"three": 3.0}]


# Key makers --------------------------------------------------------------


def test_key_maker_is_abstract():
    with pytest.raises(TypeError):
        KeyMaker()


def test_string_key_maker():
    key_maker = StringKeyMaker()
    assert key_maker.key("abc") == "abc"
    assert key_maker.key(("User", ("1",))) == "('User', ('1',))"
    assert key_maker.key("a", "bc") != key_maker.key("ab", "c")
    assert key_maker.key(1) == key_maker.key("1")
    assert isinstance(key_maker.key(object()), str)


def test_object_key_maker_distinguishes_types():
    key_maker = ObjectKeyMaker()
    keys = [
        key_maker.key(value)
        for value in (1, 1.0, True, "1", b"1", None, (1,), [1], {1}, frozenset([1]))
    ]
    assert len(set(keys)) == len(keys)
    assert all(isinstance(key, str) for key in keys)


def test_object_key_maker_is_stable():
    key_maker = ObjectKeyMaker()
    value = {"b": [1, (2, "x")], "a": {"nested": {3, 2, 1}}}
    reordered = {"a": {"nested": {1, 2, 3}}, "b": [1, (2, "x")]}
    assert key_maker.key(value) == key_maker.key(reordered)
    assert key_maker.key(value) == ObjectKeyMaker().key(value)
    assert key_maker.key([1, 2]) != key_maker.key([2, 1])


def test_object_key_maker_stable_across_processes():
    script = (
        "from ftrack_api.cache import ObjectKeyMaker;"
        "print(repr(ObjectKeyMaker().key({'b': [1, 2.5, None]}, ('x', b'y'), {3, 1})))"
    )
    environment = dict(os.environ)
    source = os.path.dirname(os.path.dirname(cache_module.__file__))
    environment["PYTHONPATH"] = source + os.pathsep + environment.get("PYTHONPATH", "")
    outputs = set()
    for seed in ("1", "2"):
        environment["PYTHONHASHSEED"] = seed
        outputs.add(
            subprocess.check_output([sys.executable, "-c", script], env=environment)
        )
    assert len(outputs) == 1


def test_object_key_maker_multiple_items():
    key_maker = ObjectKeyMaker()
    assert key_maker.key("a", "b") != key_maker.key("ab")
    assert key_maker.key(1, 2) != key_maker.key(12)
    assert key_maker.key(1, 2) != key_maker.key(2, 1)
    assert key_maker.key((1, 2)) != key_maker.key(1, 2)


def _module_function(value):
    return value


def _other_function(value):
    return value


class _Thing(object):
    def __init__(self, value):
        self.value = value

    def method(self):
        return self.value


def test_object_key_maker_functions_and_methods():
    key_maker = ObjectKeyMaker()
    assert key_maker.key(_module_function) == key_maker.key(_module_function)
    assert key_maker.key(_module_function) != key_maker.key(_other_function)
    assert key_maker.key(len) != key_maker.key(sum)
    assert key_maker.key(_Thing) != key_maker.key(_Thing(1))
    assert key_maker.key(_Thing(1).method) == key_maker.key(_Thing(1).method)
    assert key_maker.key(_Thing(1).method) != key_maker.key(_Thing(2).method)


def test_object_key_maker_closures():
    def make(offset):
        def inner(value):
            return value + offset

        return inner

    key_maker = ObjectKeyMaker()
    assert key_maker.key(make(1)) == key_maker.key(make(1))
    assert key_maker.key(make(1)) != key_maker.key(make(2))


def test_object_key_maker_objects():
    key_maker = ObjectKeyMaker()
    assert key_maker.key(_Thing(1)) == key_maker.key(_Thing(1))
    assert key_maker.key(_Thing(1)) != key_maker.key(_Thing(2))

    lock = threading.Lock()
    assert isinstance(key_maker.key(lock), str)


def test_object_key_maker_cycles():
    key_maker = ObjectKeyMaker()
    value = [1]
    value.append(value)
    assert isinstance(key_maker.key(value), str)


def test_object_key_maker_entities_use_identity():
    class FakeEntity(dict):
        entity_type = "User"
        primary_key_attributes = ["id"]

        def __getitem__(self, key):
            return dict.__getitem__(self, key)

    key_maker = ObjectKeyMaker()
    first = FakeEntity(id="1", name="a")
    second = FakeEntity(id="1", name="b")
    third = FakeEntity(id="2", name="a")
    assert key_maker.key(first) == key_maker.key(second)
    assert key_maker.key(first) != key_maker.key(third)


# Memoiser ----------------------------------------------------------------


def test_memoiser_defaults():
    memoiser = Memoiser()
    assert isinstance(memoiser.cache, MemoryCache)
    assert isinstance(memoiser.key_maker, ObjectKeyMaker)
    assert memoiser.return_copies is True


def test_memoiser_hits_and_misses():
    calls = []

    def add(x, y):
        calls.append((x, y))
        return x + y

    memoiser = Memoiser(MemoryCache(), ObjectKeyMaker())
    assert memoiser.call(add, (1, 2), {}) == 3
    assert memoiser.call(add, (1, 2), {}) == 3
    assert memoiser.call(add, [1, 2]) == 3
    assert memoiser.call(add, (1, 3), {}) == 4
    assert memoiser.call(add, (1,), {"y": 2}) == 3
    assert calls == [(1, 2), (1, 3), (1, 2)]


def test_memoiser_no_arguments():
    calls = []

    def constant():
        calls.append(1)
        return "value"

    memoiser = Memoiser()
    assert memoiser.call(constant) == "value"
    assert memoiser.call(constant, None, None) == "value"
    assert len(calls) == 1


def test_memoiser_distinguishes_functions_and_types():
    memoiser = Memoiser()
    assert memoiser.call(_module_function, (1,)) == 1
    assert memoiser.call(_module_function, (1.0,)) == 1.0
    assert isinstance(memoiser.call(_module_function, (1.0,)), float)
    assert memoiser.call(_other_function, ("1",)) == "1"


def test_memoiser_returns_copies():
    def make():
        return {"items": [1]}

    memoiser = Memoiser()
    first = memoiser.call(make)
    first["items"].append(2)
    second = memoiser.call(make)
    assert second == {"items": [1]}
    assert second is not memoiser.call(make)


def test_memoiser_without_copies_returns_cached_object():
    def make():
        return {"items": [1]}

    memoiser = Memoiser(return_copies=False)
    first = memoiser.call(make)
    assert memoiser.call(make) is first


def test_memoiser_exceptions_not_cached():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return "ok"

    memoiser = Memoiser()
    with pytest.raises(ValueError):
        memoiser.call(flaky)
    assert memoiser.call(flaky) == "ok"
    assert memoiser.call(flaky) == "ok"
    assert len(calls) == 2


def test_memoiser_with_string_key_maker_and_layered_cache():
    layered = LayeredCache([MemoryCache(), MemoryCache()])
    memoiser = Memoiser(cache=layered, key_maker=StringKeyMaker())
    assert memoiser.call(_module_function, ("x",)) == "x"
    assert len(layered.keys()) == 1


def test_memoise_decorator():
    calls = []
    memoiser = Memoiser()

    @cache_module.memoise_decorator(memoiser)
    def multiply(x, y=2):
        """Multiply values."""
        calls.append((x, y))
        return x * y

    assert multiply(3) == 6
    assert multiply(3) == 6
    assert multiply(3, y=3) == 9
    assert calls == [(3, 2), (3, 3)]
    assert multiply.__name__ == "multiply"
    assert multiply.__doc__ == "Multiply values."
    assert len(memoiser.cache.keys()) == 2


def test_default_memoise():
    calls = []

    @cache_module.memoise
    def square(x):
        calls.append(x)
        return x * x

    assert square(4) == 16
    assert square(4) == 16
    assert calls == [4]
    assert isinstance(cache_module.memoiser, Memoiser)
    assert len(cache_module.memoiser.cache.keys()) >= 1
