"""Last month's report folder, read back for the monthly review (``cashplan report --previous``).

:func:`read_previous` reads a report folder that cashplan wrote: its ``manifest.json``
(version, as-of, scope, reporting currency, the book it was made from), and the three
tables the review holds against what followed: ``forecast_weekly.csv``,
``forecast_invoices.csv`` and ``actions.csv`` (and ``review_levers.csv`` when that report
had a review itself: the levers' counts carry over). A folder that is not a cashplan
report, a half-written one, one whose tables were changed since they were written (their
sha256 no longer matches the manifest) or one from a version without the whole cash-in
forecast is refused with a message saying what it is and the fix.

:func:`check_previous` refuses a report of another book, scope or currency, or one not
before the current as-of. *The same book* is recognised by what it holds, not by its path
(a client's new export is often a new folder): the previous report's companies are all in
the book, and at least :data:`SAME_BOOK_SHARE` of the invoices it saw open are in the book
with the same customer.

Examples
--------
>>> read_previous("/no/such/folder")
Traceback (most recent call last):
...
cashplan.core.errors.CashplanError: --previous /no/such/folder: no such folder. Fix: give \
last month's report folder (the --out of last month's cashplan report).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.errors import CashplanError
from cashplan.fast.frames import lookup
from cashplan.io.book import Book
from cashplan.io.export import IDS

__all__ = ["SAME_BOOK_SHARE", "PreviousReport", "check_previous", "read_previous"]

SAME_BOOK_SHARE = 0.9
"""The share of the previous report's open invoices the book must hold (same company, id and
customer) for it to be the same book: invoices are kept once settled, so a ledger a month
later holds them all, bar the odd one cancelled or renumbered."""

_NEEDED = {
    "forecast_weekly.csv": (
        "company",
        "week_start",
        "expected",
        "p10",
        "p90",
        "total_expected",
        "total_p10",
        "total_p90",
    ),
    "forecast_invoices.csv": (
        "company",
        "invoice_id",
        "customer_id",
        "open_amount_rc",
        "due_date",
        "expected_date",
        "p10_date",
        "p90_date",
        "basis",
    ),
    "actions.csv": ("company", "rank", "customer_id", "owner", "lever", "amount_rc", "invoices"),
}
_LEVERS = "review_levers.csv"
_DATES = ("week_start", "due_date", "expected_date", "p10_date", "p90_date")
_FORMULA = ("=", "+", "-", "@")


@dataclass(frozen=True)
class PreviousReport:
    """Last month's report: what its manifest says and the tables the review reads.

    ``scope`` is the company it covered or ``ALL``; ``companies`` the companies in it;
    ``book`` the book folder it was made from (as the manifest records it);
    ``manifest_sha256`` identifies it in this report's manifest. ``levers`` is its
    ``review_levers.csv`` (the levers' cumulative counts) or None.
    """

    folder: Path
    as_of: pd.Timestamp
    scope: str
    reporting_currency: str
    companies: tuple[str, ...]
    book: str
    version: str
    manifest_sha256: str
    weekly: pd.DataFrame
    invoices: pd.DataFrame
    actions: pd.DataFrame
    levers: pd.DataFrame | None

    def describe(self) -> str:
        """What it was, in a few words (for messages)."""
        return (
            f"a report of {self.book} ({', '.join(self.companies) or 'no company'}; "
            f"scope {self.scope}) as of {self.as_of:%Y-%m-%d} in {self.reporting_currency}"
        )


def read_previous(folder: str | Path) -> PreviousReport:
    """Read last month's report folder (see the module doc).

    Raises
    ------
    CashplanError
        When ``folder`` is not a whole, unchanged cashplan report with the tables the
        review needs; the message says what was found and the fix.
    """
    folder = Path(folder)
    where = f"--previous {folder}"
    if not folder.is_dir():
        raise CashplanError(
            f"{where}: no such folder. Fix: give last month's report folder (the --out of "
            "last month's cashplan report)."
        )
    manifest, digest = _manifest(folder, where)
    outputs = {str(o.get("file")): str(o.get("sha256")) for o in manifest["outputs"]}
    tables = {name: _table(folder, name, outputs, where, manifest) for name in _NEEDED}
    levers = _table(folder, _LEVERS, outputs, where, manifest) if _LEVERS in outputs else None
    weekly = tables["forecast_weekly.csv"]
    companies = manifest.get("companies") or sorted(set(weekly["company"]) - {"ALL"})
    return PreviousReport(
        folder=folder,
        as_of=to_date(manifest["as_of"]),
        scope=str(manifest.get("company") or "ALL"),
        reporting_currency=str(manifest["reporting_currency"]),
        companies=tuple(str(c) for c in companies),
        book=str(manifest.get("parameters", {}).get("book", "an unknown book")),
        version=str(manifest["cashplan"]),
        manifest_sha256=digest,
        weekly=weekly,
        invoices=tables["forecast_invoices.csv"],
        actions=tables["actions.csv"],
        levers=levers,
    )


def _manifest(folder: Path, where: str) -> tuple[dict[str, Any], str]:
    """The report's manifest and its sha256, or a message saying why it is not one."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise CashplanError(
            f"{where}: not a cashplan report (no manifest.json in it). Fix: give the folder "
            "cashplan report wrote last month (it holds manifest.json, report.html and the CSVs)."
        )
    data = path.read_bytes()
    try:
        manifest = json.loads(data)
        ok = isinstance(manifest, dict) and all(
            k in manifest for k in ("cashplan", "as_of", "reporting_currency", "outputs")
        )
        ok = ok and isinstance(manifest["outputs"], list)
        to_date(manifest["as_of"]) if ok else None
    except (ValueError, TypeError, KeyError):
        ok = False
    if not ok:
        raise CashplanError(
            f"{where}: its manifest.json is not a cashplan report's manifest (it needs cashplan, "
            "as_of, reporting_currency and outputs). Fix: give a folder cashplan report wrote."
        )
    return manifest, hashlib.sha256(data).hexdigest()


def _table(
    folder: Path, name: str, outputs: dict[str, str], where: str, manifest: dict[str, Any]
) -> pd.DataFrame:
    """One of the report's tables, checked against the manifest and for its columns."""
    path = folder / name
    if name not in outputs or not path.is_file():
        raise CashplanError(
            f"{where}: {name} is missing (the manifest of this cashplan "
            f"{manifest['cashplan']} report does not list it, or the file is gone): a report "
            "half-written or from another version. Fix: write last month's report again "
            f"(cashplan report BOOK --as-of {manifest['as_of']} --out DIR) and review against it."
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != outputs[name]:
        raise CashplanError(
            f"{where}: {name} was changed after cashplan wrote it (its sha256 is not the "
            "manifest's). Fix: review against the report as it was written (write it again if "
            "need be)."
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _NEEDED.get(name, ("lever", "successes", "trials")) if c not in frame]
    if missing:
        raise CashplanError(
            f"{where}: {name} has no column(s) {', '.join(missing)}: it was written by "
            f"cashplan {manifest['cashplan']}, before the review (0.2: the whole cash-in "
            "forecast). Fix: write last month's report again with this version and review "
            "against it."
        )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as dates, amounts as numbers, free text as written before the formula guard."""
    out = frame.copy()
    for name in out.columns:
        text = out[name]
        if name in _DATES:
            out[name] = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d")
        elif name.endswith(("_rc", "expected", "p10", "p90", "successes", "trials")) or name in (
            "rank",
            "n_invoices",
        ):
            out[name] = pd.to_numeric(text.where(text != ""), errors="coerce")
        elif name not in IDS:  # the report guarded formula-like text with a leading '
            guarded = text.str.startswith("'") & text.str[1:2].isin(list(_FORMULA))
            out[name] = text.where(~guarded, text.str[1:])
    return out


def check_previous(
    previous: PreviousReport, book: Book, as_of: str | pd.Timestamp, company: str = ""
) -> None:
    """Refuse a previous report of another book, scope or currency, or not before ``as_of``.

    Raises
    ------
    CashplanError
        Saying what the previous report was (:meth:`PreviousReport.describe`) and the fix.
    """
    day = to_date(as_of)
    scope = company or "ALL"
    was = f"--previous {previous.folder} is {previous.describe()}"
    if previous.as_of >= day:
        raise CashplanError(
            f"{was}: not before this report's as-of {day:%Y-%m-%d}. Fix: give last month's "
            "report (an earlier as-of), or this report a later as-of."
        )
    horizon = previous.weekly["week_start"].max() + pd.Timedelta(days=7)
    if day > horizon:  # the review holds a forecast against what followed: not beyond it
        raise CashplanError(
            f"{was}: its forecast covers the weeks up to "
            f"{horizon - pd.Timedelta(days=1):%Y-%m-%d}, "
            f"before this report's as-of {day:%Y-%m-%d}, so the weeks after it could not be "
            "reviewed. Fix: give a report at most 13 weeks older (last month's)."
        )
    if previous.reporting_currency != book.reporting_currency:
        raise CashplanError(
            f"{was}, not {book.reporting_currency}. Fix: write this report with --param currency="
            f"{previous.reporting_currency}, or review against a report in "
            f"{book.reporting_currency}."
        )
    if previous.scope != scope:
        raise CashplanError(
            f"{was}, not {scope}. Fix: review each company's report against last month's "
            "report of the same company (or the consolidated one against the consolidated)."
        )
    strangers = sorted(set(previous.companies) - set(book.companies))
    seen = previous.invoices
    found = 1.0
    if len(seen):
        now = lookup(seen, book.invoices, ["company", "invoice_id"], ["customer_id"])
        found = float((now["customer_id"].to_numpy() == seen["customer_id"].to_numpy()).mean())
    if strangers or found < SAME_BOOK_SHARE:
        what = (
            f"companies {', '.join(strangers)} are not in it"
            if strangers
            else f"only {found:.0%} of the {len(seen):,} invoices it saw open are in it with "
            "the same customer"
        )
        raise CashplanError(
            f"{was}: not this book ({book.path or 'the book given'}): {what}. Fix: give last "
            "month's report of this book."
        )
