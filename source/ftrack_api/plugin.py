"""Discovery and loading of plugins.

A plugin is a Python source file exposing a ``register`` function. Plugins
are found by searching directories recursively; each file is imported under
a unique module name and its ``register`` function called.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import logging
import os
import sys
import traceback
import uuid
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union


#: Logger of :func:`discover`, a child of this module's logger.
_DISCOVER_LOGGER = logging.getLogger(__name__ + ".discover")


def load_source(modname: str, filename: Union[str, os.PathLike]) -> ModuleType:
    """Import the Python source file *filename* as module *modname*.

    The file is read as Python source whatever its extension. The module is
    added to :data:`sys.modules` under *modname* before its code runs (as
    for a normal import) and is returned.
    """
    # An explicit source loader reads the file whatever its extension.
    loader = importlib.machinery.SourceFileLoader(modname, os.fspath(filename))
    loader_spec = importlib.util.spec_from_file_location(
        modname, loader.path, loader=loader
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


def _iter_plugin_files(path: str) -> Iterator[str]:
    """Yield the Python source files (``*.py``) found under directory *path*.

    The walk is recursive, does not follow symbolic links to directories and
    visits directories and files in sorted order so that plugins are always
    registered in the same order.
    """
    for directory, subdirectories, filenames in os.walk(path):
        subdirectories.sort()
        for filename in sorted(filenames):
            if os.path.splitext(filename)[1] == ".py":
                yield os.path.join(directory, filename)


def _fit_arguments(
    function: Callable[..., Any], args: list, kwargs: dict
) -> tuple[list, dict, list[int], list[str]]:
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


def _search_path(path: Union[str, bytes, os.PathLike, None]) -> Optional[str]:
    """Return *path* as a string to search, or None when it should be ignored.

    Surrounding whitespace is removed, and blank entries (which would
    otherwise mean the current directory) are ignored.
    """
    if path is None:
        return None
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    path = path.strip()
    return path or None


def discover(
    paths: Optional[Iterable[Union[str, os.PathLike]]], positional_arguments: Optional[Sequence[Any]] = None,
    keyword_arguments: Optional[Mapping[str, Any]] = None
) -> None:
    """Find plugins in *paths* and register them.

    Every directory in *paths* is searched recursively for Python source
    files. Each one is imported and its module level ``register`` function
    called with *positional_arguments* and *keyword_arguments* (as ``*args``
    and ``**kwargs``).

    When ``register`` does not accept variable arguments, only the arguments
    its signature accepts are passed, and a warning says that arguments were
    culled.

    Blank entries and paths that do not exist are skipped silently. A file
    that fails to import is reported with a warning (and its traceback at
    debug level) and skipped, as is a file without a ``register`` function;
    discovery then carries on with the remaining files. An exception raised
    by a ``register`` function is not caught.

    Records are logged on the ``ftrack_api.plugin.discover`` logger.
    """
    if positional_arguments is None:
        positional_arguments = []
    if keyword_arguments is None:
        keyword_arguments = {}

    for path in paths or []:
        path = _search_path(path)
        if path is None:
            continue

        for filename in _iter_plugin_files(path):
            _register_plugin(filename, positional_arguments, keyword_arguments)


def _register_plugin(filename: str, positional_arguments: Sequence[Any], keyword_arguments: Mapping[str, Any]) -> None:
    """Import the plugin file *filename* and call its ``register`` function."""
    try:
        module = load_source(uuid.uuid4().hex, filename)
    except Exception as error:
        _DISCOVER_LOGGER.warning(
            'Failed to load plugin from "{0}": {1}'.format(filename, error)
        )
        _DISCOVER_LOGGER.debug(traceback.format_exc())
        return

    register = getattr(module, "register", None)
    if not callable(register):
        _DISCOVER_LOGGER.warning(
            'Failed to load plugin that did not define a "register" function '
            "at the module level: {0}".format(filename)
        )
        return

    args, kwargs, dropped_args, dropped_kwargs = _fit_arguments(
        register, list(positional_arguments), dict(keyword_arguments)
    )
    if dropped_args or dropped_kwargs:
        _DISCOVER_LOGGER.warning(
            "Culling passed arguments to match register function signature."
        )

    register(*args, **kwargs)
