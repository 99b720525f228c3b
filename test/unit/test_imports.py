"""Every module of both packages imports on its own, first of its package:
no import cycle hides behind the order other modules happen to load in."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "source"

CHECK = r"""
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("ftrack_api", "ftrack_local")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\n" + traceback.format_exc(limit=3))
print("\n".join(failed))
sys.exit(1 if failed else 0)
"""


def module_names():
    names = []
    for package in ("ftrack_api", "ftrack_local"):
        names.append(package)
        for info in pkgutil.walk_packages([str(SOURCE / package)], package + "."):
            names.append(info.name)
    return names


@pytest.mark.slow
def test_every_module_imports_alone():
    names = module_names()
    assert len(names) > 80
    result = subprocess.run([sys.executable, "-c", CHECK] + names, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
