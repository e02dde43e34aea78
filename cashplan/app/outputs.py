"""The report folder's tables (``data-format.md``) and the battle-plan files, from an analysis.

``report_tables`` is pure: it shapes an :class:`~cashplan.app.analysis.Analysis`
into the contract's tables, key columns first, then extra columns. ``write_outputs``
writes them (CSV, the battle-plan workbook with a sheet per owner, and one text
file per reminder) atomically, file by file.

A file name built from the book's ids is :func:`safe_name`: a readable slug of each
id plus a short hash of the exact ids, so an id such as ``../../x`` or ``/tmp/x`` is
only text, and two customers never share a file. Every path written is checked to lie
inside the report folder (:func:`inside`).

Examples
--------
>>> from cashplan.app.analysis import Analysis, Settings
>>> from cashplan.io.book import Book
>>> from cashplan.sample import make_book
>>> book = Book.from_frames(**make_book(n_invoices=2_000, n_customers=20))
>>> tables = report_tables(Analysis(book, Settings(as_of="2026-10-31")))
>>> sorted(tables)  # doctest: +NORMALIZE_WHITESPACE
['actions', 'aging', 'cash_position', 'customers', 'forecast_invoices', 'forecast_weekly', 'kpis',
 'monthly', 'scenarios']
>>> tables["forecast_weekly"].columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
['company', 'week_start', 'expected', 'p10', 'p90', 'new_expected', 'total_expected', 'total_p10',
 'total_p90']
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from cashplan.app.analysis import Analysis
from cashplan.core.errors import CashplanError
from cashplan.io.export import write_csv, write_texts, write_xlsx
from cashplan.planning.reminders import one_line
from cashplan.planning.review import Review

__all__ = [
    "inside",
    "report_folder",
    "report_tables",
    "safe_name",
    "write_outputs",
    "write_reminders",
    "write_review",
]

_SLUG_LENGTH = 40


_MONTHLY = [
    "company",
    "month",
    "cash_need",
    "target",
    "collected",
    "forecast",
    "gap",
    "status",
    "carried",
    "forecast_p10",
    "forecast_p90",
    "cumulative_gap",
    "probability",
    "new_forecast",
    "total_forecast",
    "total_p10",
    "total_p90",
    "gap_open_book",
    "closing_cash",
]
_POSITION = [
    "company",
    "week_start",
    "opening",
    "collections",
    "disbursements",
    "closing",
    "closing_p10",
    "closing_p90",
    "below_floor",
    "floor",
    "below_floor_p10",
    "opening_known",
]
_WEEKLY = [
    "company",
    "week_start",
    "expected",
    "p10",
    "p90",
    "new_expected",
    "total_expected",
    "total_p10",
    "total_p90",
]
_KPIS = [
    "company",
    "dso",
    "best_possible_dso",
    "add",
    "cei",
    "dso_countback",
    "add_invoices",
    "receivables",
    "sales_12m",
]
_ACTIONS = [
    "company",
    "rank",
    "customer_id",
    "owner",
    "lever",
    "amount_rc",
    "cumulative_rc",
    "cost_rc",
    "name",
    "stage",
    "n_invoices",
    "invoices",
    "days_overdue",
    "open_rc",
    "probability",
    "cumulative_share",
]


def report_tables(a: Analysis) -> dict[str, pd.DataFrame]:
    """The report's tables, named after their files (without ``.csv``)."""
    fc = a.forecast
    weekly = fc.buckets.loc[fc.buckets["kind"] == "week"].rename(columns={"start": "week_start"})
    weekly = weekly.merge(a.cash_in.drop(columns="open_expected"), on=["company", "week_start"])
    closing = a.month_end[["company", "month", "closing_cash"]]
    monthly = a.gap.merge(closing, on=["company", "month"], how="left")
    monthly = monthly.assign(month=monthly["month"].dt.strftime("%Y-%m"))
    return {
        "forecast_invoices": a.scoped(fc.invoices).sort_values(["company", "invoice_id"]),
        "forecast_weekly": a.scoped(weekly)[_WEEKLY],
        "monthly": a.scoped(monthly)[_MONTHLY],
        "cash_position": a.scoped(a.position)[_POSITION],
        "customers": a.scoped(a.customer_table),
        "aging": a.scoped(a.aged),
        "kpis": a.scoped(a.kpis)[_KPIS],
        "actions": a.plan.actions[_ACTIONS],
        "scenarios": a.scoped(a.scenario_comparison),
    }


def write_outputs(a: Analysis, folder: str | Path, template_dir: str | None = None) -> list[Path]:
    """Write the tables as CSV, ``battle-plan.xlsx`` and ``reminders/*.txt`` into ``folder``.

    Returns the paths written: the tables', the workbook, then the reminders'. The
    reminders are written by a second thread while the tables are; an error in either
    is raised once both have stopped.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = report_tables(a)
    drafts = a.reminders(template_dir=template_dir)
    # the reminders' thousands of files are made by the file system (a call that lets go of
    # the interpreter): in a thread, while this one writes the tables and the workbook
    with ThreadPoolExecutor(max_workers=1) as pool:
        reminders = pool.submit(write_reminders, drafts, folder)
        written = [
            write_csv(frame, inside(folder, folder / f"{name}.csv"))
            for name, frame in tables.items()
        ]
        actions = tables["actions"]
        sheets = {"All actions": actions}
        sheets.update({str(owner): rows for owner, rows in actions.groupby("owner", sort=True)})
        written.append(write_xlsx(sheets, inside(folder, folder / "battle-plan.xlsx")))
        written += reminders.result()
    return written


def write_review(review: Review, folder: str | Path) -> list[Path]:
    """Write the monthly review's tables (``review_weekly.csv``, ``review_invoices.csv``,
    ``review_actions.csv`` and ``review_levers.csv``) into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "review_weekly": review.weekly,
        "review_invoices": review.invoices,
        "review_actions": review.actions,
        "review_levers": review.levers,
    }
    return [
        write_csv(frame, inside(folder, folder / f"{name}.csv")) for name, frame in tables.items()
    ]


def write_reminders(drafts: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write each draft reminder as a text file in ``folder/reminders``; return the paths.

    Parameters
    ----------
    drafts : DataFrame
        :func:`cashplan.planning.reminders.reminders`: company, customer_id, language, contact,
        subject, body.
    folder : str or Path
        The report folder.

    Returns
    -------
    list of Path
        ``reminders/<company>_<customer>-<hash>.<language>.txt``, one per draft, named by
        :func:`safe_name` of the exact company and customer ids. The header lines (``To:``,
        ``Subject:``) stay one line each (:func:`~cashplan.planning.reminders.one_line`).
    """
    folder = Path(folder)
    where = inside(folder, folder / "reminders")
    where.mkdir(parents=True, exist_ok=True)
    keys = drafts[["company", "customer_id", "language"]].astype(str)
    # plain lists (iterating Arrow text cell by cell costs more than the names); a name per
    # customer and a slug per language, each computed once (not once per draft)
    companies, customers, languages = (keys[k].tolist() for k in keys.columns)
    pairs = dict.fromkeys(zip(companies, customers, strict=True))
    stems = {pair: safe_name(*pair) for pair in pairs}
    slugs = {language: _slug(language) for language in set(languages)}
    names = pd.Series(
        [
            f"{stems[company, customer]}.{slugs[language]}.txt"
            for company, customer, language in zip(companies, customers, languages, strict=True)
        ],
        index=drafts.index,
        dtype=object,
    )
    twice = names.duplicated(keep=False)
    if twice.any():
        keys = drafts.loc[twice, ["company", "customer_id", "language"]].head(4)
        raise CashplanError(
            f"two reminders would share the file {names[twice].iloc[0]} "
            f"({keys.to_dict('records')}). Fix: give each customer one draft per language."
        )
    texts = {
        name: f"To: {one_line(contact)}\nSubject: {one_line(subject)}\n\n{body}"
        for name, contact, subject, body in zip(
            names.tolist(),
            drafts["contact"].tolist(),
            drafts["subject"].tolist(),
            drafts["body"].tolist(),
            strict=True,
        )
    }
    return write_texts(where, texts)  # plain names in a folder checked inside: no way out


def report_folder(out: str | Path, book: str | Path, company: str = "") -> Path:
    """The folder of one of several reports: ``out/<book>[_<company>]``, checked inside ``out``.

    The book's folder name comes from the file system and company ids are checked
    when the book is read (no ``/``, no control character), so the name stays readable;
    the command refuses two jobs whose folders would be the same.

    >>> report_folder("reports", "books/acme", "FR01").as_posix()
    'reports/acme_FR01'
    """
    out = Path(out)
    name = Path(book).absolute().name + (f"_{company}" if company else "")
    return inside(out, out / name)


def safe_name(*parts: str) -> str:
    """A file name for ``parts`` (ids from the book): readable, portable and unique.

    Each part becomes an ASCII slug (accents folded; letters, digits, ``.`` and ``-``;
    at most 40 characters; never starting with a dot), joined with ``_``; then ``-`` and
    8 hex digits of the sha256 of the exact parts (as a JSON list, so no separator can be
    forged). Two different tuples of ids get different names even when their slugs agree:
    (``A``, ``B_C``) and (``A_B``, ``C``), or ``acme`` and ``ACME`` on a disk that ignores case.

    >>> safe_name("FR01", "Société Générale")
    'FR01_Societe-Generale-...'
    >>> safe_name("../../etc", "/tmp/x")
    'etc_tmp-x-...'
    >>> safe_name("A", "B_C") != safe_name("A_B", "C")
    True
    """
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode("ascii")).hexdigest()
    return "_".join(_slug(p) for p in parts) + "-" + digest[:8]


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[.-]{2,}", "-", re.sub(r"[^A-Za-z0-9.-]+", "-", folded))
    return slug[:_SLUG_LENGTH].strip(".-") or "x"


def inside(folder: str | Path, path: str | Path) -> Path:
    """``path``, checked to lie inside ``folder`` (links followed); else a :class:`CashplanError`.

    >>> inside("report", "report/reminders/x.txt").as_posix()
    'report/reminders/x.txt'
    """
    root = Path(folder).resolve()
    target = Path(path).resolve()
    if target == root or not target.is_relative_to(root):
        raise CashplanError(
            f"refusing to write {path}: it is outside the report folder {folder}. Fix: remove "
            "the link in the report folder that points elsewhere, or choose another folder."
        )
    return Path(path)
