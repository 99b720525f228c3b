"""A local server that speaks the ftrack API protocol, for offline work and tests."""

__version__ = "0.1.0"
