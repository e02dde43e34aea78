"""How the loops compile: cached on disk in the user's cache folder, never in the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np

import cashplan
from cashplan.fast import calendar, grouping
from cashplan.fast.config import SMALL, cache_dir, cores_for, threads

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
        "from cashplan.fast.config import SMALL, cache_dir, cores_for, threads\n"
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


def test_little_work_runs_on_this_thread_alone_and_the_thread_count_comes_back() -> None:
    before = threads()
    with cores_for(SMALL - 1):
        assert threads() == 1
    assert threads() == before
    with cores_for(SMALL):
        assert threads() == before
    try:
        with cores_for(10):
            raise RuntimeError("a loop failed")
    except RuntimeError:
        pass
    assert threads() == before  # restored after an error too


def test_a_loop_gives_the_same_sums_on_one_core_as_on_all() -> None:
    rng = np.random.default_rng(3)
    n, k = 5_000, 12
    codes = np.sort(rng.integers(0, 300, n)).astype(np.int64)
    company = (codes % 3).astype(np.int64)
    amount = rng.uniform(1, 1_000, n)
    mass = rng.dirichlet(np.ones(k), n)
    column = np.arange(k, dtype=np.int64) // 2
    order = grouping.by_customer(codes, 300)
    args = (codes, company, amount, mass, column, 6, order, 3, grouping.PARTS)
    numba.set_num_threads(1)
    try:
        alone = grouping._bucket_sums(*args)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    shared = grouping._bucket_sums(*args)
    for a, b in zip(alone, shared, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
