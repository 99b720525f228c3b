"""Tests for :mod:`ftrack_api.cache`."""

import json
import os
import pickle
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


def _pickled(value):
    """Return *value* pickled as object key makers do (protocol 2)."""
    return pickle.dumps(value, 2)


def test_key_maker_is_abstract():
    with pytest.raises(TypeError):
        KeyMaker()


def test_key_maker_joins_with_item_separator():
    class Upper(KeyMaker):
        def _key(self, obj):
            return str(obj).upper()

    key_maker = Upper()
    assert key_maker.item_separator == ""
    assert key_maker.key("ab", "cd") == "ABCD"
    assert key_maker.key() == ""

    key_maker.item_separator = "/"
    assert key_maker.key("ab", "cd", 1) == "AB/CD/1"
    assert key_maker.key("ab") == "AB"


def test_key_maker_single_item_of_other_type_than_separator():
    class Numbers(KeyMaker):
        def _key(self, obj):
            return obj

    # Joining is what makes the key, even of a single item: keys must be
    # of the same type as the separator.
    with pytest.raises(TypeError):
        Numbers().key(1)


def test_string_key_maker():
    key_maker = StringKeyMaker()
    assert key_maker.key("abc") == "abc"
    assert key_maker.key({}) == "{}"
    assert key_maker.key({}, {}) == "{}{}"
    assert key_maker.key(1, "a", None) == "1aNone"
    assert key_maker.key(1) == key_maker.key("1")


def test_string_key_maker_entity_identity():
    # Sessions key entities by the text of (entity type, [primary key]).
    key_maker = StringKeyMaker()
    assert key_maker.key(("User", ["d7e6"])) == "('User', ['d7e6'])"
    assert key_maker.key(("Link", ["a", "b"])) == "('Link', ['a', 'b'])"


def test_object_key_maker_markers():
    key_maker = ObjectKeyMaker()
    assert key_maker.item_separator == b"\x00"
    assert key_maker.mapping_identifier == b"\x01"
    assert key_maker.mapping_pair_separator == b"\x02"
    assert key_maker.iterable_identifier == b"\x03"
    assert key_maker.name_identifier == b"\x04"


def test_object_key_maker_scalars_are_pickled():
    key_maker = ObjectKeyMaker()
    assert key_maker.key(7) == b"\x80\x02K\x07."
    assert key_maker.key("ab") == b"\x80\x02X\x02\x00\x00\x00abq\x00."
    assert key_maker.key(None) == b"\x80\x02N."
    assert key_maker.key(True) == b"\x80\x02\x88."
    assert key_maker.key(1.5) == _pickled(1.5)

    # Keys of text are real pickles, readable back.
    assert pickle.loads(key_maker.key("cl\u00e9")) == "cl\u00e9"


def test_object_key_maker_mappings():
    key_maker = ObjectKeyMaker()
    assert key_maker.key({}) == b"\x01\x01"
    # Entries are sorted, whatever the insertion order.
    assert key_maker.key({"y": 2, "x": 1}) == (
        b"\x01"
        b"\x80\x02X\x01\x00\x00\x00xq\x00.\x02\x80\x02K\x01."
        b"\x00"
        b"\x80\x02X\x01\x00\x00\x00yq\x00.\x02\x80\x02K\x02."
        b"\x01"
    )
    assert key_maker.key({"y": 2, "x": 1}) == key_maker.key({"x": 1, "y": 2})

    with pytest.raises(TypeError):
        key_maker.key({1: "a", "b": 2})


def test_object_key_maker_iterables():
    key_maker = ObjectKeyMaker()
    assert key_maker.key([]) == b"\x03\x03"
    assert key_maker.key((1, [2])) == (
        b"\x03\x80\x02K\x01.\x00\x03\x80\x02K\x02.\x03\x03"
    )
    # Every non-text iterable is treated alike, bytes included.
    assert key_maker.key([1, 2]) == key_maker.key((1, 2))
    assert key_maker.key(b"AB") == b"\x03\x80\x02KA.\x00\x80\x02KB.\x03"
    assert key_maker.key(range(2)) == key_maker.key([0, 1])
    # Order matters.
    assert key_maker.key([1, 2]) != key_maker.key([2, 1])


def test_object_key_maker_multiple_items():
    key_maker = ObjectKeyMaker()
    assert key_maker.key("a", 1) == key_maker.key("a") + b"\x00" + key_maker.key(1)
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


def test_object_key_maker_functions_classes_and_methods():
    key_maker = ObjectKeyMaker()
    module = __name__.encode()

    assert key_maker.key(_module_function) == b"\x04_module_function\x00" + module
    assert key_maker.key(_other_function) == b"\x04_other_function\x00" + module
    assert key_maker.key(_Thing) == b"\x04_Thing\x00" + module
    assert key_maker.key(_Thing(1).method) == b"\x04method\x00_Thing\x00" + module
    # Methods are named, not tied to their instance.
    assert key_maker.key(_Thing(1).method) == key_maker.key(_Thing(2).method)


def test_object_key_maker_builtins():
    key_maker = ObjectKeyMaker()
    assert key_maker.key(len) == b"\x04len"
    assert key_maker.key([].append) == b"\x04append"
    assert key_maker.key(len, [1]) == b"\x04len\x00\x03\x80\x02K\x01.\x03"


def test_object_key_maker_objects_are_pickled():
    key_maker = ObjectKeyMaker()
    assert key_maker.key(_Thing(1)) == _pickled(_Thing(1))
    assert key_maker.key(_Thing(1)) == key_maker.key(_Thing(1))
    assert key_maker.key(_Thing(1)) != key_maker.key(_Thing(2))

    with pytest.raises(TypeError):
        key_maker.key(threading.Lock())


def test_object_key_maker_nested_values_use_overridden_key():
    class Lowered(ObjectKeyMaker):
        def _key(self, item):
            if isinstance(item, str):
                item = item.lower()
            return super(Lowered, self)._key(item)

    key_maker = Lowered()
    assert key_maker.key({"A": ["B"]}) == ObjectKeyMaker().key({"a": ["b"]})


def test_object_key_maker_stable_across_processes():
    script = (
        "from ftrack_api.cache import ObjectKeyMaker;"
        "print(repr(ObjectKeyMaker().key({'b': [1, 2.5, None], 'a': 'x'}, ('x', b'y'))))"
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
    assert calls == [(1, 2), (1, 3)]


def test_memoiser_call_variations_share_key():
    calls = []

    def scale(value, factor=2):
        calls.append((value, factor))
        return value * factor

    memoiser = Memoiser()
    assert memoiser.call(scale, (3,)) == 6
    # Positional, keyword and default values binding the same parameters.
    for args, kw in [
        ((), {"value": 3}),
        ((3, 2), {}),
        ((3,), {"factor": 2}),
        ((), {"factor": 2, "value": 3}),
    ]:
        assert memoiser.call(scale, args, kw) == 6
    assert calls == [(3, 2)]

    assert memoiser.call(scale, (), {"value": 3, "factor": 3}) == 9
    assert memoiser.call(scale, (4,)) == 8
    assert calls == [(3, 2), (3, 3), (4, 2)]


def test_memoiser_key_from_function_and_bound_arguments():
    seen = []

    class Recording(StringKeyMaker):
        def key(self, *items):
            seen.append(items)
            return super(Recording, self).key(*items)

    def scale(value, factor=2, *rest, **options):
        return value * factor

    memoiser = Memoiser(key_maker=Recording())
    memoiser.call(scale, (3,), {"flag": True})
    assert seen == [
        (scale, {"value": 3, "factor": 2, "rest": (), "options": {"flag": True}})
    ]


def test_memoiser_rejects_arguments_not_fitting():
    calls = []

    def scale(value, factor=2):
        calls.append(value)
        return value * factor

    memoiser = Memoiser()
    with pytest.raises(TypeError):
        memoiser.call(scale, (), {})
    with pytest.raises(TypeError):
        memoiser.call(scale, (1,), {"other": 1})
    assert calls == []


def test_memoiser_methods_keyed_with_instance():
    memoiser = Memoiser()
    assert memoiser.call(_Thing(1).method) == 1
    assert memoiser.call(_Thing(2).method) == 2

    thing = _Thing(1)
    assert memoiser.call(thing.method) == 1
    thing.value = 5
    assert memoiser.call(thing.method) == 5


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


def test_memoiser_mutable_arguments_keyed_by_value():
    calls = []

    def total(values):
        calls.append(list(values))
        return sum(values)

    memoiser = Memoiser()
    values = [1, 2]
    assert memoiser.call(total, (values,)) == 3
    values.append(3)
    assert memoiser.call(total, (values,)) == 6
    assert memoiser.call(total, ([1, 2],)) == 3
    assert calls == [[1, 2], [1, 2, 3]]


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
