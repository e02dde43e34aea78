"""Monthly cash need and smoothed collection targets (domain.md, method steps 1-2).

The need is the month's cash out (salaries, external charges, taxes & VAT,
loans, incl. VAT), plus an optional safety margin on the months not yet closed (a
cushion for the months ahead; closed months keep their actual need, so moving the
margin never rewrites the past's shortfalls). The target is the need plus
the shortfalls of earlier months still to catch up: a month's shortfall
(target - collected) is spread evenly over the next ``k`` months. A surplus
lowers later targets only when ``surplus_lowers`` is set.

Targets start where the book starts (domain.md, decision): a month before a
company's first spending record or its first invoice carries no need and no
shortfall, so the seed's example gives the same targets whatever the as-of date
and however many months are shown.

Examples
--------
The seed's example: a need of 100,000 a month, 80,000 then 110,000 collected.

>>> t = smoothed_targets([100_000] * 4, [80_000, 110_000, 110_000, None])
>>> t["target"].tolist()
[100000.0, 120000.0, 110000.0, 100000.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cashplan.core.dates import ALL, to_date
from cashplan.core.fx import Fx
from cashplan.core.kept import kept
from cashplan.core.scenarios import SPENDING_CATEGORIES
from cashplan.ledger.items import collections

__all__ = [
    "add_spending",
    "cash_need",
    "monthly_collections",
    "monthly_targets",
    "open_months",
    "override_spending",
    "planned_spending",
    "smoothed_targets",
    "target_months",
]

CATEGORIES = SPENDING_CATEGORIES


def smoothed_targets(
    need: Sequence[float] | np.ndarray,
    collected: Sequence[float | None] | np.ndarray,
    k: int = 1,
    surplus_lowers: bool = False,
) -> pd.DataFrame:
    """Targets for consecutive months, catching up each shortfall over ``k`` months.

    Parameters
    ----------
    need : sequence of float
        The cash need of each month, in order.
    collected : sequence of float or None
        Cash collected each month; missing (None/NaN) for months not closed yet,
        whose shortfall is not known and so not carried.
    k : int, default 1
        Months over which a shortfall is spread (1 reproduces the seed).
    surplus_lowers : bool, default False
        Whether a surplus (collected above target) lowers the following targets.
        Targets never go below zero.

    Returns
    -------
    DataFrame
        Columns ``cash_need``, ``carried`` (catch-up added to the month),
        ``target``, ``collected`` and ``shortfall`` (target - collected, NaN when
        not closed), one row per month.

    Examples
    --------
    With k = 3 the 20,000 shortfall of month 1 adds 6,666.67 to months 2-4:

    >>> t = smoothed_targets([100_000] * 4, [80_000, None, None, None], k=3)
    >>> t["target"].round(2).tolist()
    [100000.0, 106666.67, 106666.67, 106666.67]
    """
    if k < 1:
        raise ValueError(f"k (the catch-up horizon) must be 1 or more months, got {k}")
    need_a = np.asarray(need, dtype=float)
    got = np.asarray([np.nan if c is None else c for c in collected], dtype=float)
    if got.shape != need_a.shape:
        raise ValueError(f"need has {need_a.size} months but collected has {got.size}")
    carried, target, shortfall = _smoothed(need_a, got, k, surplus_lowers)
    return pd.DataFrame(
        {
            "cash_need": need_a,
            "carried": carried,
            "target": target,
            "collected": got,
            "shortfall": shortfall,
        }
    )


def _smoothed(
    need_a: np.ndarray, got: np.ndarray, k: int, surplus_lowers: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``smoothed_targets``' carried, target and shortfall columns, as arrays."""
    n = need_a.size
    carried = np.zeros(n + k)
    target = np.zeros(n)
    shortfall = np.full(n, np.nan)
    for t in range(n):  # a loop over months, not invoices
        target[t] = max(need_a[t] + carried[t], 0.0)
        if np.isnan(got[t]):
            continue
        shortfall[t] = target[t] - got[t]
        carry = shortfall[t] if surplus_lowers else max(shortfall[t], 0.0)
        carried[t + 1 : t + 1 + k] += carry / k
    return carried[:n], target, shortfall


def cash_need(
    spending: pd.DataFrame, fx: Fx, months: pd.DatetimeIndex, safety_margin: float = 0.0
) -> pd.DataFrame:
    """Monthly cash need per company and category, in the reporting currency.

    A month with no spending on record takes the mean of the company's last
    three recorded months, category by category (a run rate, stated in the
    report), so that future months have a need before the budget is entered.
    A month before the company's first spending record has no need (the book
    has not started): it is never back-filled with the run rate.

    Parameters
    ----------
    spending : DataFrame
        The book's typed spending table.
    fx : Fx
        Amounts convert at the rate valid on the first day of the month.
    months : DatetimeIndex
        Month starts to return.
    safety_margin : float, default 0.0
        A fraction added on top of the need (0.1 = 10 %).

    Returns
    -------
    DataFrame
        ``company``, ``month``, ``category``, ``amount`` and ``basis``
        ("recorded", "run rate" or "before the book").
    """
    if safety_margin < 0:
        raise ValueError(f"safety_margin is a fraction of the need, 0 or more; got {safety_margin}")
    spe = spending.assign(
        amount=fx.convert(spending["amount"], spending["currency"], spending["month"]),
        one_off=_one_off(spending),
    )
    sums = spe.groupby(["company", "month", "category", "one_off"])["amount"].sum()
    level = sums.index.get_level_values  # (no reset_index: it cost more than the sums)
    columns = {
        "company": level("company").to_numpy(dtype=object),
        "month": level("month").to_numpy(),
        "category": level("category").to_numpy(dtype=object),
        "one_off": level("one_off").to_numpy(dtype=bool),
        "amount": sums.to_numpy(dtype=float),
    }
    company, n = columns["company"], len(sums)
    starts = np.flatnonzero(np.r_[True, company[1:] != company[:-1]])[:n]
    bounds = zip(starts, [*starts[1:], n][: len(starts)], strict=True)
    frames = [
        _need_rows({k: v[a:b] for k, v in columns.items()}, months, safety_margin)
        for a, b in bounds
    ]
    if not frames:
        return pd.DataFrame(
            {
                "company": pd.Series(dtype="str"),
                "month": pd.Series(dtype="datetime64[us]"),
                "category": pd.Series(dtype="str"),
                "amount": pd.Series(dtype=float),
                "basis": pd.Series(dtype="str"),
            }
        )
    return pd.concat(frames, ignore_index=True)


def _need_rows(
    g: Mapping[str, np.ndarray], months: pd.DatetimeIndex, safety_margin: float
) -> pd.DataFrame:
    """One company's need rows (``cash_need``) from its sums by month, category and one-off
    (arrays), on a month x category grid (redrawn on every spending change: no pivot or
    melt), category by category as the melt of that grid."""
    month = g["month"]
    recorded, row = np.unique(month, return_inverse=True)
    cats, col = np.unique(g["category"], return_inverse=True)
    amount = g["amount"]
    table = np.zeros((len(recorded), len(cats)))
    np.add.at(table, (row, col), amount)  # the one-off and the recurring sum of a month
    recurring = ~g["one_off"]
    rate = np.zeros(len(cats))
    if recurring.any():
        r_months, r_row = np.unique(month[recurring], return_inverse=True)
        r_table = np.zeros((len(r_months), len(cats)))
        r_table[r_row, col[recurring]] = amount[recurring]
        last = r_table[-3:]
        rate = last.sum(axis=0) / len(last)
    wanted = months.to_numpy(dtype=recorded.dtype)
    at = np.searchsorted(recorded, wanted).clip(max=len(recorded) - 1)
    found = recorded[at] == wanted
    values = np.where(found[:, None], table[at], np.nan)
    known = ~np.isnan(values)
    before = wanted < recorded[0]
    basis = np.select(
        [before, known.all(axis=1)], ["before the book", "recorded"], default="run rate"
    )
    filled = np.where(known, values, rate[None, :])
    filled[before] = 0.0
    filled = filled * (1.0 + safety_margin)
    n_months, n_cats = len(months), len(cats)
    return pd.DataFrame(
        {
            "company": g["company"][0],
            "month": np.tile(months.rename("month"), n_cats),
            "category": np.repeat(cats, n_months),
            "amount": filled.T.ravel(),
            "basis": np.tile(basis.astype(object), n_cats),
        }
    )


def _one_off(spending: pd.DataFrame) -> np.ndarray:
    """Rows paid once on a date (a tax settlement, a capex payment): in their month's need,
    never in the run rate."""
    if "date" not in spending:
        return np.zeros(len(spending), dtype=bool)
    return spending["date"].notna().to_numpy()


def _rate(recurring: pd.DataFrame, categories: pd.Index) -> pd.Series:
    """The mean of the last three recorded months of recurring spending, per category."""
    if recurring.empty:
        return pd.Series(0.0, index=categories)
    table = recurring.groupby(["month", "category"])["amount"].sum().unstack(fill_value=0)
    return table.tail(3).mean().reindex(categories, fill_value=0.0)


def monthly_collections(invoices: pd.DataFrame, fx: Fx, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Cash collected per company and month up to ``as_of`` (settled invoices).

    Returns ``company``, ``month`` and ``collected`` in the reporting currency.
    """
    cash = collections(invoices, fx)
    cash = cash.loc[cash["paid_date"] <= to_date(as_of)]
    month = cash["paid_date"].dt.to_period("M").dt.to_timestamp().astype("datetime64[us]")
    return (
        cash.assign(month=month)
        .groupby(["company", "month"], as_index=False)
        .agg(collected=("amount_rc", "sum"))
    )


def target_months(
    as_of: str | pd.Timestamp, months_before: int = 12, months_after: int = 6
) -> pd.DatetimeIndex:
    """The months :func:`monthly_targets` covers: ``months_before`` up to as-of's, ``months_after``
    after it.

    >>> target_months("2026-10-31", 2, 1).strftime("%Y-%m").tolist()
    ['2026-09', '2026-10', '2026-11']
    """
    first = (to_date(as_of).to_period("M") - (months_before - 1)).to_timestamp()
    return pd.DatetimeIndex(
        pd.date_range(first, periods=months_before + months_after, freq="MS"),
        dtype="datetime64[us]",
    )


def monthly_targets(
    invoices: pd.DataFrame,
    spending: pd.DataFrame,
    fx: Fx,
    as_of: str | pd.Timestamp,
    k: int = 1,
    surplus_lowers: bool = False,
    safety_margin: float = 0.0,
    months_before: int = 12,
    months_after: int = 6,
) -> pd.DataFrame:
    """Need, target and collections per company and consolidated (``ALL``), by month.

    The months are the ``months_before`` months up to the as-of month and the
    ``months_after`` after it. The catch-up starts at the first of them, or where
    the book starts if later: a month before the first spending record or the
    first invoice (of the company; of the group for ``ALL``) has no need and no
    shortfall. Shortfalls are carried only from months closed by ``as_of``; the
    consolidated target is computed on the group's need and collections (cash
    is pooled), not summed from the companies' targets. The one-shot call of
    :func:`targets_from` (which takes the need and the collections already computed).

    Returns
    -------
    DataFrame
        ``company``, ``month``, ``cash_need``, ``carried``, ``target``,
        ``collected`` (NaN after ``as_of``), ``shortfall``, ``closed``.
    """
    day = to_date(as_of)
    months = target_months(day, months_before, months_after)
    return targets_from(
        cash_need(spending, fx, months),
        monthly_collections(invoices, fx, day),
        book_starts(invoices, spending),
        day,
        k=k,
        surplus_lowers=surplus_lowers,
        safety_margin=safety_margin,
        months_before=months_before,
        months_after=months_after,
    )


def book_starts(invoices: pd.DataFrame, spending: pd.DataFrame) -> pd.DataFrame:
    """Each company's first spending month and first invoice's month (the book's start).

    Returns ``company``, ``first_spent``, ``first_issued`` (NaT where the book has none).
    """
    first_spent = spending.groupby("company")["month"].min()
    starts = pd.concat(
        {"first_spent": first_spent, "first_issued": _first_issued(invoices)}, axis=1
    )
    return starts.rename_axis("company").reset_index()


def _first_issued(invoices: pd.DataFrame) -> pd.Series:
    """Each company's first invoice's month: kept beside the invoices (a spending change in
    the workbook grouped the whole ledger again for it)."""
    memo = kept(invoices)
    if "first_issued" not in memo:
        first = invoices.groupby("company")["issue_date"].min().dt.to_period("M")
        memo["first_issued"] = first.dt.to_timestamp()
    return memo["first_issued"]


def targets_from(
    need: pd.DataFrame,
    collected: pd.DataFrame,
    starts: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    k: int = 1,
    surplus_lowers: bool = False,
    safety_margin: float = 0.0,
    months_before: int = 12,
    months_after: int = 6,
) -> pd.DataFrame:
    """The targets of :func:`monthly_targets` from its parts: ``need`` (:func:`cash_need` over
    :func:`target_months`, without margin), ``collected`` (:func:`monthly_collections`) and
    ``starts`` (:func:`book_starts`)."""
    day = to_date(as_of)
    months = target_months(day, months_before, months_after)
    if safety_margin < 0:
        raise ValueError(f"safety_margin is a fraction of the need, 0 or more; got {safety_margin}")
    month_end = months.shift(1, freq="MS") - pd.Timedelta(days=1)
    closed = np.asarray(month_end <= day)
    companies = sorted(starts["company"].unique())
    # the need and the cash collected by company (then all of them) and month, as arrays
    # the margin is a cushion for the months ahead: closed months keep their actual need
    need_of = _by_month(need, "amount", companies, months, 1.0 + safety_margin * ~closed)
    got = _collected_by_month(collected, companies, months)
    started = np.asarray(months <= day)
    first_spent = starts.set_index("company")["first_spent"].dropna()
    first_issued = starts.set_index("company")["first_issued"].dropna()
    columns: dict[str, list[np.ndarray]] = {c: [] for c in _TARGET_COLUMNS}
    for i, company in enumerate([*companies, ALL]):  # a loop over companies
        n, c = need_of[i], got[i]
        in_book = _in_book(months, first_spent, first_issued, company)
        known = np.where(closed & in_book, c, np.nan)
        need_in_book = np.where(in_book, n, 0.0)
        carried, target, shortfall = _smoothed(need_in_book, known, k, surplus_lowers)
        parts = {
            "cash_need": need_in_book,
            "carried": carried,
            "target": target,
            "collected": np.where(started, c, np.nan),
            "shortfall": np.where(closed & ~in_book, 0.0, shortfall),  # none before the book
            "closed": closed,
        }
        for name, values in parts.items():
            columns[name].append(values)
    labels = np.array([*companies, ALL], dtype=object).repeat(len(months))
    table = {"company": labels, "month": np.tile(months.to_numpy(), len(companies) + 1)}
    table |= {name: np.concatenate(values) for name, values in columns.items()}
    return pd.DataFrame(table)


_TARGET_COLUMNS = ("cash_need", "carried", "target", "collected", "shortfall", "closed")


def _collected_by_month(
    collected: pd.DataFrame, companies: list[str], months: pd.DatetimeIndex
) -> np.ndarray:
    """``_by_month`` of the cash collected: kept beside ``collected`` for the last companies
    and months asked (the workbook's spending, margin and catch-up changes keep it).
    Read-only."""
    memo = kept(collected)
    key = (tuple(companies), tuple(months.asi8), str(months.dtype))
    found = memo.get("by_month")
    if found is None or found[0] != key:
        got = _by_month(collected, "collected", companies, months, np.ones(len(months)))
        got.flags.writeable = False
        found = memo["by_month"] = (key, got)
    return found[1]


def _by_month(
    frame: pd.DataFrame,
    column: str,
    companies: list[str],
    months: pd.DatetimeIndex,
    factor: np.ndarray,
) -> np.ndarray:
    """``frame[column]`` summed by company (rows in ``companies`` order, then every company
    of ``frame``: ``ALL``) and month (columns: ``months``; others left out), 0 where none;
    each company's month sum times the month's ``factor`` before ``ALL`` adds them."""
    sums = frame.groupby(["company", "month"])[column].sum()
    company = sums.index.get_level_values("company")
    month = months.get_indexer(sums.index.get_level_values("month"))
    row = pd.Index(companies).get_indexer(company)
    values = sums.to_numpy(dtype=float) * np.where(month >= 0, factor[month], 1.0)
    out = np.zeros((len(companies) + 1, len(months)))
    mine = (row >= 0) & (month >= 0)
    np.add.at(out, (row[mine], month[mine]), values[mine])
    everyone = month >= 0
    out[-1] = np.bincount(month[everyone], weights=values[everyone], minlength=len(months))
    return out


def _in_book(
    months: pd.DatetimeIndex, first_spent: pd.Series, first_issued: pd.Series, company: str
) -> np.ndarray:
    """Whether each month is on or after the book's start: the later of the first spending
    month and the first invoice's month (of ``company``; of the whole group for ``ALL``).
    A company with no spending record or no invoice has not started."""
    if company == ALL:
        spent, issued = first_spent.min(), first_issued.min()
    else:
        spent, issued = first_spent.get(company, pd.NaT), first_issued.get(company, pd.NaT)
    if pd.isna(spent) or pd.isna(issued):
        return np.zeros(len(months), dtype=bool)
    return np.asarray(months >= max(spent, issued))


def open_months(as_of: str | pd.Timestamp, months_after: int = 6) -> pd.DatetimeIndex:
    """The months not yet closed at ``as_of``: its own unless as-of is its last day, and
    the ``months_after`` following ones.

    >>> open_months("2026-10-31", 2).strftime("%Y-%m").tolist()
    ['2026-11', '2026-12']
    >>> open_months("2026-10-15", 1).strftime("%Y-%m").tolist()
    ['2026-10', '2026-11']
    """
    day = to_date(as_of)
    month = day.to_period("M")
    first = month + 1 if (day + pd.Timedelta(days=1)).day == 1 else month
    last = month + months_after
    return pd.DatetimeIndex(
        pd.period_range(first, last, freq="M").to_timestamp(), dtype="datetime64[us]"
    )


def planned_spending(
    spending: pd.DataFrame, as_of: str | pd.Timestamp, months_after: int = 6
) -> pd.DataFrame:
    """The mean monthly spending per company and category over the open months.

    Recorded months count as recorded, the others at the run rate (as in
    :func:`cash_need`); amounts stay in the spending's currency. This is what
    the workbook's spending widgets start from.

    Returns ``company``, ``category``, ``currency`` and ``amount``.
    """
    months = open_months(as_of, months_after)
    rows = []
    for (company, currency), g in spending.groupby(["company", "currency"], sort=True):
        table = g.groupby(["month", "category"])["amount"].sum().unstack()
        rate = _rate(g.loc[~_one_off(g)], table.columns)
        filled = table.reindex(months).fillna(rate)
        for category, amount in filled.mean().items():
            rows.append((company, category, currency, float(amount)))
    return pd.DataFrame(rows, columns=["company", "category", "currency", "amount"])


def _run_rate_rows(spending: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """``spending`` with the run-rate months written out as rows (as :func:`cash_need` fills
    them), so that overriding one category leaves the others' run rate as it was."""
    frames = [spending]
    for (company, currency), g in spending.groupby(["company", "currency"], sort=True):
        beyond = months[months > g["month"].max()]
        if len(beyond) == 0:
            continue
        table = g.groupby(["month", "category"])["amount"].sum().unstack()
        rate = _rate(g.loc[~_one_off(g)], table.columns)
        frames.append(
            pd.DataFrame(
                [(m, cat, float(v), company, currency) for m in beyond for cat, v in rate.items()],
                columns=["month", "category", "amount", "company", "currency"],
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"month": spending["month"].dtype, "amount": float})


def _written_out(
    spending: pd.DataFrame, months: pd.DatetimeIndex
) -> tuple[pd.Series, pd.DataFrame]:
    """Each company's spending currency and ``_run_rate_rows(spending, months)``: kept beside
    the table while it lives (:func:`~cashplan.core.kept.kept`), so that moving an override
    (the workbook's spending boxes) does not write the run rate out again. Not to be changed
    in place."""
    memo = kept(spending)
    hit = memo.get("written")
    if hit is not None and hit[0].equals(months):
        found: tuple[pd.Series, pd.DataFrame] = hit[1]
        return found
    currencies = spending.groupby("company")["currency"].agg(lambda c: c.mode().iloc[0])
    found = (currencies, _run_rate_rows(spending, months))
    memo["written"] = (months, found)
    return found


def override_spending(
    spending: pd.DataFrame,
    overrides: Mapping[str, float],
    as_of: str | pd.Timestamp,
    months_after: int = 6,
) -> pd.DataFrame:
    """``spending`` with a category's amount set for every open month.

    ``overrides`` maps ``"category"`` (every company that records spending) or
    ``"company/category"`` to a monthly amount in that company's spending currency.

    >>> spe = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
    ...     "category": "salaries", "amount": [100.0, 100.0], "company": "A", "currency": "EUR"})
    >>> out = override_spending(spe, {"salaries": 150.0}, "2026-10-31", months_after=2)
    >>> out["amount"].tolist(), out["month"].dt.strftime("%Y-%m").tolist()
    ([100.0, 150.0, 150.0], ['2026-10', '2026-11', '2026-12'])
    """
    if not overrides:
        return spending
    months = open_months(as_of, months_after)
    currencies, spending = _written_out(spending, months)
    frames, drop = [spending], np.zeros(len(spending), bool)
    for key, amount in overrides.items():
        company, _, category = key.rpartition("/")
        companies = [company] if company else currencies.index.tolist()
        unknown = [c for c in companies if c not in currencies.index]
        if unknown or not category or not np.isfinite(amount) or amount < 0:
            raise ValueError(
                f"spending override {key!r}: {amount!r} - give 'category' or "
                f"'company/category' (companies: {', '.join(currencies.index)}) and an "
                "amount of 0 or more"
            )
        for c in companies:
            drop |= np.asarray(
                (spending["company"] == c)
                & (spending["category"] == category)
                & spending["month"].isin(months)
            )
            frames.append(
                pd.DataFrame(
                    {
                        "month": months,
                        "category": category,
                        "amount": float(amount),
                        "company": c,
                        "currency": currencies[c],
                    }
                )
            )
    frames[0] = spending.loc[~drop]
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["company", "month", "category"], kind="stable").reset_index(drop=True)


def add_spending(
    spending: pd.DataFrame,
    additions: Mapping[str, float],
    as_of: str | pd.Timestamp,
    months_after: int = 6,
) -> pd.DataFrame:
    """``spending`` with an amount added to a category in every open month (a what-if: the
    scenarios' ``spending.<category>``).

    ``additions`` maps ``"category"`` (every company that records spending) or
    ``"company/category"`` to a monthly amount in that company's spending currency; a
    negative amount is a cut, and a month's category never goes below 0. Months not on
    record are written out at the run rate first (as :func:`override_spending` does).

    >>> spe = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01"]),
    ...     "category": "salaries", "amount": [100.0, 100.0], "company": "A", "currency": "EUR"})
    >>> out = add_spending(spe, {"A/salaries": 30.0}, "2026-10-31", months_after=2)
    >>> out.groupby("month")["amount"].sum().tolist()
    [100.0, 130.0, 130.0]
    >>> cut = add_spending(spe, {"salaries": -500.0}, "2026-10-31", months_after=2)
    >>> cut.groupby("month")["amount"].sum().tolist()
    [100.0, 0.0, 0.0]
    """
    if not additions:
        return spending
    months = open_months(as_of, months_after)
    currencies = spending.groupby("company")["currency"].agg(lambda c: c.mode().iloc[0])
    spending = _run_rate_rows(spending, months)
    totals = spending.groupby(["company", "category", "month"])["amount"].sum()
    frames = [spending]
    for key, amount in additions.items():
        company, _, category = key.rpartition("/")
        for c in [company] if company else currencies.index.tolist():
            if c not in currencies.index:
                continue  # a company without spending: nothing to add to (checked upstream)
            keys = pd.MultiIndex.from_product([[c], [category], months])
            now = totals.reindex(keys, fill_value=0.0).to_numpy()
            added = np.maximum(float(amount), -now)
            frames.append(
                pd.DataFrame(
                    {
                        "month": months,
                        "category": category,
                        "amount": added,
                        "company": c,
                        "currency": currencies[c],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True).astype({"month": spending["month"].dtype})
    return out.sort_values(["company", "month", "category"], kind="stable").reset_index(drop=True)
