"""Discovery and loading of plugins.

A plugin is a Python source file exposing a ``register`` function. Plugins
are found by searching directories recursively; each file is imported under
a unique module name and its ``register`` function called.
"""

import importlib.util
import inspect
import logging
import os
import sys
import traceback
import uuid


_LOGGER = logging.getLogger(__name__)


def load_source(modname, filename):
    """Import the Python source file *filename* as module *modname*.

    The module is added to :data:`sys.modules` under *modname* before its
    code runs (as for a normal import) and is returned.
    """
    loader_spec = importlib.util.spec_from_file_location(modname, filename)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(
            "Cannot load {0!r} as a Python module.".format(filename), name=modname
        )

    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[modname] = module
    try:
        loader_spec.loader.exec_module(module)
    except BaseException:
        if sys.modules.get(modname) is module:
            del sys.modules[modname]
        raise

    return module


def _iter_plugin_files(path):
    """Yield Python source files found under directory *path*, sorted."""
    for directory, subdirectories, filenames in os.walk(path, followlinks=True):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if name != "__pycache__" and not name.startswith(".")
        )
        for filename in sorted(filenames):
            if filename.endswith(".py") and not filename.startswith("."):
                yield os.path.join(directory, filename)


def _fit_arguments(function, args, kwargs):
    """Return *args* and *kwargs* reduced to what *function* accepts.

    Also return lists of the positional indexes and keyword names dropped.
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return args, kwargs, [], []

    parameters = list(signature.parameters.values())
    kinds = [parameter.kind for parameter in parameters]

    if inspect.Parameter.VAR_POSITIONAL in kinds:
        accepted_args = list(args)
    else:
        positional = [
            parameter
            for parameter in parameters
            if parameter.kind
            in (
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            )
        ]
        accepted_args = list(args[: len(positional)])

    dropped_args = list(range(len(accepted_args), len(args)))

    if inspect.Parameter.VAR_KEYWORD in kinds:
        accepted_kwargs = dict(kwargs)
    else:
        # Names already filled positionally cannot be passed again.
        used = set(
            parameter.name
            for parameter in parameters[: len(accepted_args)]
            if parameter.kind != inspect.Parameter.VAR_POSITIONAL
        )
        names = set(
            parameter.name
            for parameter in parameters
            if parameter.kind
            in (
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                inspect.Parameter.KEYWORD_ONLY,
            )
        )
        accepted_kwargs = dict(
            (key, value)
            for key, value in kwargs.items()
            if key in names and key not in used
        )

    dropped_kwargs = sorted(key for key in kwargs if key not in accepted_kwargs)

    return accepted_args, accepted_kwargs, dropped_args, dropped_kwargs


def discover(paths, positional_arguments=None, keyword_arguments=None):
    """Find plugins in *paths* and register them.

    Every directory in *paths* is searched recursively for Python source
    files. Each one is imported and, if it defines a ``register`` callable,
    that is called with *positional_arguments* and *keyword_arguments*
    (as ``*args`` and ``**kwargs``).

    When ``register`` does not accept variable arguments, only the arguments
    its signature accepts are passed and a warning is logged naming what was
    left out.

    Paths that do not exist are skipped. Files that fail to import, have no
    ``register`` function or whose ``register`` raises are logged and skipped;
    discovery carries on with the remaining plugins.
    """
    if positional_arguments is None:
        positional_arguments = []
    if keyword_arguments is None:
        keyword_arguments = {}

    for path in paths or []:
        if not path:
            continue

        path = os.fspath(path)
        if not os.path.isdir(path):
            _LOGGER.debug("Plugin path %r is not a directory; skipped.", path)
            continue

        for filename in _iter_plugin_files(path):
            module_name = "ftrack_api_plugin_{0}".format(uuid.uuid4().hex)

            try:
                module = load_source(module_name, filename)
            except Exception:
                _LOGGER.warning(
                    "Failed to load plugin from %r:\n%s",
                    filename,
                    traceback.format_exc(),
                )
                continue

            register = getattr(module, "register", None)
            if not callable(register):
                _LOGGER.warning(
                    "Plugin %r has no register function; skipped.", filename
                )
                continue

            args, kwargs, dropped_args, dropped_kwargs = _fit_arguments(
                register, list(positional_arguments), dict(keyword_arguments)
            )
            if dropped_args or dropped_kwargs:
                _LOGGER.warning(
                    "Register function of plugin %r does not accept all "
                    "arguments; left out %d positional argument(s) and "
                    "keyword argument(s) %s.",
                    filename,
                    len(dropped_args),
                    ", ".join(repr(key) for key in dropped_kwargs) or "none",
                )

            try:
                register(*args, **kwargs)
            except Exception:
                _LOGGER.warning(
                    "Failed to register plugin from %r:\n%s",
                    filename,
                    traceback.format_exc(),
                )
                continue

            _LOGGER.debug("Registered plugin from %r.", filename)
