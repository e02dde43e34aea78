"""``rows_named``: the rows of a few names found in an index kept beside the table are the
rows Arrow's hashing over the whole column finds (the reference, as cross_rules first
did it), for duplicates, missing names and another table alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.core.rules import _named, rows_named


def _reference(table: pd.DataFrame, column: str, names: pd.Series) -> np.ndarray:
    return np.flatnonzero(_named(table[column], names))


def test_rows_named_are_the_ones_arrow_finds(sample_book):
    inv = sample_book.invoices
    ids = inv["invoice_id"]
    twice = pd.concat([inv, inv.assign(company="ZZ01")], ignore_index=True)  # ids twice
    cases = [
        ids.iloc[[3]],
        ids.iloc[[3, 3, 700, 25_000]],
        pd.Series(["no such invoice", ids.iloc[9]]),
        ids.iloc[:200],  # many names: Arrow over the column
        ids.iloc[:0],
    ]
    for table in (inv, twice, inv.iloc[::-1].reset_index(drop=True)):
        for names in cases:
            got = rows_named(table, "invoice_id", names)
            np.testing.assert_array_equal(got, _reference(table, "invoice_id", names))
            assert got.dtype == np.int64
    # customers too (each has many invoices), the list form an edit passes
    who = inv["customer_id"].iloc[5]
    found = rows_named(inv, "customer_id", [who])
    assert len(found) > 1
    np.testing.assert_array_equal(found, np.flatnonzero(inv["customer_id"] == who))


def test_the_kept_index_belongs_to_its_table():
    a = pd.DataFrame({"invoice_id": ["F1", "F2"]})
    b = pd.DataFrame({"invoice_id": ["F2", "F1", "F2"]})
    assert rows_named(a, "invoice_id", ["F2"]).tolist() == [1]
    assert rows_named(b, "invoice_id", ["F2"]).tolist() == [0, 2]
    assert rows_named(a, "invoice_id", ["F2"]).tolist() == [1]
    assert rows_named(a.iloc[:0], "invoice_id", ["F2"]).tolist() == []
