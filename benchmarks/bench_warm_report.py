"""Where a warm ``cashplan report`` of the sample spends its time (issue 18: under 6 s).

Run from the repository root (after one report, so the compiled loops are cached)::

    python benchmarks/bench_warm_report.py            # 3 runs of each
    python benchmarks/bench_warm_report.py --runs 5
    python benchmarks/bench_warm_report.py --only cli --root /path/to/other/checkout  # before/after

``cli``: the command end to end in a fresh process (what a user waits for).
``import``: ``import cashplan.app.cli`` in a fresh process (what the command pays first).
``phases``: ``run_report`` in this process with each phase timed: ``check`` (read and
validate the book), ``snapshot``, ``hand-over`` (the notebook's analysis, computed here),
``kernel`` (what is left to wait of the kernel's start and
imports, begun before the check), ``notebook`` (the cells, the slowest from papermill's
timings), ``html`` and ``manifest``. Figures are medians; on a
shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

AS_OF = "2026-10-31"
ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "data" / "sample"


def _wall(argv: list[str], root: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=root, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cli(runs: int, root: Path = ROOT) -> list[float]:
    """The command run from ``root`` (``python -m`` imports the cashplan found there)."""
    out = Path(tempfile.mkdtemp()) / "r"
    argv = [sys.executable, "-m", "cashplan", "report", str(BOOK), "--as-of", AS_OF]
    return [_wall([*argv, "--out", str(out), "--force"], root) for _ in range(runs)]


def imports(runs: int) -> list[float]:
    return [_wall([sys.executable, "-c", "import cashplan.app.cli"]) for _ in range(runs)]


def phases(runs: int) -> dict[str, list[float]]:
    """``run_report`` in this process, each phase timed by wrapping the function that does it."""
    import nbformat

    from cashplan.app import report
    from cashplan.io import book

    times: dict[str, list[float]] = defaultdict(list)

    def timed(module: Any, name: str, label: str) -> None:
        inner = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                times[label].append(time.perf_counter() - start)

        setattr(module, name, wrapper)

    reproducible = report._make_reproducible

    def cells(path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            took = cell.metadata.get("papermill", {}).get("duration")
            if took is not None:
                first = (cell.source.splitlines() or [""])[0][:60]
                times[f"  cell {first}"].append(took)
        reproducible(path)

    report._make_reproducible = cells
    timed(book, "read_book", "check")
    timed(book, "save_snapshot", "snapshot")
    timed(report, "_hand_over", "hand-over (the analysis computed while the kernel starts)")
    timed(report, "_enter", "kernel (waiting for its start and imports)")
    timed(report, "_execute", "notebook")
    timed(report, "to_html", "html")
    timed(report, "_write_manifest", "manifest")
    out = Path(tempfile.mkdtemp()) / "r"
    for _ in range(runs):
        start = time.perf_counter()
        report.run_report(BOOK, AS_OF, out, force=True)
        times["run_report"].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["cli", "import", "phases"], nargs="*")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (cli)")
    args = parser.parse_args()
    wanted = args.only or ["cli", "import", "phases"]
    if "cli" in wanted:
        times = cli(args.runs, args.root)
        print(f"cli (end to end): median {statistics.median(times):.2f} s of", end=" ")
        print(", ".join(f"{t:.2f}" for t in times))
    if "import" in wanted:
        print(f"import cashplan.app.cli: {statistics.median(imports(args.runs)):.2f} s")
    if "phases" in wanted:
        for label, values in phases(args.runs).items():
            if not label.startswith("  ") or statistics.median(values) >= 0.1:
                print(f"{label}: {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
