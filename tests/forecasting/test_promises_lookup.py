"""The adjustments' two columns looked up at once, against a lookup per column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.app.analysis import Analysis, Settings
from cashplan.forecasting.promises import _per_item


def test_two_columns_at_once_as_one_by_one(sample_book) -> None:
    fc = Analysis(sample_book, Settings(as_of="2026-10-31")).forecaster
    items, who = fc.items_, (fc.item_customer_, fc.customers_)
    first, other = items.iloc[0], items.iloc[5]
    table = pd.DataFrame(
        {
            "company": [first["company"], first["company"], other["company"], "ZZ"],
            "customer_id": [first["customer_id"], first["customer_id"], other["customer_id"], "x"],
            "invoice_id": ["", first["invoice_id"], "", ""],
            "shift_days": [15.0, np.nan, 7.0, 3.0],
            "to_date": pd.to_datetime([pd.NaT, "2026-12-01", pd.NaT, pd.NaT]),
        }
    )
    rows, both = _per_item(items, table, ["shift_days", "to_date"], who)
    assert isinstance(both, dict)
    for column in ("shift_days", "to_date"):
        alone_rows, alone = _per_item(items, table, column, who)
        np.testing.assert_array_equal(rows, alone_rows)
        assert isinstance(alone, np.ndarray)
        assert alone.dtype == both[column].dtype
        np.testing.assert_array_equal(both[column], alone)
    assert len(rows) > 1
    # column by column: the invoice's row gives no shift, its customer's does
    assert both["shift_days"][rows == 0][0] == 15.0
    assert both["to_date"][rows == 0][0] == np.datetime64("2026-12-01")


def _per_item_deduplicated(items, table, columns, who):  # type: ignore[no-untyped-def]
    """``_per_item`` as first written: each key's latest row kept by ``drop_duplicates``,
    then looked up (the reference)."""
    from cashplan.fast.frames import lookup
    from cashplan.forecasting.promises import _concerned

    keys = ["company", "customer_id"]
    rows = _concerned(items, table, who)
    mine = items[["company", "customer_id", "invoice_id"]].iloc[rows]
    named = table["invoice_id"] != ""
    by_invoice = table.loc[named].drop_duplicates(["company", "invoice_id"], keep="last")
    by_customer = table.loc[~named].drop_duplicates(keys, keep="last")
    inv = lookup(mine, by_invoice, ["company", "invoice_id"], columns)
    cus = lookup(mine, by_customer, keys, columns)
    return rows, {
        k: np.where(inv[k].notna(), inv[k].to_numpy(), cus[k].to_numpy()) for k in columns
    }


def test_the_latest_row_of_each_key_read_backwards_is_the_one_kept_by_drop_duplicates(
    sample_book,
) -> None:
    """Several rows on the same invoice and the same account, in any order: the latest of
    each wins, as when the others were dropped first; all of the customer's items found or
    only some."""
    fc = Analysis(sample_book, Settings(as_of="2026-10-31")).forecaster
    items, who = fc.items_, (fc.item_customer_, fc.customers_)
    a, b = items.iloc[0], items.loc[items["customer_id"] != items.iloc[0]["customer_id"]].iloc[0]
    rng = np.random.default_rng(7)
    for _ in range(5):
        n = 12
        pick = rng.integers(0, 2, n)
        table = pd.DataFrame(
            {
                "company": np.where(pick, a["company"], b["company"]),
                "customer_id": np.where(pick, a["customer_id"], b["customer_id"]),
                "invoice_id": np.where(
                    rng.random(n) < 0.5, "", np.where(pick, a["invoice_id"], b["invoice_id"])
                ),
                "shift_days": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 60, n)),
                "to_date": pd.to_datetime("2026-11-01")
                + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
            }
        ).astype({"company": "str", "customer_id": "str", "invoice_id": "str"})
        rows, got = _per_item(items, table, ["shift_days", "to_date"], who)
        want_rows, want = _per_item_deduplicated(items, table, ["shift_days", "to_date"], who)
        np.testing.assert_array_equal(rows, want_rows)
        assert isinstance(got, dict)
        for k in want:
            assert got[k].dtype == want[k].dtype
            np.testing.assert_array_equal(got[k], want[k])
