"""The ``cashplan`` command line.

Errors that the user can fix (a bad book, a bad argument) are printed as a
readable message on stderr with exit code 2, never as a traceback; Ctrl-C prints one
line (exit code 130).

Importing this module imports neither pandas nor the rest of cashplan: each command
imports what it uses, so ``cashplan report`` starts the notebook's kernel about 0.2 s
after the process starts (its imports then run beside the command's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main"]

_EPILOG = """examples:
  cashplan app data/sample --as-of 2026-10-31 --user "Claire Martin"
  cashplan report data/sample --as-of 2026-10-31 --out reports/sample
  cashplan report books/* --as-of 2026-10-31 --out reports/2026-10 --param catch_up=3
  cashplan report data/sample --as-of 2026-11-30 --out reports/11 --previous reports/10
  cashplan summary data/sample --as-of 2026-10-31
  cashplan summary data/sample --as-of 2026-10-31 --company UK01 --currency GBP
  cashplan sample --out /tmp/big --invoices 1000000 --format parquet
  cashplan backtest data/sample
  cashplan import-fec 123456789FEC20261231.txt --out books/acme --terms "45 jours fin de mois"

The book folder format is described in the README (data contract)."""


def _date(text: str) -> dt.datetime:
    """A date written YYYY-MM-DD (without pandas: parsing comes before any import)."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD"
        ) from None


def _book_arguments(parser: argparse.ArgumentParser) -> None:
    """The book to read and its reporting currency: the same for every command reading a book."""
    parser.add_argument("book", type=Path, help="the book folder (or a book.xlsx)")
    parser.add_argument(
        "--currency", default="EUR", metavar="CODE", help="reporting currency (default EUR)"
    )


def _parser() -> argparse.ArgumentParser:
    from cashplan import __version__

    parser = argparse.ArgumentParser(
        prog="cashplan",
        description="Cash planning from a receivables ledger: cash targets, the collection "
        "forecast, the gap and the battle plan, aged balance and KPIs, the monthly report, "
        "FEC import.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cashplan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _summary_parser(sub)
    _sample_parser(sub)
    _import_fec_parser(sub)
    _backtest_parser(sub)
    _report_parser(sub)
    _app_parser(sub)
    return parser


def _summary_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan summary`: targets, aged balance and KPIs printed."""
    summary = sub.add_parser(
        "summary",
        help="print targets, aged balance and KPIs of a book",
        description="Read and check a book, then print its cash targets, "
        "aged balance and KPIs at a date.",
    )
    _book_arguments(summary)
    summary.add_argument(
        "--as-of",
        type=_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="the date the book is seen at (never today's date by default)",
    )
    summary.add_argument("--company", help="one company only (default: all, consolidated)")
    summary.add_argument(
        "--catch-up",
        type=int,
        default=None,  # Settings' (app.analysis.setting_default), read when used
        metavar="K",
        help="months over which a shortfall is caught up (default 1)",
    )
    summary.add_argument(
        "--surplus-lowers",
        action="store_true",
        help="let a month's surplus lower the next targets (default: no)",
    )
    summary.add_argument(
        "--margin",
        type=float,
        default=None,  # Settings'
        metavar="FRACTION",
        help="safety margin on the cash need, e.g. 0.1 for 10%% (default 0)",
    )


def _sample_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan sample`: the sample book (or a larger one) written."""
    sample = sub.add_parser(
        "sample",
        help="write the deterministic sample book (or a larger one)",
        description="Generate a realistic book: two companies (EUR, GBP), "
        "distinct payer profiles, promises, spending and FX rates.",
    )
    sample.add_argument(
        "--out",
        type=Path,
        default=Path("data/sample"),
        help="folder to write (default data/sample)",
    )
    sample.add_argument(
        "--as-of",
        type=_date,
        default=None,  # cashplan.sample.SAMPLE_AS_OF, read when used
        metavar="YYYY-MM-DD",
        help="last day of the book (default: the sample's as-of date)",
    )
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument(
        "--invoices",
        type=int,
        default=30_000,
        metavar="N",
        help="number of invoices (default 30,000)",
    )
    sample.add_argument(
        "--customers",
        type=int,
        default=None,
        metavar="N",
        help="number of customers (default 250, or invoices/150 if larger)",
    )
    sample.add_argument("--format", choices=("csv", "parquet"), default="csv")
    sample.add_argument("--force", action="store_true", help="overwrite an existing book")


def _import_fec_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan import-fec`: a book folder from a FEC."""
    fec = sub.add_parser(
        "import-fec",
        help="write a book folder from a FEC (French legal ledger export)",
        description="Read a FEC (tab- or '|'-separated, 18 columns), take the customer lines "
        "(accounts 411), link payments to invoices by lettrage, and write a book folder. "
        "Unallocated payments are listed in unallocated_payments.csv, never netted.",
    )
    fec.add_argument("fec_file", type=Path, help="the FEC file, e.g. 123456789FEC20261231.txt")
    fec.add_argument("--out", type=Path, required=True, help="the book folder to write")
    terms = fec.add_mutually_exclusive_group()
    terms.add_argument(
        "--terms-days",
        type=int,
        default=None,
        metavar="N",
        help="payment terms in days for every customer (default 30)",
    )
    terms.add_argument(
        "--terms",
        default=None,
        metavar="TEXT",
        help="payment terms for every customer, e.g. '45 jours fin de mois'",
    )
    fec.add_argument(
        "--customers",
        type=Path,
        default=None,
        metavar="CSV",
        help="customers file: customer_id and payment_terms (e.g. '60 jours', "
        "'45 FDM') or payment_terms_days; others get the default terms",
    )
    fec.add_argument(
        "--company",
        default=None,
        help="company name of the rows (default: the SIREN of the file name)",
    )
    fec.add_argument("--force", action="store_true", help="overwrite an existing book")


def _backtest_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan backtest`: the forecast scored against what was collected."""
    bt = sub.add_parser(
        "backtest",
        help="score the 13-week forecast against what was collected, month by month",
        description="Roll the as-of date over the book's month-ends, rebuild what was known "
        "at each (history, promises recorded by then), forecast 13 weeks and compare with the "
        "collections that followed, next to two baselines (due date; due date + the "
        "customer's mean delay). Prints the WAPE, the p10-p90 coverage and the pinball loss "
        "of the p10 and p90 (a proper score of the band); the band is calibrated on earlier "
        "dates only (rolling origin).",
    )
    _book_arguments(bt)
    bt.add_argument(
        "--from",
        dest="first",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first as-of date (default: a year into the history)",
    )
    bt.add_argument(
        "--to",
        dest="last",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last as-of date (default: 13 weeks before the last known day)",
    )
    bt.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder to write the backtest_*.csv files (weekly rows, scores per date, summary)",
    )


def _report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan report`: the monthly report folder(s)."""
    rep = sub.add_parser(
        "report",
        help="write the monthly report folder (HTML, notebook, CSVs, battle plan, manifest)",
        description="Run the monthly report notebook with papermill and write the report "
        "folder: report.html (self-contained), report.ipynb, the CSV tables, battle-plan.xlsx, "
        "reminders/ and manifest.json. Several books or companies run in parallel, each in "
        "OUT/<book>[_<company>]; one that fails does not stop the others.",
    )
    rep.add_argument("books", type=Path, nargs="+", metavar="BOOK", help="book folder(s)")
    rep.add_argument(
        "--as-of",
        type=_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="the date the books are seen at",
    )
    rep.add_argument("--out", type=Path, required=True, help="the report folder to write")
    rep.add_argument(
        "--company",
        action="append",
        default=None,
        metavar="X",
        help="one company's report (repeat for several; default: consolidated)",
    )
    rep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a report parameter, e.g. catch_up=3, threshold=55, "
        "spending='{\"salaries\": 1200000}' (see cashplan report --list-params)",
    )
    rep.add_argument("--list-params", action="store_true", help="list the parameters and exit")
    rep.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="reports run at once (default 2)"
    )
    rep.add_argument("--force", action="store_true", help="replace existing reports")
    rep.add_argument(
        "--previous",
        type=Path,
        default=None,
        metavar="DIR",
        help="last month's report folder (the --out it was written to): adds the monthly "
        "review (review_*.csv); the levers' success rates learn from it",
    )


def _app_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`cashplan app`: the workbook served by Voila."""
    app = sub.add_parser(
        "app",
        help="open the workbook in the browser for a CFO, without code (Voila)",
        description="Serve the CFO's workbook (notebooks/01-cash-workbook.ipynb) with Voila: "
        "the widgets and charts, no code. Edits are saved to the book with --user as their "
        "author. Stop it with Ctrl-C.",
    )
    _book_arguments(app)
    app.add_argument(
        "--as-of",
        type=_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="the date the book is seen at",
    )
    app.add_argument(
        "--user",
        default=os.environ.get("USER") or "CFO",
        help="who records promises and adjustments (default: $USER)",
    )
    app.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    app.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1, this machine only; another one lets "
        "other machines reach the app, with a warning)",
    )
    app.add_argument(
        "--token",
        default=None,
        help="the token the app's URL must carry (default: a new random one each run; write "
        "--token=VALUE when it starts with '-')",
    )
    app.add_argument("--no-browser", action="store_true", help="do not open a browser")


def _app(args: argparse.Namespace) -> None:
    import secrets
    import subprocess

    from cashplan.app._voila import is_loopback
    from cashplan.app.report import NOTEBOOKS
    from cashplan.io.book import read_book

    book = read_book(args.book, reporting_currency=args.currency)  # check it before serving
    env = {
        **os.environ,
        "CASHPLAN_BOOK": str(Path(args.book).absolute()),
        "CASHPLAN_AS_OF": args.as_of.strftime("%Y-%m-%d"),
        "CASHPLAN_USER": args.user,
        "CASHPLAN_CURRENCY": book.reporting_currency,
    }
    token = args.token or secrets.token_urlsafe(24)
    command = [
        sys.executable,
        "-m",
        "cashplan.app._voila",
        str(NOTEBOOKS / "01-cash-workbook.ipynb"),
        f"--port={args.port}",
        f"--Voila.ip={args.ip}",
        f"--Voila.token={token}",
        "--show_tracebacks=False",
        *(["--no-browser"] if args.no_browser else []),
    ]
    host = f"[{args.ip}]" if ":" in args.ip else args.ip
    if not is_loopback(args.ip):
        print(
            f"warning: serving on {args.ip}: other machines can reach the app (the token is "
            "still required). Serve on 127.0.0.1 unless they must.",
            file=sys.stderr,
        )
    print(
        f"serving the workbook of {args.book} at http://{host}:{args.port}/?token={token} "
        "(Ctrl-C stops)",
        flush=True,
    )
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass


def _params(pairs: list[str]) -> dict[str, object]:
    import json

    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            from cashplan.core.errors import CashplanError

            raise CashplanError(f"--param {pair!r}: write it NAME=VALUE, e.g. catch_up=3")
        try:
            out[name.strip()] = json.loads(text)
        except ValueError:
            out[name.strip()] = text
    return out


def _report(args: argparse.Namespace) -> None:
    # light until the kernel starts (cashplan.app.report imports the rest when it needs it)
    from cashplan.app.report import ReportJob, report_parameters, run_report_here, run_reports

    if args.list_params:
        for name, p in report_parameters().items():
            if name not in ("book", "as_of", "company", "out", "previous"):
                print(f"{name} ({p['type']}, default {p['default']}): {p['help']}")
        return
    params = _params(args.param)
    companies = args.company or [""]
    single = len(args.books) == 1 and len(companies) == 1
    if not single:
        from cashplan.app.outputs import report_folder
    before = args.previous
    jobs = [
        ReportJob(
            book,
            args.out if single else report_folder(args.out, book, c),
            c,
            None if before is None else before if single else report_folder(before, book, c),
        )
        for book in args.books
        for c in companies
    ]
    _refuse_shared_folders(jobs)
    as_of = args.as_of.strftime("%Y-%m-%d")
    if single:  # here: no second interpreter to start and import (SIGTERM and Ctrl-C clean up)
        folder = run_report_here(jobs[0], as_of, params, args.force)
        print(f"wrote the report to {folder}; open {folder / 'report.html'} in a browser")
        return
    from tqdm import tqdm

    from cashplan.app._job import sigterm_ends

    with tqdm(total=len(jobs), unit="report", file=sys.stderr) as bar, sigterm_ends():
        results = run_reports(jobs, as_of, params, args.force, args.jobs, bar.update)
    failed = 0
    for job in jobs:
        result = results[job]
        name = f"{job.book}" + (f" ({job.company})" if job.company else "")
        if isinstance(result, Exception):
            failed += 1
            print(f"FAILED {name}: {result}", file=sys.stderr)
        else:
            print(f"wrote {name} to {result / 'report.html'}")
    if failed:
        from cashplan.core.errors import CashplanError

        raise CashplanError(f"{failed} of {len(jobs)} reports failed (see above)")


def _refuse_shared_folders(jobs: Sequence[Any]) -> None:
    """Two reports never share a folder (two books named alike, on any disk's case rules)."""
    seen: dict[str, Any] = {}
    for job in jobs:
        other = seen.setdefault(str(job.out).casefold(), job)
        if other is not job:
            from cashplan.core.errors import CashplanError

            raise CashplanError(
                f"{other.book} and {job.book} would both be reported into {job.out}. "
                "Fix: run them in two commands with different --out folders, or rename one."
            )


def _backtest(args: argparse.Namespace) -> None:
    from cashplan.forecasting.backtest import backtest
    from cashplan.forecasting.backtest_cash_in import backtest_cash_in
    from cashplan.io.book import read_book
    from cashplan.io.export import write_csv

    book = read_book(args.book, reporting_currency=args.currency)
    result = backtest(book.invoices, book.fx, book.promises, first=args.first, last=args.last)
    total = backtest_cash_in(
        book.invoices, book.fx, book.promises, first=args.first, last=args.last
    )
    dates = result.weekly["as_of"]
    print(
        f"backtest of the 13-week forecast, {dates.nunique()} as-of dates from "
        f"{dates.min().date()} to {dates.max().date()}, amounts in {book.reporting_currency}:"
    )
    print("open book (invoices issued by each as-of date):")
    print(_percentages(result.summary).to_string(index=False))
    print(
        "whole cash-in (open book + invoices not issued yet), against the 13-week run rate, "
        "the same weeks a year earlier and AutoETS on the weekly collections:"
    )
    print(_percentages(total.summary).to_string(index=False))
    print(
        "wape: weekly errors over collections; p10_p90_coverage: weeks within the band "
        "calibrated on earlier dates only (raw_*: the model's own band); pinball: the mean "
        "pinball loss of the p10 and p90 over collections (a point forecast scores half "
        "its wape; lower is better)"
    )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_csv(result.weekly, args.out / "backtest_weekly.csv")
        write_csv(result.by_date, args.out / "backtest_by_date.csv")
        write_csv(result.summary, args.out / "backtest_summary.csv")
        write_csv(total.weekly, args.out / "backtest_cash_in_weekly.csv")
        write_csv(total.by_date, args.out / "backtest_cash_in_by_date.csv")
        write_csv(total.summary, args.out / "backtest_cash_in_summary.csv")
        print(f"wrote the backtest_*.csv files to {args.out}")


def _percentages(summary: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    shown = summary.copy()
    for column in shown.columns:
        if column != "method" and pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.1%}")
    return shown


def _import_fec(args: argparse.Namespace) -> None:
    from cashplan.io.fec import import_fec
    from cashplan.io.folders import write_whole

    terms = args.terms if args.terms is not None else args.terms_days

    def build(tmp: Path) -> str:
        summary = import_fec(
            args.fec_file,
            tmp,
            terms=30 if terms is None else terms,
            customers=args.customers,
            company=args.company,
        )
        return summary.replace(str(tmp), str(args.out))  # the folder it is renamed to

    inputs = [p for p in (args.fec_file, args.customers) if p is not None]
    report = write_whole(args.out, build, kind="book", force=args.force, protected=inputs)
    sys.stdout.write(report)


def _summary(args: argparse.Namespace) -> None:
    from cashplan.app.summary import summarize
    from cashplan.core.errors import CashplanError
    from cashplan.io.book import read_book

    book = read_book(args.book, reporting_currency=args.currency)
    if args.company is not None and args.company not in book.companies:
        raise CashplanError(
            f"no company {args.company!r} in the book; it has: " + ", ".join(book.companies)
        )
    sys.stdout.write(
        summarize(
            book,
            args.as_of,
            company=args.company,
            surplus_lowers=args.surplus_lowers,
            **_summary_settings(args),
        )
    )


def _summary_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--catch-up`` and ``--margin``, or else the defaults of ``Settings`` (read here, not
    by the parser: building it imports nothing)."""
    from cashplan.app.analysis import setting_default

    return {
        "k": setting_default("k") if args.catch_up is None else args.catch_up,
        "safety_margin": setting_default("safety_margin") if args.margin is None else args.margin,
    }


def _sample(args: argparse.Namespace) -> None:
    from cashplan.io.export import write_book
    from cashplan.io.folders import check_target, write_whole
    from cashplan.sample import SAMPLE_AS_OF, make_book

    out: Path = args.out
    check_target(out, kind="book", force=args.force)  # before the generator's minutes
    customers = args.customers or max(250, args.invoices // 150)
    tables = make_book(
        as_of=SAMPLE_AS_OF if args.as_of is None else args.as_of.strftime("%Y-%m-%d"),
        seed=args.seed,
        n_customers=customers,
        n_invoices=args.invoices,
    )
    paths = write_whole(
        out, lambda tmp: write_book(tables, tmp, fmt=args.format), kind="book", force=args.force
    )
    print(
        f"wrote {len(tables['invoices']):,} invoices of {customers:,} customers to {out} "
        f"({', '.join(p.name for p in paths)})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Run as the command (``argv`` None: its arguments are the process's), it leaves the
    process ready to end at once: what it holds is frozen out of the garbage collector's
    reach (``gc.freeze``), so the interpreter's exit does not walk every object of pandas,
    numba, statsforecast, papermill and nbconvert again (0.3 to 1 s after a report). Every
    file was written and closed before; only the exit's own collection is skipped.
    """
    try:
        return _main(argv)
    finally:
        if argv is None:
            gc.freeze()


def _main(argv: Sequence[str] | None) -> int:
    name = "cashplan"
    try:  # Ctrl-C while the arguments are read, or while a command imports, prints one line
        args = _parser().parse_args(argv)
        name = f"cashplan {args.command}"
        {
            "summary": _summary,
            "sample": _sample,
            "import-fec": _import_fec,
            "backtest": _backtest,
            "report": _report,
            "app": _app,
        }[args.command](args)
    except KeyboardInterrupt:
        print(f"{name}: interrupted; nothing half-written is left", file=sys.stderr)
        return 130
    except (OSError, ValueError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # CashplanError, imported only now (its module imports pandas)
        from cashplan.core.errors import CashplanError

        if not isinstance(exc, CashplanError):
            raise
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
