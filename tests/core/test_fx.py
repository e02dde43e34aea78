"""Currency conversion: the rate valid at the date, cross rates, and clear missing-rate errors."""

from __future__ import annotations

import pandas as pd
import pytest

from cashplan import Fx, MissingRateError

RATES = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01"]),
        "currency": ["GBP", "GBP", "USD"],
        "rate": [1.15, 1.20, 0.90],
    }
)


def test_rate_valid_from_its_date_until_the_next():
    fx = Fx(RATES, "EUR")
    got = fx.convert(
        [100, 100, 100, 10],
        ["GBP", "GBP", "GBP", "EUR"],
        pd.to_datetime(["2026-01-01", "2026-01-31", "2026-03-15", "1999-01-01"]),
    )
    assert got.tolist() == pytest.approx([115.0, 115.0, 120.0, 10.0])


def test_cross_rate_when_reporting_in_a_quoted_currency():
    """Rates are EUR per unit; reporting in GBP on 2026-02-10: USD 120 x 0.90 / 1.20 = GBP 90."""
    fx = Fx(RATES, "GBP")
    assert fx.convert([120.0], ["USD"], pd.to_datetime(["2026-02-10"])).tolist() == pytest.approx(
        [90.0]
    )


def test_missing_rate_names_currency_and_date():
    fx = Fx(RATES, "EUR")
    with pytest.raises(MissingRateError) as info:
        fx.convert(
            [1, 1, 1],
            ["GBP", "JPY", "JPY"],
            pd.to_datetime(["2025-12-31", "2026-03-01", "2026-02-01"]),
        )
    message = str(info.value)
    assert "GBP on 2025-12-31" in message and "JPY on 2026-02-01" in message
    assert info.value.missing["currency"].tolist() == ["GBP", "JPY"]


def test_sample_reports_in_gbp_through_the_tables_base():
    """The sample's rates are EUR per GBP; reporting in GBP, GBP amounts are unchanged and
    EUR amounts divide by the GBP rate of the day."""
    from cashplan import open_items, read_book
    from tests.conftest import SAMPLE

    book = read_book(SAMPLE, reporting_currency="GBP")
    assert book.fx.base_currency == "EUR"
    items = open_items(book.invoices, "2026-10-31", book.fx)
    uk = items.loc[items["company"] == "UK01"]
    assert uk["open_amount_rc"].sum() == pytest.approx(uk["open_amount"].sum())
    fr = items.loc[items["company"] == "FR01"]
    rate = book.fx_rates.sort_values("date")["rate"].iloc[-1]
    assert fr["open_amount_rc"].sum() == pytest.approx(fr["open_amount"].sum() / rate)


def test_two_unquoted_currencies_have_no_base():
    fx = Fx(RATES, "GBP", base_currency=None)
    with pytest.raises(MissingRateError, match="EUR"):
        fx.convert([1.0], ["EUR"], pd.to_datetime(["2026-02-10"]))


def test_quotes_kept_per_rates_table() -> None:
    """The quotes worked out once per rates table: another table (even at a reused
    address once the first is gone) converts at its own rates."""
    import gc

    from cashplan.core import kept as kept_module

    def rates(rate: float) -> pd.DataFrame:
        return pd.DataFrame(
            {"date": pd.to_datetime(["2026-01-01"]), "currency": ["GBP"], "rate": [rate]}
        )

    day = pd.to_datetime(["2026-03-01"])
    seen = []
    for rate in (1.1, 1.2, 1.3, 1.4):
        table = rates(rate)
        first = Fx(table, "EUR").convert([100.0], ["GBP"], day)
        again = Fx(table, "EUR").convert([100.0], ["GBP"], day)
        assert first.tolist() == again.tolist() == [pytest.approx(100.0 * rate)]
        assert id(table) in kept_module._KEPT
        seen.append(id(table))
        del table
        gc.collect()
        assert seen[-1] not in kept_module._KEPT  # forgotten with its table
