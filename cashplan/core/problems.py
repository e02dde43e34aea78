"""A raw table as read from a file, and the collector of its problems.

Validation (:mod:`cashplan.core.validate`) and the business rules
(:mod:`cashplan.core.rules`) both report through a :class:`Collector`: one row per
bad cell, with the file, the line as a spreadsheet shows it, the column, the value,
the problem and the fix. Kept apart so that the rules never import the validation
that calls them.

Examples
--------
>>> raw = RawTable.from_frame("invoices", pd.DataFrame({"amount": ["1", "x"]}))
>>> col = Collector(raw)
>>> col.cells(pd.Series([False, True]), "amount", "not a number", "write a number")
>>> col.parts[0][["line", "column", "value"]].to_dict("records")
[{'line': 3, 'column': 'amount', 'value': 'x'}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.errors import problems_frame
from cashplan.core.parse import STANDARD, Dialect

__all__ = ["Collector", "RawTable"]


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
