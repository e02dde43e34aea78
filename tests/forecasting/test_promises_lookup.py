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
