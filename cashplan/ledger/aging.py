"""The aged balance (balance âgée): open amounts by days past due.

Buckets are given by their upper edges in days past due: the default
``(0, 30, 60, 90)`` makes *not due* (0 or less), 1-30, 31-60, 61-90 and 90+.
Every open amount lands in exactly one bucket, so the buckets always add up to
the total open amount.

Examples
--------
>>> items = pd.DataFrame({"company": ["A", "A", "A"], "customer_id": ["C1", "C1", "C2"],
...                       "days_past_due": [-5, 45, 120], "open_amount_rc": [100.0, 50.0, 25.0]})
>>> print(aged_balance(items).to_string(index=False))
company customer_id  not_due  d1_30  d31_60  d61_90  d90_plus  total
      A          C1    100.0    0.0    50.0     0.0       0.0  150.0
      A          C2      0.0    0.0     0.0     0.0      25.0   25.0
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_BUCKETS", "aged_balance", "bucket_labels"]

DEFAULT_BUCKETS = (0, 30, 60, 90)


def bucket_labels(edges: Sequence[int] = DEFAULT_BUCKETS) -> list[str]:
    """Column names for the buckets made by ``edges``.

    >>> bucket_labels((0, 15, 45))
    ['not_due', 'd1_15', 'd16_45', 'd45_plus']
    """
    edges = list(edges)
    if not edges or edges[0] != 0 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError(f"bucket edges must start at 0 and increase, got {edges}")
    labels = ["not_due"]
    labels += [f"d{a + 1}_{b}" for a, b in itertools.pairwise(edges)]
    return [*labels, f"d{edges[-1]}_plus"]


def aged_balance(
    items: pd.DataFrame,
    by: Sequence[str] = ("company", "customer_id"),
    buckets: Sequence[int] = DEFAULT_BUCKETS,
) -> pd.DataFrame:
    """Open amounts (reporting currency) by group and bucket of days past due.

    Parameters
    ----------
    items : DataFrame
        Open items, as :func:`cashplan.ledger.items.open_items` returns them
        (``days_past_due``, ``open_amount_rc`` and the ``by`` columns).
    by : sequence of str, default ("company", "customer_id")
        Grouping columns, e.g. ``("company", "owner")`` or ``("company",)``.
    buckets : sequence of int, default (0, 30, 60, 90)
        Upper edges of the buckets in days past due.

    Returns
    -------
    DataFrame
        One row per group, one column per bucket, and ``total``, sorted by group.
    """
    labels = bucket_labels(buckets)
    by = list(by)
    code = np.searchsorted(np.asarray(buckets), items["days_past_due"].to_numpy(), side="left")
    if by:
        grouped = items.groupby(by, sort=True, dropna=False)
        group_codes = grouped.ngroup().to_numpy()
        keys = grouped.size().index.to_frame(index=False)
    else:
        group_codes, keys = np.zeros(len(items), dtype=np.int64), pd.DataFrame(index=[0])
    n_groups = len(keys)
    flat = group_codes * len(labels) + code
    sums = np.bincount(
        flat,
        weights=items["open_amount_rc"].to_numpy(dtype=float),
        minlength=n_groups * len(labels),
    ).reshape(n_groups, len(labels))
    out = pd.DataFrame(sums, columns=labels)
    out["total"] = sums.sum(axis=1)
    if by:
        out = pd.concat([keys.reset_index(drop=True), out], axis=1)
    return out
