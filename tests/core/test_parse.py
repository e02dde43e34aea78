"""Cell parsing: amounts keep their cents up to a stated limit and are refused beyond it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import BookError, read_book
from cashplan.core.parse import AMOUNT_LIMIT, FRENCH, STANDARD, parse_column
from tests.conftest import HEADER


def problems(folder: Path) -> pd.DataFrame:
    with pytest.raises(BookError) as info:
        read_book(folder)
    return info.value.to_frame()


def test_amounts_beyond_the_limit_are_refused_with_the_limit(book_dir):
    text = (
        HEADER + "\n"
        "F1,C1,2026-01-10,2026-02-09,999999999999999.99\n"
        "F2,C1,2026-01-10,2026-02-09,1000000000000000000000\n"
        "F3,C1,2026-01-10,2026-02-09,-10000000000000\n"
        "F4,C1,2026-01-10,2026-02-09,9999999999999.99\n"
    )
    found = problems(book_dir(invoices=text))
    assert found[["line", "column", "value"]].values.tolist() == [
        [2, "amount", "999999999999999.99"],
        [3, "amount", "1000000000000000000000"],
        [4, "amount", "-10000000000000"],
    ]
    assert found["problem"].str.contains("10,000,000,000,000").all()


def test_amounts_below_the_limit_keep_their_cents_exactly():
    rng = np.random.default_rng(7)
    cents = rng.integers(-(AMOUNT_LIMIT * 100) + 1, AMOUNT_LIMIT * 100, 200_000)
    cents = np.concatenate([cents, [AMOUNT_LIMIT * 100 - 1, -(AMOUNT_LIMIT * 100 - 1), 1, -1]])
    sign = np.where(cents < 0, "-", "")
    mag = np.abs(cents)
    written = pd.Series([f"{s}{m // 100}.{m % 100:02d}" for s, m in zip(sign, mag, strict=True)])
    values, bad = parse_column(written, "decimal", STANDARD)
    assert bad.empty
    assert (values.map("{:.2f}".format).str.replace("-0.00", "0.00") == written).all()
    assert (np.round(values.to_numpy() * 100) == cents).all()
    french, bad = parse_column(written.str.replace(".", ","), "decimal", FRENCH)
    assert bad.empty and french.equals(values)


def test_typed_amounts_beyond_the_limit_are_refused(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    pd.DataFrame(
        {
            "invoice_id": ["F1", "F2"],
            "customer_id": ["C1", "C1"],
            "issue_date": pd.to_datetime(["2026-01-10"] * 2),
            "due_date": pd.to_datetime(["2026-02-09"] * 2),
            "amount": [1e21, 12.5],
        }
    ).to_parquet(folder / "invoices.parquet")
    found = problems(folder)
    assert found[["line", "column"]].values.tolist() == [[1, "amount"]]
