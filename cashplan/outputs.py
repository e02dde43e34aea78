"""The report folder's tables (``data-format.md``) and the battle-plan files, from an analysis.

``report_tables`` is pure: it shapes an :class:`~cashplan.analysis.Analysis`
into the contract's tables, key columns first, then extra columns. ``write_outputs``
writes them (CSV, the battle-plan workbook with a sheet per owner, and one text
file per reminder) atomically, file by file.

Examples
--------
>>> from cashplan.analysis import Analysis, Settings
>>> from cashplan.book import Book
>>> from cashplan.sample import make_book
>>> book = Book.from_frames(**make_book(n_invoices=2_000, n_customers=20))
>>> tables = report_tables(Analysis(book, Settings(as_of="2026-10-31")))
>>> sorted(tables)
['actions', 'aging', 'customers', 'forecast_invoices', 'forecast_weekly', 'kpis', 'monthly']
>>> tables["forecast_weekly"].columns.tolist()
['company', 'week_start', 'expected', 'p10', 'p90']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cashplan.analysis import Analysis
from cashplan.export import atomic_path, write_csv, write_xlsx

__all__ = ["report_tables", "write_outputs"]


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
    monthly = a.gap.assign(month=a.gap["month"].dt.strftime("%Y-%m"))
    return {
        "forecast_invoices": a.scoped(fc.invoices).sort_values(["company", "invoice_id"]),
        "forecast_weekly": a.scoped(weekly)[["company", "week_start", "expected", "p10", "p90"]],
        "monthly": a.scoped(monthly)[_MONTHLY],
        "customers": a.scoped(a.customer_table),
        "aging": a.scoped(a.aged),
        "kpis": a.scoped(a.kpis)[_KPIS],
        "actions": a.plan.actions[_ACTIONS],
    }


def write_outputs(a: Analysis, folder: str | Path, template_dir: str | None = None) -> list[Path]:
    """Write the tables as CSV, ``battle-plan.xlsx`` and ``reminders/*.txt`` into ``folder``.

    Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = report_tables(a)
    written = [write_csv(frame, folder / f"{name}.csv") for name, frame in tables.items()]
    actions = tables["actions"]
    sheets = {"All actions": actions}
    sheets.update({str(owner): rows for owner, rows in actions.groupby("owner", sort=True)})
    written.append(write_xlsx(sheets, folder / "battle-plan.xlsx"))
    drafts = a.reminders(template_dir=template_dir)
    where = folder / "reminders"
    where.mkdir(exist_ok=True)
    for row in drafts.itertuples():
        path = where / f"{row.company}_{row.customer_id}.{row.language}.txt"
        with atomic_path(path) as handle:
            handle.write(f"To: {row.contact}\nSubject: {row.subject}\n\n{row.body}")
        written.append(path)
    return written
