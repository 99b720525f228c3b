"""Sphinx configuration for the ftrack Python API documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "source")))

project = "ftrack Python API"
author = "ftrack Python API contributors"
copyright = "ftrack Python API contributors"

try:
    from ftrack_api._version import __version__ as release
except ImportError:  # pragma: no cover - documentation built without sources
    release = "unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
]

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
}

master_doc = "index"
source_suffix = ".rst"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
html_theme = "alabaster"
