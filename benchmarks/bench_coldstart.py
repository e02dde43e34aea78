"""A first report after install against a warm one, in a fresh virtual environment.

Run from the repository root::

    python benchmarks/bench_coldstart.py            # venv in a temporary folder
    python benchmarks/bench_coldstart.py --keep /tmp/cs-venv

It does what the README's first command does on a new machine: creates a virtual
environment, ``pip install .`` (pip's own download and wheel caches are used, as a user's
would be), then runs ``cashplan report data/sample --as-of 2026-10-31`` three times with an
empty numba cache (``NUMBA_CACHE_DIR`` set to a fresh folder): the first report after the
install, then two warm ones. It prints each time with the load average before it: on a
shared machine the figures move with the load. The reports run from a temporary folder, so
that this checkout's ``cashplan`` folder is not imported instead of the installed one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(label: str, command: list[str], **kwargs: object) -> float:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    took = time.perf_counter() - start
    print(f"{label:<28} {took:7.1f} s   (load average before: {load})", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="create the venv here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        venv = args.keep or Path(tmp, "venv")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["NUMBA_CACHE_DIR"] = str(Path(tmp, "numba"))
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        _timed("pip install .", [str(venv / "bin/pip"), "install", "-q", str(ROOT)], env=env)
        report = [
            str(venv / "bin/cashplan"),
            "report",
            str(ROOT / "data/sample"),
            "--as-of",
            "2026-10-31",
            "--out",
            str(Path(tmp, "report")),
            "--force",
        ]
        first = _timed("first report (cold cache)", report, env=env, cwd=tmp)
        warm = min(_timed(f"warm report {i}", report, env=env, cwd=tmp) for i in (1, 2))
        print(f"first - warm: {first - warm:.1f} s")


if __name__ == "__main__":
    main()
