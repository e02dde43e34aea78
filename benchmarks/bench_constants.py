"""The forecast's fixed assumptions, each tried at a few values: out-of-sample backtests.

Run from the repository root::

    python benchmarks/bench_constants.py              # every constant, every book (~10 min)
    python benchmarks/bench_constants.py uniform      # one constant

For each constant and value, the open book's backtest (13-week weekly WAPE, p10-p90
coverage; every figure is scored on weeks after its as-of date) on books held out
from the sample: ``make_book`` seeds 11 and 23 and ``make_small_book`` seed 5 (the
small realistic book, its ``disputed`` flag kept). The small book of seed 3 is kept
for the test (``tests/forecasting/test_backtest.py``) and not swept here. The value in
use is marked ``*``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cashplan import Book
from cashplan.forecasting import collection, payment_runs, promises
from cashplan.forecasting.backtest import backtest
from cashplan.forecasting.collection import CollectionForecaster
from cashplan.forecasting.reliability import PayerScorer
from cashplan.sample import make_book, make_small_book


@contextmanager
def patched(owner: object, name: str, value: object) -> Iterator[None]:
    """``owner.name = value`` for the duration of the block."""
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def keyword(cls: type, name: str) -> Callable[[object, object], object]:
    """A patch of a keyword default of ``cls.__init__`` (half_life_days, prior_strength)."""

    def setter(owner: object, value: object) -> object:
        defaults = dict(cls.__init__.__kwdefaults__ or {})
        defaults[name] = value
        return patched(cls.__init__, "__kwdefaults__", defaults)

    return setter


def attr(owner: object, name: str) -> Callable[[object, object], object]:
    return lambda _, value: patched(owner, name, value)


def both(name: str) -> Callable[[object, object], object]:
    """The scorer's and the forecaster's keyword default at once."""

    @contextmanager
    def setter(_: object, value: object) -> Iterator[None]:
        with (
            keyword(CollectionForecaster, name)(None, value),
            keyword(PayerScorer, name)(None, value),
        ):  # type: ignore[attr-defined]
            yield

    return setter


@contextmanager
def keeping(_: object, value: object) -> Iterator[None]:
    """The promise-keeping prior: where none is learned, and the prior of the learned one."""
    with (
        patched(promises, "DEFAULT_KEEPING", value),
        patched(PayerScorer.promise_keeping, "__defaults__", (value,)),
    ):
        yield


CONSTANTS: dict[str, tuple[Callable[[object, object], object], list[object], object]] = {
    "uniform": (attr(collection, "_UNIFORM"), [0.0005, 0.002, 0.01], 0.002),
    "within_customer": (attr(collection, "_WITHIN_CUSTOMER"), [0.0, 0.1, 0.3], 0.1),
    "half_life_days": (both("half_life_days"), [180.0, 365.0, 730.0], 365.0),
    "prior_strength": (both("prior_strength"), [1.0, 5.0, 20.0], 5.0),
    "promise_keeping": (keeping, [0.6, 0.8, 0.95], 0.8),
    "run_share": (attr(payment_runs, "_SHARE"), [0.4, 0.5, 0.7], 0.5),
    "run_min_months": (attr(payment_runs, "_MIN_MONTHS"), [3, 6, 9], 6),
}


def books() -> dict[str, tuple[Book, dict[str, object]]]:
    span = {"first": "2025-09-30", "last": "2026-07-31"}
    return {
        "make_book 11": (Book.from_tables(make_book(seed=11)), span),
        "make_book 23": (Book.from_tables(make_book(seed=23)), span),
        "small 5": (Book.from_tables(make_small_book(seed=5)), {"disputes": True}),
    }


def main(names: list[str]) -> None:
    held = books()
    for name in names or list(CONSTANTS):
        setter, values, current = CONSTANTS[name]
        for value in values:
            cells = []
            start = time.perf_counter()
            for label, (book, kw) in held.items():
                with setter(None, value):  # type: ignore[attr-defined]
                    result = backtest(book.invoices, book.fx, book.promises, **kw)  # type: ignore[arg-type]
                s = result.summary.set_index("method")
                cells.append(
                    f"{label}: {s.loc['forecast', 'wape']:.3f} "
                    f"({s.loc['forecast', 'p10_p90_coverage']:.0%})"
                )
            mark = "*" if value == current else " "
            took = time.perf_counter() - start
            print(
                f"{name:16s} {mark}{value!s:7s} " + "  ".join(cells) + f"  [{took:.0f} s]",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
