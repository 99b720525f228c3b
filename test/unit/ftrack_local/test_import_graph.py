"""The modules of ``ftrack_local`` import each other without a cycle.

Only module-level imports count: an import inside a function is how a
module defers an optional or heavy dependency, and is not part of the
package's structure.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set

PACKAGE = "ftrack_local"
ROOT = Path(__file__).resolve().parents[3] / "source" / PACKAGE


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: Optional[str]) -> str:
    """The absolute name of a relative import found in *module*."""
    base = module.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _top_level_imports(tree: ast.Module) -> List[ast.stmt]:
    """Import statements run when the module loads (also inside if/try blocks)."""
    found: List[ast.stmt] = []
    pending: List[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    pending.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(node: ast.stmt, module: str, is_package: bool, modules: Set[str]) -> Set[str]:
    """The package modules one import statement of *module* depends on.

    ``from .pkg import name`` depends on ``pkg.name`` when that is a module
    and otherwise on ``pkg`` itself, whose ``__init__`` defines the name. A
    module's own parent packages are loaded before it anyway, so importing
    a submodule through them is no dependency on them.
    """
    parents = {module.rsplit(".", depth)[0] for depth in range(1, module.count(".") + 1)}
    if isinstance(node, ast.Import):
        found: Set[str] = set()
        for alias in node.names:
            parts = alias.name.split(".")
            found.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
        return (found & modules) - parents - {module}
    assert isinstance(node, ast.ImportFrom)
    base = _resolve(module, is_package, node.level, node.module) if node.level else node.module or ""
    submodules = {"{0}.{1}".format(base, alias.name) for alias in node.names} & modules
    found = set(submodules)
    if len(submodules) < len(node.names) or base not in parents:
        found.add(base)
    return (found & modules) - {module}


def import_graph(root: Path = ROOT) -> Dict[str, Set[str]]:
    """Module name -> the modules of the package at *root* it imports when it loads."""
    paths = {_module_name(path, root): path for path in root.rglob("*.py")}
    graph: Dict[str, Set[str]] = {}
    for module, path in paths.items():
        is_package = path.name == "__init__.py"
        graph[module] = set()
        for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            graph[module] |= _imported(node, module, is_package, set(paths))
    return graph


def layer_graph(graph: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    """*graph* with each subpackage (``api``, ``components`` …) as one node."""
    def layer(module: str) -> str:
        return ".".join(module.split(".")[:2])

    layers: Dict[str, Set[str]] = {layer(module): set() for module in graph}
    for module, targets in graph.items():
        layers[layer(module)].update(layer(target) for target in targets)
    for name, targets in layers.items():
        targets.discard(name)
    return layers


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One cycle of *graph* as a list of modules (first repeated last), or None."""
    state: Dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        path: List[str] = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif not state.get(following):
                state[following] = 1
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_graph_covers_the_package():
    graph = import_graph()
    assert {"ftrack_local.app", "ftrack_local.api.backend", "ftrack_local.http"} <= set(graph)
    assert "ftrack_local.errors" in graph["ftrack_local.http"]


def test_cycle_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _package(folder: Path, files: Dict[str, str]) -> Path:
    root = folder / "planted"
    for name, text in dict(files, **{"__init__.py": ""}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_graph_sees_a_planted_cycle(tmp_path):
    root = _package(tmp_path, {"a.py": "from . import b\n", "b.py": "from .a import thing\n"})
    assert find_cycle(import_graph(root)) == ["planted.a", "planted.b", "planted.a"]


def test_graph_ignores_deferred_and_submodule_imports(tmp_path):
    root = _package(tmp_path, {
        "a.py": "def later():\n    from . import b\n",
        "b.py": "from .a import later\n",
        "sub/__init__.py": "from .c import value\n",
        "sub/c.py": "from . import d\nvalue = d\n",
        "sub/d.py": "",
    })
    graph = import_graph(root)
    assert graph["planted.a"] == set()
    assert graph["planted.sub.c"] == {"planted.sub.d"}
    assert find_cycle(graph) is None


def test_type_checking_imports_do_not_count():
    tree = ast.parse("from typing import TYPE_CHECKING\nimport os\nif TYPE_CHECKING:\n    import json\n")
    assert sorted(type(node).__name__ for node in _top_level_imports(tree)) == ["Import", "ImportFrom"]


def test_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_subpackages_have_no_import_cycle():
    layers = layer_graph(import_graph())
    assert "ftrack_local.components" in layers["ftrack_local.api"]
    assert find_cycle(layers) is None
