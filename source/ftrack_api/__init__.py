"""Python client for the ftrack data API."""

from __future__ import annotations

from ._version import __version__  # noqa: F401 - the package version


def mixin(instance: object, mixin_class: type, name: str | None = None) -> None:
    """Mixin *mixin_class* to *instance*.

    *name* can be used to specify new class name. If not specified then one
    will be generated. Mixing in a class already in the instance's class
    hierarchy changes nothing.
    """
    if isinstance(instance, mixin_class):
        return

    if name is None:
        name = "{0}{1}".format(instance.__class__.__name__, mixin_class.__name__)

    instance.__class__ = type(name, (mixin_class, instance.__class__), {})


from .session import Session  # noqa: E402,F401 - ftrack_api.Session
