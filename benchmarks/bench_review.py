"""What the monthly review adds to a report: read last month's report and review it (best of 5).

Writes the sample book's report at 2026-09-30 once (into a temporary folder, unless
``--previous DIR`` names one), then times :func:`cashplan.io.previous.read_previous`,
:func:`~cashplan.io.previous.check_previous` and :func:`cashplan.planning.review.review`
against the sample at 2026-10-31, and the learned levers' replan
(``Analysis.replace(lever_success=...)``: the candidates and the plan again).

    python benchmarks/bench_review.py [--previous DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cashplan.app.analysis import Analysis, Settings
from cashplan.app.report import run_report
from cashplan.io.book import read_book
from cashplan.io.previous import check_previous, read_previous
from cashplan.planning.review import review

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _best(run, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--previous", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.previous or run_report(SAMPLE, "2026-09-30", Path(tmp) / "sep")
        book = read_book(SAMPLE)

        def pure() -> None:
            last = read_previous(folder)
            check_previous(last, book, "2026-10-31")
            review(last, book, "2026-10-31")

        seconds = _best(pure)
        a = Analysis(book, Settings(as_of="2026-10-31"))
        _ = a.plan
        last = read_previous(folder)
        rates = review(last, book, "2026-10-31").levers.set_index("lever")["posterior"]
        learned = {k: float(v) + 0.01 for k, v in rates.items()}  # forces a replan
        replan = _best(lambda: a.replace(lever_success=learned).plan)
    print(f"sample book ({len(book.invoices):,} invoices), review of 2026-09-30 at 2026-10-31:")
    print(f"  read + check + review: {seconds * 1000:.0f} ms (best of 5)")
    print(f"  replan with the learned rates: {replan * 1000:.0f} ms (best of 5)")


if __name__ == "__main__":
    main()
