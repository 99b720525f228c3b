"""Python client for the ftrack data API."""

from ._version import __version__
