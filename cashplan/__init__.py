"""cashplan: a cash-planning workbook for company finance teams.

Read a book (``read_book("data/sample")``), then compute targets, the aged
balance and KPIs at a date. Here with a small generated book:

>>> import cashplan
>>> book = cashplan.Book.from_frames(**cashplan.make_book(n_invoices=3_000, n_customers=30))
>>> items = cashplan.open_items(book.invoices, "2026-10-31", book.fx)
>>> aged = cashplan.aged_balance(items, by=("company",))
>>> bool(abs(aged["total"].sum() - items["open_amount_rc"].sum()) < 1e-6)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what mypy and editors see; at run time each is imported on first use
    from cashplan.core.errors import BookError, CashplanError, MissingRateError
    from cashplan.core.fx import Fx
    from cashplan.forecasting.collection import (
        CollectionForecaster,
        Forecast,
        buckets_for,
        forecast,
    )
    from cashplan.forecasting.reliability import PayerScorer
    from cashplan.io.book import Book, Source, read_book
    from cashplan.io.export import write_book, write_csv
    from cashplan.ledger.aging import DEFAULT_BUCKETS, aged_balance, bucket_labels
    from cashplan.ledger.items import collections, open_items, sales
    from cashplan.ledger.kpis import best_possible_dso, cei, dso_countback, dso_standard, kpis
    from cashplan.planning.targets import (
        cash_need,
        monthly_collections,
        monthly_targets,
        smoothed_targets,
    )
    from cashplan.sample import SAMPLE_AS_OF, make_book

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BUCKETS",
    "SAMPLE_AS_OF",
    "Book",
    "BookError",
    "CashplanError",
    "CollectionForecaster",
    "Forecast",
    "Fx",
    "MissingRateError",
    "PayerScorer",
    "Source",
    "aged_balance",
    "best_possible_dso",
    "bucket_labels",
    "buckets_for",
    "cash_need",
    "cei",
    "collections",
    "dso_countback",
    "dso_standard",
    "forecast",
    "kpis",
    "make_book",
    "monthly_collections",
    "monthly_targets",
    "open_items",
    "read_book",
    "sales",
    "smoothed_targets",
    "write_book",
    "write_csv",
]

# the module each public name lives in: ``import cashplan`` imports none of them (nor
# pandas or numba), so that ``cashplan report`` starts its kernel at once
_HOMES = {
    "cashplan.core.errors": ("BookError", "CashplanError", "MissingRateError"),
    "cashplan.core.fx": ("Fx",),
    "cashplan.forecasting.collection": (
        "CollectionForecaster",
        "Forecast",
        "buckets_for",
        "forecast",
    ),
    "cashplan.forecasting.reliability": ("PayerScorer",),
    "cashplan.io.book": ("Book", "Source", "read_book"),
    "cashplan.io.export": ("write_book", "write_csv"),
    "cashplan.ledger.aging": ("DEFAULT_BUCKETS", "aged_balance", "bucket_labels"),
    "cashplan.ledger.items": ("collections", "open_items", "sales"),
    "cashplan.ledger.kpis": ("best_possible_dso", "cei", "dso_countback", "dso_standard", "kpis"),
    "cashplan.planning.targets": (
        "cash_need",
        "monthly_collections",
        "monthly_targets",
        "smoothed_targets",
    ),
    "cashplan.sample": ("SAMPLE_AS_OF", "make_book"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """A public name imported from its module on first use, then kept here (PEP 562)."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'cashplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
