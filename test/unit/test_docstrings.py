"""Every public module, class, function, method and property is documented.

Public means: its name and the names of the modules leading to it do not
start with an underscore, and it is defined in the package itself (names
imported from elsewhere are checked where they are defined). A method that
overrides a documented method of a base class may rely on that docstring.
"""

import importlib
import inspect
import pkgutil

import pytest

PACKAGES = ("ftrack_api", "ftrack_local")


def public_modules(package_name):
    """Yield the names of *package_name* and its public submodules."""
    package = importlib.import_module(package_name)
    yield package_name
    for info in pkgutil.walk_packages(package.__path__, package_name + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        yield info.name


MODULES = [name for package in PACKAGES for name in public_modules(package)]


def has_docstring(obj):
    """Whether *obj* carries a non-empty docstring of its own."""
    doc = getattr(obj, "__doc__", None)
    return isinstance(doc, str) and bool(doc.strip())


def unwrap(obj):
    """The plain function behind decorators such as pytest fixtures."""
    for attribute in ("_get_wrapped_function", "__wrapped__", "_fixture_function"):
        inner = getattr(obj, attribute, None)
        if callable(inner) and attribute == "_get_wrapped_function":
            inner = inner()
        if inner is not None and inner is not obj:
            return unwrap(inner)
    return obj


def inherited_doc(cls, name):
    """Whether a base of *cls* documents the member *name*."""
    for base in cls.__mro__[1:]:
        member = base.__dict__.get(name)
        if member is not None and has_docstring(getattr(member, "fget", member)):
            return True
    return False


def member_problems(cls, qualname):
    """Undocumented public methods and properties defined on *cls*."""
    problems = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            target = member.fget
        elif isinstance(member, (staticmethod, classmethod)):
            target = member.__func__
        elif inspect.isfunction(member):
            target = member
        else:
            continue
        if target is None or has_docstring(target) or inherited_doc(cls, name):
            continue
        problems.append("{0}.{1}".format(qualname, name))
    return problems


def module_problems(module_name):
    """Every undocumented public object defined in *module_name*."""
    module = importlib.import_module(module_name)
    problems = [] if has_docstring(module) else [module_name + " (module)"]
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_"):
            continue
        target = unwrap(obj)
        if getattr(target, "__module__", None) != module_name:
            continue
        qualname = "{0}.{1}".format(module_name, name)
        if inspect.isclass(target):
            if not has_docstring(target):
                problems.append(qualname)
            problems.extend(member_problems(target, qualname))
        elif inspect.isfunction(target) and not has_docstring(target):
            problems.append(qualname)
    return problems


def test_public_modules_are_found():
    assert "ftrack_api.session" in MODULES
    assert "ftrack_local.testing" in MODULES
    assert not [name for name in MODULES if "._" in name]


@pytest.mark.parametrize("module_name", MODULES)
def test_public_objects_have_docstrings(module_name):
    problems = module_problems(module_name)
    assert not problems, "Missing docstrings:\n  " + "\n  ".join(problems)
