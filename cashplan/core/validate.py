"""The one validation layer: raw tables in, typed tables and every problem out.

Pure functions, no file access: :mod:`cashplan.io.book` reads the files into
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
import functools
from collections.abc import Mapping

import pandas as pd

from cashplan.core.errors import PROBLEM_COLUMNS, problems_frame
from cashplan.core.parse import DATE_DTYPE, is_empty, parse_column, parse_few
from cashplan.core.problems import Collector, RawTable
from cashplan.core.rules import ROW_RULES, cross_rules, text_rules
from cashplan.core.schema import DEFAULT_COMPANY, REQUIRED_TABLES, TABLES, Column

__all__ = ["RawTable", "empty_table", "validate_tables"]


def empty_table(table: str) -> pd.DataFrame:
    """The typed, empty version of a table (for an optional table that is absent)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _dtypes(table).items()})


@functools.cache
def _dtypes(table: str) -> dict[str, str]:
    """Each column's dtype in the typed table."""
    kinds = {
        "text": "str",
        "currency": "str",
        "decimal": "float64",
        "int": "Int64",
        "bool": "bool",
        "date": DATE_DTYPE,
        "month": DATE_DTYPE,
    }
    return {c.name: kinds[c.kind] for c in TABLES[table]}


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
        Every problem found, columns :data:`cashplan.core.errors.PROBLEM_COLUMNS`.
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
            text_rules(typed, col)
            ROW_RULES[name](typed, col)
            tables[name] = typed
        parts.extend(col.parts)
    cross = {name: Collector(c.raw) for name, c in collectors.items()}
    cross_rules(tables, cross, reporting_currency)  # on the rows that could be read
    parts.extend(p for c in cross.values() for p in c.parts)
    problems = pd.concat(parts, ignore_index=True) if parts else problems_frame()
    problems["line"] = problems["line"].astype("Int64")
    problems = problems.sort_values(["file", "line"], kind="stable", na_position="first")
    return tables, problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)


_NO_BAD = pd.DataFrame({"row": [], "value": [], "problem": [], "fix": []})


def _parsed(raw: pd.Series, column: Column, table: RawTable) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`~cashplan.core.parse.parse_column` of a column of ``table``."""
    return parse_column(raw, column.kind, table.dialect)


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
        few = parse_few(frame[c.name], c.kind, raw.dialect)  # a saved row: read as written
        values, bad = (few, _NO_BAD) if few is not None else _parsed(frame[c.name], c, raw)
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
    dtypes = _dtypes(raw.table)
    for c in spec:
        if c.name not in typed.columns:
            fill = "" if c.kind in ("text", "currency") else False if c.kind == "bool" else None
            typed[c.name] = pd.Series(fill, index=typed.index, dtype=dtypes[c.name])
        if c.name in defaults:
            given = typed[c.name] != ""
            if not given.all():  # a copy of a million cells only when one is empty
                typed[c.name] = typed[c.name].where(given, defaults[c.name])
    return typed[[c.name for c in spec]]
