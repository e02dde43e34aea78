"""Dates and keys every layer shares: a day from a date-like value, the consolidated key.

Kept apart from the ledger (which runs on the compiled arrays) so that a module needing
only a day or the ``ALL`` key imports nothing heavy.

>>> to_date("2026-10-31 15:30")
Timestamp('2026-10-31 00:00:00')
>>> ALL
'ALL'
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ALL", "to_date"]

ALL = "ALL"  # the company key of consolidated rows (data-format.md)


def to_date(value: str | pd.Timestamp) -> pd.Timestamp:
    """A day (midnight) from an ISO string or a timestamp."""
    return pd.Timestamp(value).normalize()
