"""The loops compiled ahead: the listed types, and a shipped cache read instead of compiling."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cashplan
from cashplan.fast.warm import compile_all, dispatchers, signatures

PACKAGE = Path(cashplan.__file__).resolve().parent

_CIVIL = (  # the package's __init__ not run (as at the build): SHIPPED set before the loops
    "import sys, types\n"
    "from pathlib import Path\n"
    "package = types.ModuleType('cashplan')\n"
    "package.__path__ = [sys.argv[2]]\n"
    "sys.modules['cashplan'] = package\n"
    "import numpy as np\n"
    "import cashplan.fast.config as config\n"
    "config.SHIPPED = Path(sys.argv[1])\n"
    "from cashplan.fast.calendar import civil\n"
    "civil(np.int64(20_000))\n"
    "s = civil.stats\n"
    "print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))\n"
)


def test_every_listed_type_names_a_loop_of_the_package_and_reads_back() -> None:
    loops = dispatchers()
    rows = signatures()
    assert len(rows) >= 20
    for module, function, sig in rows:
        assert (module, function) in loops, (module, function)
        parameters = inspect.signature(loops[module, function].py_func).parameters
        assert len(sig) == len(parameters), f"{module}.{function}: run _build/record.py"
        assert sig and all(hasattr(t, "key") for t in sig), (module, function, sig)
    assert ("delays", "_delay_cdfs") in {(m, f) for m, f, _ in rows}  # the longest to compile


def _civil(cache: Path, shipped: Path) -> list[str]:
    env = {
        "NUMBA_CACHE_DIR": str(cache),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PACKAGE.parent),
    }
    done = subprocess.run(
        [sys.executable, "-c", _CIVIL, str(shipped), str(PACKAGE)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_a_shipped_cache_is_read_by_a_fresh_user_cache_instead_of_compiling(
    tmp_path: Path,
) -> None:
    builder, shipped, user = tmp_path / "build", tmp_path / "shipped", tmp_path / "user"
    assert _civil(builder, tmp_path / "none") == ["0", "1"]  # compiled, as at the build
    shipped.mkdir()
    for path in builder.rglob("*.nb[ic]"):
        shutil.copyfile(path, shipped / path.name)
    (shipped / "built").write_text("build 1", encoding="utf-8")
    assert _civil(user, shipped) == ["1", "0"]  # loaded: the shipped copy, not compiled
    assert [p.read_text() for p in user.rglob(".built")] == ["build 1"]


def test_a_line_that_no_longer_fits_its_loop_is_skipped_not_the_whole_build(
    tmp_path: Path, capsys
) -> None:
    listed = tmp_path / "signatures.txt"
    listed.write_text(
        "calendar\tcivil\t(int64, int64)\n"  # its arguments changed since recorded
        "calendar\tgone\t(int64,)\n"  # renamed
        "calendar\tcivil\t(int64,)\n",
        encoding="utf-8",
    )
    assert compile_all(listed) == 1
    assert capsys.readouterr().err.count("not compiled ahead") == 2
