"""How the loops compile: cached on disk in the user's cache folder, never in the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cashplan
from cashplan.fast import calendar, grouping
from cashplan.fast.config import cache_dir

PACKAGE = Path(cashplan.__file__).resolve().parent


def test_the_loops_are_cached_in_the_users_cache_folder_not_in_the_package() -> None:
    for loop in (calendar.civil, grouping._bucket_sums):
        where = Path(loop._cache.cache_path).resolve()
        assert where.is_relative_to(cache_dir().resolve()), where
        assert not where.is_relative_to(PACKAGE), where


def test_a_first_call_writes_its_compiled_loop_there_and_a_new_process_reads_it(
    tmp_path: Path,
) -> None:
    code = (
        "import numpy as np\n"
        "from cashplan.fast.calendar import civil\n"
        "from cashplan.fast.config import cache_dir\n"
        "civil(np.int64(20_000))\n"
        "s = civil.stats\n"
        "print(cache_dir(), sum(s.cache_hits.values()), sum(s.cache_misses.values()))\n"
    )
    env = {
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PACKAGE.parent),
    }
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [[str(tmp_path / "numba"), "0", "1"], [str(tmp_path / "numba"), "1", "0"]]
    assert list((tmp_path / "numba").rglob("*.nbi")), "nothing cached"
