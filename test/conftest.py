"""Shared pytest configuration for the test suite.

The ``ftrack_server`` and ``ftrack_session`` fixtures come from the
``ftrack_local.testing`` plugin, which is registered through the package's
``pytest11`` entry point.
"""
