"""The one validation layer: raw tables in, typed tables and every problem out.

Pure functions, no file access: :mod:`cashplan.book` reads the files into
:class:`RawTable` objects and calls :func:`validate_tables`. The typed tables
it returns are what the rest of the package trusts.

Examples
--------
>>> raw = RawTable.from_frame("invoices", pd.DataFrame({
...     "invoice_id": ["F1", "F1"], "customer_id": ["C1", "C2"],
...     "issue_date": ["2026-01-10", "2026-01-12"], "due_date": ["2026-02-09", "2026-01-01"],
...     "amount": ["100", "50"]}))
>>> tables, problems = validate_tables({"invoices": raw}, reporting_currency="EUR")
>>> problems[["line", "column"]].to_dict("records")
[{'line': 2, 'column': 'invoice_id'}, {'line': 3, 'column': 'invoice_id'},
 {'line': 3, 'column': 'due_date'}]
>>> problems.loc[0, "problem"]
"invoice_id 'F1' appears more than once in company 'default': lines 2, 3"
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cashplan.errors import PROBLEM_COLUMNS, problems_frame
from cashplan.fx import implied_base
from cashplan.parse import DATE_DTYPE, STANDARD, Dialect, is_empty, parse_column
from cashplan.schema import DEFAULT_COMPANY, REQUIRED_TABLES, TABLES

__all__ = ["RawTable", "empty_table", "validate_tables"]


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, before any check.

    ``lines`` gives, for each row label of ``frame``, the line number a
    spreadsheet shows (header = line 1).
    """

    table: str
    file: str
    frame: pd.DataFrame
    lines: pd.Series
    dialect: Dialect = STANDARD

    @classmethod
    def from_frame(cls, table: str, frame: pd.DataFrame, file: str | None = None) -> RawTable:
        """Wrap an in-memory frame (header = line 1, first row = line 2)."""
        frame = frame.reset_index(drop=True)
        lines = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
        return cls(table, file or f"<{table}>", frame, lines)


def empty_table(table: str) -> pd.DataFrame:
    """The typed, empty version of a table (for an optional table that is absent)."""
    kinds = {
        "text": "str",
        "currency": "str",
        "decimal": "float64",
        "int": "Int64",
        "bool": "bool",
        "date": DATE_DTYPE,
        "month": DATE_DTYPE,
    }
    return pd.DataFrame({c.name: pd.Series(dtype=kinds[c.kind]) for c in TABLES[table]})


class Collector:
    """Gathers the problems of one raw table (``cells``: one per masked row) as small frames."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.parts: list[pd.DataFrame] = []

    def cells(
        self,
        mask: pd.Series,
        column: str,
        problem: str | pd.Series,
        fix: str | pd.Series,
        value: pd.Series | None = None,
    ) -> None:
        if not mask.any():
            return
        idx = mask.index[mask.to_numpy()]
        if value is not None:
            shown = value
        elif column in self.raw.frame.columns:
            shown = self.raw.frame[column]
        else:
            shown = pd.Series("", index=mask.index)
        self.parts.append(
            pd.DataFrame(
                {
                    "file": self.raw.file,
                    "line": self.raw.lines.loc[idx].to_numpy(),
                    "column": column,
                    "value": _as_text(shown.loc[idx]),
                    "problem": problem.loc[idx].to_numpy()
                    if isinstance(problem, pd.Series)
                    else problem,
                    "fix": fix.loc[idx].to_numpy() if isinstance(fix, pd.Series) else fix,
                }
            )
        )

    def whole(self, problem: str, fix: str, column: str = "", value: str = "") -> None:
        self.parts.append(
            problems_frame(
                [
                    {
                        "file": self.raw.file,
                        "line": pd.NA,
                        "column": column,
                        "value": value,
                        "problem": problem,
                        "fix": fix,
                    }
                ]
            )
        )


def _as_text(values: pd.Series) -> np.ndarray:
    return values.astype("str").where(values.notna(), "").to_numpy(dtype=object)


def validate_tables(
    raws: Mapping[str, RawTable], reporting_currency: str = "EUR"
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Check every table, then the rules that cross tables.

    Parameters
    ----------
    raws : mapping of table name to RawTable
        The tables found; absent optional tables become empty typed tables.
    reporting_currency : str
        Currency of a row whose ``currency`` is empty; the target of conversions.

    Returns
    -------
    tables : dict of DataFrame
        Typed tables (meaningful only when ``problems`` is empty).
    problems : DataFrame
        Every problem found, columns :data:`cashplan.errors.PROBLEM_COLUMNS`.
    """
    tables: dict[str, pd.DataFrame] = {}
    parts: list[pd.DataFrame] = []
    collectors: dict[str, Collector] = {}
    for name in TABLES:
        if name not in raws:
            tables[name] = empty_table(name)
            continue
        col = Collector(raws[name])
        collectors[name] = col
        typed = _typed(col, reporting_currency)
        if typed is None:
            tables[name] = empty_table(name)
        else:
            _ROW_RULES[name](typed, col)
            tables[name] = typed
        parts.extend(col.parts)
    cross = {name: Collector(c.raw) for name, c in collectors.items()}
    _cross_rules(tables, cross, reporting_currency)  # on the rows that could be read
    parts.extend(p for c in cross.values() for p in c.parts)
    problems = pd.concat(parts, ignore_index=True) if parts else problems_frame()
    problems["line"] = problems["line"].astype("Int64")
    problems = problems.sort_values(["file", "line"], kind="stable", na_position="first")
    return tables, problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)


def _typed(col: Collector, reporting_currency: str) -> pd.DataFrame | None:
    raw = col.raw
    spec = TABLES[raw.table]
    known = {c.name for c in spec}
    frame = raw.frame
    found = list(frame.columns)
    missing = [c.name for c in spec if c.required and c.name not in frame.columns]
    for name in missing:
        close = difflib.get_close_matches(name, [str(f) for f in found], n=1, cutoff=0.6)
        hint = f"rename column '{close[0]}' to '{name}'" if close else f"add a column '{name}'"
        col.whole(
            f"required column '{name}' is missing (columns found: {', '.join(map(str, found))})",
            hint,
            column=name,
        )
    for name in found:
        if name in known:
            continue
        close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.75)
        if close and close[0] not in found and close[0] not in missing:
            col.whole(
                f"unknown column '{name}', close to '{close[0]}'",
                f"rename it '{close[0]}' (or remove it)",
                column=str(name),
            )
    if missing:
        return None
    if frame.empty and raw.table in REQUIRED_TABLES:
        col.whole(
            "the table has a header but no rows",
            f"export the {raw.table} with at least one row under the header",
        )
        return None
    out: dict[str, pd.Series] = {}
    for c in spec:
        if c.name not in frame.columns:
            continue
        values, bad = parse_column(frame[c.name], c.kind, raw.dialect)
        if len(bad):
            mask = pd.Series(False, index=frame.index)
            mask.loc[bad["row"]] = True
            col.cells(
                mask,
                c.name,
                bad.set_index("row")["problem"].reindex(frame.index),
                bad.set_index("row")["fix"].reindex(frame.index),
            )
        if c.required:
            col.cells(
                is_empty(frame[c.name]),
                c.name,
                "a required value is empty",
                f"fill in '{c.name}' on this line",
            )
        out[c.name] = values
    typed = pd.DataFrame(out, index=frame.index)
    defaults = {"company": DEFAULT_COMPANY, "currency": reporting_currency}
    empty = empty_table(raw.table)
    for c in spec:
        if c.name not in typed.columns:
            fill = "" if c.kind in ("text", "currency") else False if c.kind == "bool" else None
            typed[c.name] = pd.Series(fill, index=typed.index, dtype=empty[c.name].dtype)
        if c.name in defaults:
            typed[c.name] = typed[c.name].where(typed[c.name] != "", defaults[c.name])
    return typed[[c.name for c in spec]]


def _duplicates(typed: pd.DataFrame, col: Collector, keys: list[str], what: str) -> None:
    dup = typed.duplicated(keys, keep=False) & typed[keys].notna().all(axis=1)
    if not dup.any():
        return
    lines = col.raw.lines[dup]
    groups = typed.loc[dup, keys].astype("str").agg("\x1f".join, axis=1)
    listed = lines.groupby(groups).transform(lambda s: ", ".join(map(str, s.tolist())))
    problem = (
        f"{what} '"
        + typed.loc[dup, keys[-1]].astype("str")
        + "' appears more than once"
        + (
            " in company '" + typed.loc[dup, "company"].astype("str") + "'"
            if "company" in keys
            else ""
        )
        + ": lines "
        + listed
    )
    col.cells(
        dup,
        keys[-1],
        problem.reindex(typed.index),
        f"keep one row per {what} (merge or renumber the others)",
    )


def _invoice_rules(inv: pd.DataFrame, col: Collector) -> None:
    _duplicates(inv, col, ["company", "invoice_id"], "invoice_id")
    col.cells(
        inv["due_date"] < inv["issue_date"],
        "due_date",
        "due_date is before issue_date",
        "check both dates: due_date is on or after issue_date",
    )
    settled = inv["paid_date"].notna()
    given = inv["open_amount"].notna()
    default = inv["amount"].where(~settled, 0.0)
    inv["open_amount"] = inv["open_amount"].where(given, default)
    amount, open_ = inv["amount"], inv["open_amount"]
    sign_flip = given & (amount >= 0) & (open_ < 0)
    col.cells(
        sign_flip,
        "open_amount",
        "open_amount is negative",
        "open_amount is what is still due, from 0 to amount; record a refund as a credit "
        "note (a row with a negative amount)",
    )
    col.cells(
        given & (amount < 0) & (open_ > 0),
        "open_amount",
        "a credit note with a positive open_amount",
        "on a credit note open_amount is from amount to 0 (negative or 0)",
    )
    col.cells(
        given & ~sign_flip & (open_.abs() > amount.abs() + 0.005),
        "open_amount",
        "open_amount is larger than amount",
        "open_amount cannot exceed the invoice amount",
    )
    col.cells(
        given & settled & (open_.abs() > 0.005),
        "paid_date",
        "paid_date says settled but open_amount is not 0",
        "leave paid_date empty for a partly paid invoice, or set open_amount to 0",
        value=inv["paid_date"].dt.strftime("%Y-%m-%d"),
    )


def _customer_rules(cus: pd.DataFrame, col: Collector) -> None:
    _duplicates(cus, col, ["company", "customer_id"], "customer_id")
    col.cells(
        cus["payment_terms_days"].fillna(0) < 0,
        "payment_terms_days",
        "negative payment terms",
        "write the terms in days, 0 or more",
    )
    col.cells(
        cus["credit_limit"].fillna(0) < 0,
        "credit_limit",
        "negative credit limit",
        "write the credit limit as a positive amount, or leave it empty",
    )
    cus["owner"] = cus["owner"].where(cus["owner"] != "", "unassigned")


def _promise_rules(pro: pd.DataFrame, col: Collector) -> None:
    col.cells(
        pro["amount"] <= 0,
        "amount",
        "a promise of zero or a negative amount",
        "write the amount the customer promised to pay, above 0",
    )


def _spending_rules(spe: pd.DataFrame, col: Collector) -> None:
    spe["category"] = spe["category"].str.lower()


def _fx_rules(fx: pd.DataFrame, col: Collector) -> None:
    col.cells(
        fx["rate"] <= 0,
        "rate",
        "an FX rate of zero or below",
        "write the units of reporting currency for one unit of the currency, above 0",
    )
    _duplicates(fx, col, ["currency", "date"], "FX rate date")


def _adjustment_rules(adj: pd.DataFrame, col: Collector) -> None:
    both = adj["shift_days"].notna() & adj["to_date"].notna()
    neither = adj["shift_days"].isna() & adj["to_date"].isna()
    col.cells(
        both | neither,
        "shift_days",
        "give either shift_days or to_date (exactly one)",
        "fill shift_days (a number of days) or to_date (a date), not both",
    )


_ROW_RULES: dict[str, Callable[[pd.DataFrame, Collector], None]] = {
    "invoices": _invoice_rules,
    "customers": _customer_rules,
    "promises": _promise_rules,
    "spending": _spending_rules,
    "fx_rates": _fx_rules,
    "adjustments": _adjustment_rules,
}


def _cross_rules(
    tables: dict[str, pd.DataFrame], cols: Mapping[str, Collector], reporting_currency: str
) -> None:
    inv = tables["invoices"]
    for name in ("promises", "adjustments"):
        tab = tables[name]
        if name not in cols or tab.empty:
            continue
        named = tab.loc[tab["invoice_id"] != "", ["company", "invoice_id", "customer_id"]]
        # only the invoices a promise names: cheap on a ledger of millions
        candidates = inv.loc[
            _isin(inv["invoice_id"], named["invoice_id"]), ["company", "invoice_id", "customer_id"]
        ]
        found = named.reset_index().merge(
            candidates.rename(columns={"customer_id": "owner_id"}),
            on=["company", "invoice_id"],
            how="left",
        )
        found = found.drop_duplicates("index").set_index("index")
        unknown = found["owner_id"].isna()
        cols[name].cells(
            unknown,
            "invoice_id",
            "no such invoice in the invoices table",
            "use an invoice_id of this company, or leave it empty for the whole account",
        )
        cols[name].cells(
            ~unknown & (found["owner_id"] != found["customer_id"]),
            "customer_id",
            "the invoice belongs to another customer",
            "check the customer_id against the invoice",
        )
    _fx_coverage(tables, cols, reporting_currency)


def _isin(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` through Arrow: pandas' own walks ``wanted`` in Python."""
    found = pc.is_in(pa.array(values.astype(str)), value_set=pa.array(wanted.astype(str).unique()))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def _fx_coverage(
    tables: dict[str, pd.DataFrame], cols: Mapping[str, Collector], reporting_currency: str
) -> None:
    first_rate = tables["fx_rates"].groupby("currency")["date"].min().astype(DATE_DTYPE)
    used = {c for name in ("invoices", "spending") for c in tables[name]["currency"].unique()}
    base = implied_base(used, tables["fx_rates"], reporting_currency)
    quoted = set(first_rate.index) | {reporting_currency} | ({base} if base else set())
    for name, date_cols in (("invoices", ("issue_date", "paid_date")), ("spending", ("month",))):
        tab = tables[name]
        if name not in cols or tab.empty:
            continue
        foreign = tab.loc[~tab["currency"].isin([reporting_currency, base]),
                          ["currency", *date_cols]]  # fmt: skip
        if foreign.empty:
            continue
        cur = foreign["currency"]
        no_rate = ~cur.isin(quoted)
        cols[name].cells(
            no_rate & ~cur.duplicated(),
            "currency",
            "currency '" + cur + "' has no FX rate into " + reporting_currency,
            "add rows for it to fx_rates (date, currency, rate), or correct the code",
        )
        rated = foreign.loc[~no_rate]
        needed = rated[list(date_cols)].min(axis=1)
        starts = pd.Series(
            first_rate.reindex(rated["currency"].to_numpy()).to_numpy(), index=rated.index
        )
        early = needed < starts
        if early.any():
            first = needed[early].groupby(rated.loc[early, "currency"]).idxmin()
            idx = first.to_numpy()
            mask = pd.Series(True, index=idx)
            cols[name].cells(
                mask,
                date_cols[0],
                "no FX rate for "
                + rated.loc[idx, "currency"]
                + " on "
                + needed.loc[idx].dt.strftime("%Y-%m-%d")
                + " (first rate on "
                + starts.loc[idx].dt.strftime("%Y-%m-%d")
                + ")",
                "add an fx_rates row for that currency dated on or before that day",
            )
