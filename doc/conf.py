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

# Only extensions that work offline: the build never fetches anything.
extensions = [
    "sphinx.ext.autodoc",
]

master_doc = "index"
source_suffix = ".rst"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
# Type hints are shown in signatures; unresolvable references are not errors.
autodoc_typehints = "signature"
nitpicky = False
suppress_warnings = ["ref.python"]
html_theme = "alabaster"
html_static_path = []
