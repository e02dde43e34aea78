"""Typed errors that carry every problem found, ready to show as a table.

A :class:`BookError` is raised once, after a whole book has been checked, with
one row per problem: the file, the line as a spreadsheet shows it (the header
is line 1), the column, the offending value, what was expected and the fix.

Examples
--------
>>> err = BookError.from_rows([
...     {"file": "invoices.csv", "line": 3, "column": "amount", "value": "12,5",
...      "problem": "not a number", "fix": "use a dot for decimals in a comma file"},
... ])
>>> err.problems.loc[0, "line"]
np.int64(3)
>>> print(str(err).splitlines()[0])
1 problem found; nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import pandas as pd

__all__ = ["PROBLEM_COLUMNS", "BookError", "CashplanError", "MissingRateError"]

PROBLEM_COLUMNS = ["file", "line", "column", "value", "problem", "fix"]
_SHOWN = 40


class CashplanError(Exception):
    """Base class of the errors cashplan raises on purpose (shown without a traceback)."""


class BookError(CashplanError):
    """A book (or a file of it) that cannot be used, with every problem found.

    Parameters
    ----------
    problems : DataFrame
        One row per problem, columns :data:`PROBLEM_COLUMNS`. ``line`` is the
        line number as a spreadsheet shows it (header = 1), or ``<NA>`` when the
        problem is about the whole file.
    """

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems.reindex(columns=PROBLEM_COLUMNS).reset_index(drop=True)
        super().__init__(self._message())

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> BookError:
        """Build the error from an iterable of problem dictionaries."""
        return cls(problems_frame(list(rows)))

    def to_frame(self) -> pd.DataFrame:
        """All the problems, one row each (a copy)."""
        return self.problems.copy()

    def _repr_html_(self) -> str:  # shown as a table in a notebook
        head = f"<p><b>{len(self.problems):,} problem(s) found; nothing was written.</b></p>"
        return head + self.problems.to_html(index=False, na_rep="")

    def _message(self) -> str:
        n = len(self.problems)
        lines = [f"{n:,} problem{'s' if n != 1 else ''} found; nothing was written."]
        for row in self.problems.head(_SHOWN).itertuples(index=False):
            line: Any = row.line
            where = f"{row.file!s}" + ("" if line is pd.NA or line is None else f", line {line}")
            col = f", column '{row.column}'" if isinstance(row.column, str) and row.column else ""
            val = f", value {row.value!r}" if isinstance(row.value, str) and row.value else ""
            lines.append(f"- {where}{col}{val}: {row.problem}. Fix: {row.fix}.")
        if n > _SHOWN:
            lines.append(f"... and {n - _SHOWN:,} more (BookError.to_frame() lists them all).")
        return "\n".join(lines)


class MissingRateError(CashplanError):
    """An amount could not be converted: no FX rate valid at its date.

    Parameters
    ----------
    missing : DataFrame
        Columns ``currency`` and ``date``: for each currency the earliest date
        that had no rate.
    reporting_currency : str
        The currency being converted into.
    """

    def __init__(self, missing: pd.DataFrame, reporting_currency: str) -> None:
        self.missing = missing.reset_index(drop=True)
        self.reporting_currency = reporting_currency
        parts = [
            f"{r.currency!s} on {pd.Timestamp(cast(Any, r.date)).date()}"
            for r in self.missing.itertuples(index=False)
        ]
        super().__init__(
            f"no FX rate into {reporting_currency} for "
            + ", ".join(parts)
            + ". Fix: add a row to fx_rates (date, currency, rate) dated on or before that day."
        )


def problems_frame(rows: list[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """A problems table with the standard columns (empty when ``rows`` is empty)."""
    frame = pd.DataFrame(rows or [], columns=PROBLEM_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame
