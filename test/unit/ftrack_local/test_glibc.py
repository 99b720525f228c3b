"""Looking up glibc functions for the server's memory tuning."""

import ctypes
import platform
import sys

import pytest

from ftrack_local.glibc import glibc_function

on_glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                              reason="needs Linux with the GNU C library")


def test_a_function_the_library_lacks_is_none():
    assert glibc_function("ftrack_local_no_such_function", [ctypes.c_int], ctypes.c_int) is None


@on_glibc
def test_a_glibc_function_is_callable_with_its_signature():
    trim = glibc_function("malloc_trim", [ctypes.c_size_t], ctypes.c_int)
    assert trim is not None
    assert trim.argtypes == [ctypes.c_size_t] and trim.restype is ctypes.c_int
    assert trim(0) in (0, 1)
