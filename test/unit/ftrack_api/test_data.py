"""Tests for :mod:`ftrack_api.data`."""

import io
import os

import pytest

import ftrack_api.data


def test_data_is_abstract():
    with pytest.raises(TypeError):
        ftrack_api.data.Data()


def test_minimal_subclass_defaults():
    class Minimal(ftrack_api.data.Data):
        def read(self, limit=None):
            return b""

        def write(self, content):
            pass

    data = Minimal()
    data.flush()
    data.close()
    with pytest.raises(NotImplementedError):
        data.seek(0)
    with pytest.raises(NotImplementedError):
        data.tell()


def test_file_wrapper_delegates():
    buffer = io.BytesIO()
    data = ftrack_api.data.FileWrapper(buffer)
    assert data.wrapped_file is buffer

    data.write(b"hello world")
    data.flush()
    assert data.tell() == 11
    data.seek(0)
    assert data.read(5) == b"hello"
    assert data.read() == b" world"
    data.seek(-5, 2)
    assert data.read(None) == b"world"
    data.close()
    assert buffer.closed


def test_file_read_binary(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"\x00\x01binary\xff")
    data = ftrack_api.data.File(str(path))
    try:
        assert data.read(2) == b"\x00\x01"
        assert data.read() == b"binary\xff"
        assert data.read() == b""
    finally:
        data.close()


def test_file_write_mode(tmp_path):
    path = tmp_path / "out.bin"
    data = ftrack_api.data.File(str(path), "wb")
    data.write(b"content")
    data.close()
    assert path.read_bytes() == b"content"


def test_file_missing_path(tmp_path):
    with pytest.raises(IOError):
        ftrack_api.data.File(str(tmp_path / "missing"))


def test_chunked_copy_between_file_objects(tmp_path):
    source_path = tmp_path / "source.bin"
    payload = os.urandom(10000)
    source_path.write_bytes(payload)
    target_path = tmp_path / "target.bin"

    source = ftrack_api.data.File(str(source_path))
    target = ftrack_api.data.File(str(target_path), "wb")
    for chunk in iter(lambda: source.read(1024), b""):
        target.write(chunk)
    source.close()
    target.close()
    assert target_path.read_bytes() == payload


def test_string_text_content():
    data = ftrack_api.data.String("hello")
    assert data.tell() == 0
    assert data.read() == "hello"
    assert data.read() == ""


def test_string_bytes_content():
    data = ftrack_api.data.String(b"\x00\xffraw")
    assert data.read() == b"\x00\xffraw"
    assert data.read() == b""


def test_string_empty():
    data = ftrack_api.data.String()
    assert data.read() == b""
    data.write("later")
    data.seek(0)
    assert data.read() == "later"


def test_string_uses_temporary_file():
    data = ftrack_api.data.String("x")
    assert not isinstance(data.wrapped_file, (io.StringIO, io.BytesIO))
    data.close()


def test_string_chunked_read_never_splits_characters():
    text = "h\u00e9llo w\u00f6rld \u2603 \U0001f600!"
    data = ftrack_api.data.String(text)
    pieces = []
    while True:
        chunk = data.read(1)
        if not chunk:
            break
        assert isinstance(chunk, str)
        pieces.append(chunk)
    assert "".join(pieces) == text


def test_string_seek_resets_decoding():
    data = ftrack_api.data.String("\u00e9a")
    assert data.read(1) == "\u00e9"
    data.seek(0)
    assert data.read() == "\u00e9a"
    data.seek(2)
    assert data.read() == "a"


def test_string_write_mixed_content():
    data = ftrack_api.data.String("abc")
    data.seek(0, 2)
    data.write(b"def")
    data.seek(0)
    assert data.read() == "abcdef"


def test_string_close():
    data = ftrack_api.data.String("abc")
    data.close()
    assert data.wrapped_file.closed
