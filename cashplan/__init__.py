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
