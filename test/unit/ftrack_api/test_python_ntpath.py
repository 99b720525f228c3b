"""Tests for :mod:`ftrack_api._python_ntpath` (Windows paths on any platform)."""

import os

import ftrack_api._python_ntpath as ntpath


def test_standard_functions_are_windows_ones():
    assert ntpath.join("c:\\projects", "shot") == "c:\\projects\\shot"
    assert ntpath.splitdrive("d:\\plates\\a.exr") == ("d:", "\\plates\\a.exr")


def test_splitunc_separates_host_and_share():
    assert ntpath.splitunc("\\\\render\\share\\seq\\a.exr") == (
        "\\\\render\\share", "\\seq\\a.exr")
    assert ntpath.splitunc("c:\\seq\\a.exr") == ("", "c:\\seq\\a.exr")


def test_walk_visits_every_folder(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "file.txt").write_text("x")
    visited = []
    ntpath.walk(str(tmp_path), lambda found, folder, names: found.append(
        (os.path.relpath(folder, str(tmp_path)), sorted(names))), visited)
    assert visited == [(".", ["a"]), ("a", ["b", "file.txt"]), (os.path.join("a", "b"), [])]
