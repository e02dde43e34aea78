"""``cashplan report`` on a large CSV book, with the time of each phase (issue 18).

Run from the repository root::

    python benchmarks/bench_report_read.py                   # a 1M-invoice two-company CSV book
    python benchmarks/bench_report_read.py --book DIR        # a book folder already written
    python benchmarks/bench_report_read.py --read-twice      # without the snapshot (as before)
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_report_read.py --book DIR

The report runs in this process (:func:`cashplan.app.report.run_report`, what each job of
``cashplan report`` runs), its steps timed by wrapping them:

- ``check read``: the book read and validated before the notebook;
- ``snapshot``: the checked book saved for the kernel (absent before issue 18);
- ``notebook``: papermill, kernel start included; ``load cell`` is the notebook's first
  code cell after the parameters (``nb.load``: the book read again, or the snapshot loaded)
  and ``other cells`` the rest of the cells (analysis, tables, charts, output files);
- ``html`` and ``manifest``: the export and the manifest (its sha256 of every file).

The book is generated once (deterministic seed) into ``benchmarks/.books/`` (git-ignored).
Figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_read import book_folder

AS_OF = "2026-10-31"
SLOWEST = 5  # the slowest cells shown under "other cells"


def _timed(times: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def _cell_times(times: dict[str, float], fn: Callable[[Path], None]) -> Callable[[Path], None]:
    """Read papermill's cell durations before the report drops them."""

    def wrapper(path: Path) -> None:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        durations = [
            (c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0, c)
            for c in cells
            if c["cell_type"] == "code"
        ]
        tags = [c.get("metadata", {}).get("tags", []) for _, c in durations]
        first = next(i for i, t in enumerate(tags) if "injected-parameters" in t) + 1
        times["load cell"] = durations[first][0]
        times["other cells"] = sum(d for d, _ in durations[first + 1 :])
        slowest = sorted(durations[first + 1 :], key=lambda dc: -dc[0])[:SLOWEST]
        for seconds, cell in slowest:
            source = "".join(cell["source"]).strip().splitlines()[0][:40]
            times[f"  {source}"] = seconds
        fn(path)

    return wrapper


def run(book: Path, read_twice: bool) -> dict[str, float]:
    import cashplan.io.book as book_module
    from cashplan.app import report

    times: dict[str, float] = {}
    book_module.read_book = _timed(times, "check read", book_module.read_book)
    if hasattr(book_module, "save_snapshot"):
        save = book_module.save_snapshot
        book_module.save_snapshot = (  # type: ignore[assignment]
            (lambda book, folder: None) if read_twice else _timed(times, "snapshot", save)
        )
    report._execute = _timed(times, "notebook", report._execute)
    report._make_reproducible = _cell_times(times, report._make_reproducible)
    report.to_html = _timed(times, "html", report.to_html)
    report._write_manifest = _timed(times, "manifest", report._write_manifest)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        report.run_report(book, AS_OF, Path(tmp) / "report")
    times["total"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invoices", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--book", type=Path, help="a CSV book folder already written")
    parser.add_argument("--read-twice", action="store_true", help="no snapshot: as before")
    args = parser.parse_args()
    folder = (args.book or book_folder(args.invoices)).absolute()
    times = run(folder, args.read_twice)
    print(f"cashplan report on {folder}" + (" (read twice)" if args.read_twice else ""))
    for name, seconds in times.items():
        print(f"{name:<42} {seconds:>7.1f} s")


if __name__ == "__main__":
    main()
