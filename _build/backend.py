"""The project's build backend: setuptools', with the compiled loops shipped in the wheel.

``build_wheel`` first compiles every loop of :mod:`cashplan.fast` for the types a
report passes (:func:`cashplan.fast.warm.compile_all`) in a separate process, with
numba's cache in a temporary folder, and puts that cache in ``cashplan/fast/_compiled``
for the wheel; the first report after installing it loads the loops from there
instead of compiling them (:func:`cashplan.fast.config.unpack`). The process imports
only ``cashplan.fast`` (numba, numpy, pandas, pyarrow: the build's requirements),
not the package's ``__init__``. If compiling fails, the wheel is built without the
loops (a report then compiles them, as before) and the reason is printed.
Editable installs and source distributions are setuptools' own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the other hooks, unchanged)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cashplan" / "fast" / "_compiled"

_WARM = """
import sys, types
package = types.ModuleType("cashplan")
package.__path__ = [sys.argv[1]]
sys.modules["cashplan"] = package  # the loops alone, without the package's imports
from cashplan.fast.warm import compile_all
print(compile_all(), "loops' types compiled")
"""


def _compile_loops() -> None:
    """Fill ``SHIPPED`` with the loops compiled in a fresh numba cache."""
    shutil.rmtree(SHIPPED, ignore_errors=True)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        done = subprocess.run(
            [sys.executable, "-c", _WARM, str(ROOT / "cashplan")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        folders = [p for p in Path(cache).iterdir() if p.is_dir()]
        if done.returncode != 0 or len(folders) != 1:
            print("cashplan: the loops are not shipped compiled:", done.stderr[-2000:])
            return
        SHIPPED.mkdir()
        digest = hashlib.sha256()
        for path in sorted(folders[0].glob("*.nb[ic]")):
            shutil.copyfile(path, SHIPPED / path.name)
            digest.update(path.name.encode() + path.read_bytes())
        (SHIPPED / "built").write_text(digest.hexdigest(), encoding="utf-8")
        print("cashplan:", done.stdout.strip())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):  # type: ignore[no-untyped-def]
    """setuptools' wheel, with ``cashplan/fast/_compiled`` (module doc)."""
    _compile_loops()
    try:
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    finally:
        shutil.rmtree(SHIPPED, ignore_errors=True)
