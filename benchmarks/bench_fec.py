"""Import time of a FEC of about 1M lines (the FEC import issue's goal: under 10 s).

Run from the repository root::

    python benchmarks/bench_fec.py            # ~1M lines
    python benchmarks/bench_fec.py 100000     # about that many lines

The FEC is written once from a generated book (deterministic) into ``benchmarks/.books/``.
Timed: reading and checking the file, converting to book tables, and the whole
``import_fec`` (read, convert, validate the book, write it) as the CLI runs it.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from cashplan import make_book
from cashplan.io.fec import fec_to_book, import_fec, read_fec
from tests.fec_writer import book_to_fec

HERE = Path(__file__).resolve().parent / ".books"


def fec_file(lines: int) -> Path:
    path = HERE / f"fec-{lines}" / "123456789FEC20261031.txt"
    if not path.exists():
        n_invoices = int(lines / 4.4 / 0.78)  # ~4.5 lines per FR01 invoice, FR01 ~78 %
        tables = make_book(n_invoices=n_invoices, n_customers=max(250, n_invoices // 150), seed=11)
        inv = tables["invoices"]
        fr = inv.loc[inv["company"] == "FR01"]
        names = tables["customers"].set_index("customer_id")["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(book_to_fec(fr, names))
    return path


def main(lines: int) -> None:
    path = fec_file(lines)
    n = sum(1 for _ in path.open()) - 1
    start = time.perf_counter()
    typed = read_fec(path)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    result = fec_to_book(typed)
    convert_s = time.perf_counter() - start
    out = path.parent / "book"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    import_fec(path, out)
    total_s = time.perf_counter() - start
    print(f"FEC import of {n:,} lines ({len(result.tables['invoices']):,} invoices):")
    print(f"  read + check   {read_s:6.2f} s")
    print(f"  convert        {convert_s:6.2f} s")
    print(f"  import_fec     {total_s:6.2f} s  (read, convert, validate the book, write it)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
