"""A deterministic generator of realistic books: the bundled sample and benchmark books.

Two companies, ``FR01`` (EUR) and ``UK01`` (GBP, with monthly FX rates), about
250 customers with distinct payment behaviours, three years of invoices up to
the as-of date, historical and open promises, and monthly spending in the four
categories, for a mid-size company (about EUR 40M of yearly revenue). The same
seed always gives the same book; ``n_invoices`` scales it up for benchmarks.

Profiles: ``punctual`` (pays around the due date), ``late`` (chronically
late), ``erratic`` (sometimes on time, sometimes very late), ``deteriorating``
(later and later over the years), ``payment_run`` (pays on a fixed day of the
month after the due date) and ``disputer`` (punctual, but some invoices are
disputed and drag on).

Examples
--------
>>> tables = make_book(n_invoices=2_000, n_customers=40, seed=1)
>>> sorted(tables)
['customers', 'fx_rates', 'invoices', 'promises', 'scenarios', 'spending']
>>> len(tables["invoices"])
2000
>>> tables["invoices"]["company"].unique().tolist()
['FR01', 'UK01']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PROFILES", "SAMPLE_AS_OF", "make_book", "make_small_book"]

SAMPLE_AS_OF = "2026-10-31"
PROFILES = ("punctual", "late", "erratic", "deteriorating", "payment_run", "disputer")
_PROFILE_P = (0.34, 0.18, 0.14, 0.10, 0.16, 0.08)
_COMPANIES = {  # company: (currency, share of customers, share of revenue, owners)
    "FR01": ("EUR", 0.7, 0.78, ("Claire Martin", "Hugo Bernard", "Léa Petit", "Karim Haddad")),
    "UK01": ("GBP", 0.3, 0.22, ("Oliver Smith", "Amelia Jones")),
}
_NAME_A = (
    "Durand",
    "Lefèvre",
    "Moreau",
    "Garnier",
    "Roux",
    "Fontaine",
    "Chevalier",
    "Blanc",
    "Girard",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "Faure",
    "Rousseau",
    "Vincent",
    "Hale",
    "Wright",
    "Carter",
    "Hughes",
    "Baker",
    "Turner",
    "Walsh",
    "Palmer",
)
_NAME_B = (
    "Industrie",
    "Logistique",
    "Distribution",
    "Services",
    "Bâtiment",
    "Santé",
    "Energie",
    "Retail",
    "Engineering",
    "Foods",
    "Systems",
    "Textiles",
    "Auto",
    "Pharma",
)
_FORMS = {"FR01": ("SA", "SAS", "SARL"), "UK01": ("Ltd", "plc", "LLP")}


def make_book(
    as_of: str = SAMPLE_AS_OF,
    seed: int = 7,
    n_customers: int = 250,
    n_invoices: int = 30_000,
    years: int = 3,
    revenue_eur: float = 40e6,
) -> dict[str, pd.DataFrame]:
    """Generate a book as typed tables (write them with :func:`cashplan.io.export.write_book`).

    Parameters
    ----------
    as_of : str
        The last day of the book: invoices are issued up to it, and payments
        after it are unknown (those invoices are open).
    seed : int
        Random seed; the same seed gives the same book.
    n_customers, n_invoices : int
        Size of the book (over both companies).
    years : int
        Years of history.
    revenue_eur : float
        Yearly revenue incl. VAT of the group, in EUR.
    """
    rng = np.random.default_rng(seed)
    day = pd.Timestamp(as_of)
    start = day - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    fx = _fx_rates(rng, start, day)
    customers = _customers(rng, n_customers)
    invoices = _invoices(rng, customers, n_invoices, start, day, revenue_eur * years, fx)
    promises = _promises(rng, invoices, day)
    spending = _spending(rng, invoices, start, day, years)
    return {
        "invoices": invoices,
        "customers": customers.drop(columns=["profile", "weight", "run_day"]),
        "promises": promises,
        "spending": spending,
        "fx_rates": fx,
        "scenarios": _scenarios(invoices),
    }


def _scenarios(inv: pd.DataFrame) -> pd.DataFrame:
    """Three what-ifs: a downturn, a hire, and FR01's largest open account paying late."""
    fr = inv.loc[(inv["company"] == "FR01") & inv["paid_date"].isna()]
    biggest = fr.groupby("customer_id")["open_amount"].sum().sort_values(kind="stable").index[-1]
    return pd.DataFrame(
        {
            "scenario": ["downturn", "downturn", "hire", "big client late"],
            "parameter": [
                "sales_factor",
                "delay_shift_days",
                "spending.salaries",
                f"customer_delay:{biggest}",
            ],
            "value": [0.8, 15, 30000, 30],
            "company": ["", "", "FR01", "FR01"],
            "note": [
                "sales 20 % down",
                "every customer 15 days later",
                "two engineers from November",
                "our largest open account pays a month late",
            ],
        }
    )


def _fx_rates(rng: np.random.Generator, start: pd.Timestamp, day: pd.Timestamp) -> pd.DataFrame:
    months = pd.date_range(
        start.to_period("M").to_timestamp() - pd.DateOffset(months=1), day, freq="MS"
    )
    walk = 1.16 * np.exp(np.cumsum(rng.normal(0.0, 0.012, len(months))))
    return pd.DataFrame(
        {"date": months.astype("datetime64[us]"), "currency": "GBP", "rate": walk.round(4)}
    )


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    names = list(_COMPANIES)
    company = rng.choice(names, size=n, p=[_COMPANIES[c][1] for c in names])
    company = np.sort(company)  # FR01 first, then UK01: stable ids
    profile = rng.choice(PROFILES, size=n, p=_PROFILE_P)
    segment = rng.choice(["key_account", "sme", "public"], size=n, p=[0.1, 0.75, 0.15])
    weight = rng.lognormal(0.0, 1.0, n) * np.where(segment == "key_account", 6.0, 1.0)
    terms = np.where(company == "UK01", 30, rng.choice([30, 45, 60], size=n, p=[0.5, 0.3, 0.2]))
    ids, owners, names_out = [], [], []
    counter: dict[str, int] = {}
    for i in range(n):  # a few hundred customers: a loop is clearer than tricks here
        c = company[i]
        counter[c] = counter.get(c, 0) + 1
        ids.append(f"{c[:2]}-C{counter[c]:04d}")
        pool = _COMPANIES[c][3]
        owners.append(pool[i % len(pool)])
        names_out.append(
            f"{_NAME_A[rng.integers(len(_NAME_A))]} "
            f"{_NAME_B[rng.integers(len(_NAME_B))]} "
            f"{_FORMS[c][rng.integers(3)]}"
        )
    limit = (np.round(weight * 20_000, -3) + 5_000).astype(float)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "company": company,
            "name": names_out,
            "owner": owners,
            "segment": segment,
            "credit_limit": limit,
            "payment_terms_days": terms.astype("int64"),
            "contact": [f"ap{i:04d}@example.com" for i in range(n)],
            "profile": profile,
            "weight": weight,
            "run_day": rng.choice([10, 25], size=n),
        }
    )


def _invoices(
    rng: np.random.Generator,
    cus: pd.DataFrame,
    n: int,
    start: pd.Timestamp,
    day: pd.Timestamp,
    revenue_eur: float,
    fx: pd.DataFrame,
) -> pd.DataFrame:
    share = cus["company"].map({c: v[2] for c, v in _COMPANIES.items()}).to_numpy()
    weight = cus["weight"].to_numpy()
    in_company = weight / cus.groupby("company")["weight"].transform("sum").to_numpy()
    p_count = np.sqrt(weight) / np.sqrt(weight).sum()
    counts = rng.multinomial(n, p_count)
    who = np.repeat(np.arange(len(cus)), counts)
    span = (day - start).days + 1
    growth = rng.random(n) ** 0.9  # slightly more invoices recently (a growing company)
    issue = pd.DatetimeIndex(
        start + pd.to_timedelta(np.floor(growth * span), unit="D"), dtype="datetime64[us]"
    )
    # amounts: each customer's revenue share / its invoice count, jittered
    revenue_rc = revenue_eur * share[who] * in_company[who] / np.maximum(counts[who], 1)
    gbp = cus["company"].to_numpy()[who] == "UK01"
    rate = fx["rate"].to_numpy()[-1]
    amount = revenue_rc * rng.lognormal(-0.125, 0.5, n) / np.where(gbp, rate, 1.0)
    credit_note = rng.random(n) < 0.02
    amount = np.where(credit_note, -0.3 * amount, amount).round(2)
    terms = cus["payment_terms_days"].to_numpy()[who]
    due = issue + pd.to_timedelta(terms, unit="D")
    delay, disputed = _delays(rng, cus, who, issue, start, day)
    paid = due + pd.to_timedelta(np.round(delay), unit="D")
    paid = paid.where(paid >= issue, issue)
    run_day = cus["run_day"].to_numpy()[who]
    on_run = cus["profile"].to_numpy()[who] == "payment_run"
    paid = pd.DatetimeIndex(np.where(on_run, _next_run_day(paid, run_day), paid))
    paid = pd.DatetimeIndex(np.where(credit_note, issue + pd.Timedelta(days=20), paid))
    is_open = paid > day
    partial = is_open & (rng.random(n) < 0.06) & ~credit_note
    open_amount = np.where(partial, (amount * rng.uniform(0.3, 0.8, n)).round(2), amount)
    prefix = cus["company"].str.slice(0, 2).to_numpy()[who]
    frame = pd.DataFrame(
        {
            "company": cus["company"].to_numpy()[who],
            "customer_id": cus["customer_id"].to_numpy()[who],
            "issue_date": issue,
            "due_date": pd.DatetimeIndex(due).astype("datetime64[us]"),
            "amount": amount,
            "currency": np.where(gbp, "GBP", "EUR"),
            "paid_date": pd.DatetimeIndex(paid).astype("datetime64[us]").where(~is_open),
            "open_amount": np.where(is_open, open_amount, 0.0),
            "disputed": disputed & is_open,
            "prefix": prefix,
        }
    ).sort_values(["company", "issue_date", "customer_id"], kind="stable")
    seq = frame.groupby("company").cumcount() + 1
    frame.insert(
        0,
        "invoice_id",
        frame["prefix"]
        + "-"
        + frame["issue_date"].dt.strftime("%Y")
        + "-"
        + seq.map("{:07d}".format),
    )
    return frame.drop(columns="prefix").reset_index(drop=True)[
        [
            "invoice_id",
            "customer_id",
            "company",
            "issue_date",
            "due_date",
            "amount",
            "currency",
            "paid_date",
            "open_amount",
            "disputed",
        ]
    ]


def _delays(
    rng: np.random.Generator,
    cus: pd.DataFrame,
    who: np.ndarray,
    issue: pd.DatetimeIndex,
    start: pd.Timestamp,
    day: pd.Timestamp,
) -> tuple[np.ndarray, np.ndarray]:
    """Days paid after the due date, by profile, and the disputed flag."""
    n = len(who)
    profile = cus["profile"].to_numpy()[who]
    t = np.asarray((issue - start).days / max((day - start).days, 1))
    public = cus["segment"].to_numpy()[who] == "public"
    delay = rng.normal(-1.0, 3.0, n).clip(-10, 10)  # punctual and payment_run
    late = rng.gamma(3.0, 10.0, n) + 5.0
    erratic = np.where(rng.random(n) < 0.5, rng.normal(0.0, 5.0, n), rng.exponential(45.0, n))
    worse = rng.normal(2.0 + 55.0 * t**2, 5.0 + 10.0 * t)
    dispute = (profile == "disputer") & (rng.random(n) < 0.15)
    delay = np.select(
        [profile == "late", profile == "erratic", profile == "deteriorating"],
        [late, erratic, worse],
        default=delay,
    )
    delay = np.where(dispute, rng.uniform(90.0, 240.0, n), delay)
    bad_debt = (profile == "late") & (rng.random(n) < 0.01)
    delay = np.where(bad_debt, rng.uniform(200.0, 700.0, n), delay)
    return delay + np.where(public, 12.0, 0.0), dispute


def _next_run_day(dates: pd.DatetimeIndex, run_day: np.ndarray) -> np.ndarray:
    """The first date on or after each date that falls on its day of the month ``run_day``."""
    month = dates.to_period("M").to_timestamp()
    this = month + pd.to_timedelta(run_day - 1, unit="D")
    following = month + pd.DateOffset(months=1) + pd.to_timedelta(run_day - 1, unit="D")
    return np.where(dates <= this, this, following)


def _promise_frame(
    rows: pd.DataFrame,
    promised: pd.Series | pd.DatetimeIndex,
    amount: pd.Series,
    recorded: pd.Series | pd.DatetimeIndex,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company": rows["company"],
            "customer_id": rows["customer_id"],
            "invoice_id": rows["invoice_id"],
            "promised_date": promised,
            "amount": amount,
            "recorded_on": recorded,
        }
    )


def _promises(rng: np.random.Generator, inv: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    # history: promises obtained 10 days after the due date on a share of late invoices
    was_late = inv["paid_date"].notna() & ((inv["paid_date"] - inv["due_date"]).dt.days > 15)
    past = inv.loc[was_late & (rng.random(len(inv)) < 0.25)]
    recorded = past["due_date"] + pd.Timedelta(days=10)
    past = past.loc[recorded <= day]
    recorded = recorded.loc[past.index]
    hist = _promise_frame(
        past,
        recorded + pd.to_timedelta(rng.integers(5, 21, len(past)), unit="D"),
        past["amount"],
        recorded,
    )
    # open: promises obtained in the last ten days on overdue open invoices
    overdue = inv.loc[
        inv["paid_date"].isna() & (inv["due_date"] < day) & ~inv["disputed"] & (inv["amount"] > 0)
    ]
    chosen = overdue.iloc[rng.permutation(len(overdue))[:15]] if len(overdue) else overdue
    live = _promise_frame(
        chosen,
        day + pd.to_timedelta(rng.integers(3, 36, len(chosen)), unit="D"),
        chosen["open_amount"],
        day - pd.to_timedelta(rng.integers(0, 10, len(chosen)), unit="D"),
    )
    out = pd.concat([hist, live], ignore_index=True)
    if len(chosen):  # one promise on a whole account, applied to its oldest open invoices
        first = chosen.iloc[0]
        account = overdue.loc[overdue["customer_id"] == first["customer_id"], "open_amount"].sum()
        out.loc[len(out)] = {
            "company": first["company"],
            "customer_id": first["customer_id"],
            "invoice_id": "",
            "promised_date": day + pd.Timedelta(days=21),
            "amount": round(float(account) * 0.5, 2),
            "recorded_on": day,
        }
    out["recorded_by"] = "collector"
    out["note"] = ""
    out = out.sort_values(["company", "recorded_on", "customer_id", "invoice_id"], kind="stable")
    for col in ("promised_date", "recorded_on"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out.reset_index(drop=True)[
        [
            "company",
            "customer_id",
            "invoice_id",
            "promised_date",
            "amount",
            "recorded_on",
            "recorded_by",
            "note",
        ]
    ]


def _spending(
    rng: np.random.Generator, inv: pd.DataFrame, start: pd.Timestamp, day: pd.Timestamp, years: int
) -> pd.DataFrame:
    months = pd.date_range(
        start.to_period("M").to_timestamp(),
        day.to_period("M").to_timestamp() + pd.DateOffset(months=2),
        freq="MS",
    )
    shares = {"salaries": 0.45, "external": 0.30, "taxes": 0.17, "loans": 0.08}
    rows = []
    for company, g in inv.groupby("company", sort=True):
        monthly = g.loc[g["issue_date"] > day - pd.Timedelta(days=365), "amount"].sum() / 12 * 0.93
        currency = g["currency"].iloc[0]
        for cat, share in shares.items():
            base = monthly * share
            season = np.ones(len(months))
            if cat == "salaries" and company == "FR01":
                season = np.where(months.month == 12, 1.5, 1.0)  # 13th-month salary
            if cat == "external":
                season = np.where(months.month == 8, 0.7, 1.0)
            if cat == "taxes":
                season = np.where(months.month.isin([3, 6, 9, 12]), 1.6, 0.8)
            noise = rng.normal(1.0, 0.03 if cat != "loans" else 0.0, len(months))
            rows.append(
                pd.DataFrame(
                    {
                        "month": months.astype("datetime64[us]"),
                        "category": cat,
                        "amount": (base * season * noise).round(2),
                        "company": company,
                        "currency": currency,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def make_small_book(
    as_of: str = SAMPLE_AS_OF,
    seed: int = 3,
    n_customers: int = 100,
    invoices_per_customer: float = 25.0,
    years: int = 2,
) -> dict[str, pd.DataFrame]:
    """A small single-company book shaped like a real small company's, held out from the sample.

    About 100 customers with about 25 invoices each over two years, one company
    (``SM01``, EUR), 30-day terms. Unlike :func:`make_book` it has no profiles:
    each customer has its own mean delay (most pay within a few days of the due
    date, a tail pays weeks late) and its own spread, payments fall on any day
    (no payment runs), and disputes are common (a customer-specific share, about
    a fifth of invoices) and paid on average about two weeks later than the rest,
    mostly within the 13 weeks. The ``disputed`` flag stays on settled invoices (the
    history a forecast can learn from). Few promises; spending in the four
    categories, so the targets work.

    Examples
    --------
    >>> tables = make_small_book()
    >>> sorted(tables)
    ['customers', 'fx_rates', 'invoices', 'promises', 'spending']
    >>> inv = tables["invoices"]
    >>> inv["customer_id"].nunique(), 2_000 < len(inv) < 3_000
    (100, True)
    >>> bool(inv.loc[inv["paid_date"].notna(), "disputed"].any())
    True
    """
    rng = np.random.default_rng(seed)
    day = pd.Timestamp(as_of)
    start = day - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    ids = [f"SM-C{i:03d}" for i in range(1, n_customers + 1)]
    # each customer: a mean delay (days after due), a spread, a dispute propensity, a size
    mean_late = np.where(
        rng.random(n_customers) < 0.7,
        rng.normal(0.0, 3.0, n_customers),
        rng.gamma(2.0, 9.0, n_customers),
    )
    spread = rng.uniform(2.0, 9.0, n_customers)
    dispute_p = rng.beta(1.4, 3.6, n_customers)
    size = rng.lognormal(8.0, 0.9, n_customers)
    counts = rng.poisson(invoices_per_customer * rng.gamma(4.0, 0.25, n_customers)).clip(3)
    who = np.repeat(np.arange(n_customers), counts)
    n = len(who)
    span = (day - start).days + 1
    issue = start + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    due = issue + pd.Timedelta(days=30)
    disputed = rng.random(n) < dispute_p[who]
    late = mean_late[who] + spread[who] * rng.standard_t(4, n)
    late = np.where(disputed, late + rng.gamma(2.0, 7.0, n), late)
    paid = due + pd.to_timedelta(np.round(late), unit="D")
    paid = paid.where(paid > issue, issue + pd.Timedelta(days=1))
    amount = (size[who] * rng.lognormal(-0.18, 0.6, n)).round(2)
    is_open = paid > day
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(ids)[who],
            "company": "SM01",
            "issue_date": pd.DatetimeIndex(issue).astype("datetime64[us]"),
            "due_date": pd.DatetimeIndex(due).astype("datetime64[us]"),
            "amount": amount,
            "currency": "EUR",
            "paid_date": pd.DatetimeIndex(paid).astype("datetime64[us]").where(~is_open),
            "open_amount": np.where(is_open, amount, 0.0),
            "disputed": disputed,
        }
    ).sort_values(["issue_date", "customer_id"], kind="stable")
    frame.insert(0, "invoice_id", [f"SM-{i:06d}" for i in range(1, n + 1)])
    invoices = frame.reset_index(drop=True)
    customers = _small_customers(ids, size)
    return {
        "invoices": invoices,
        "customers": customers,
        "promises": _small_promises(rng, invoices, day),
        "spending": _spending(rng, invoices, start, day, years),
        "fx_rates": pd.DataFrame(
            {
                "date": pd.Series([], dtype="datetime64[us]"),
                "currency": pd.Series([], dtype=object),
                "rate": pd.Series([], dtype=float),
            }
        ),
    }


def _small_customers(ids: list[str], size: np.ndarray) -> pd.DataFrame:
    """The small book's customers table (one owner, SMEs on 30-day terms)."""
    n_customers = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "company": "SM01",
            "name": [
                f"{_NAME_A[i % len(_NAME_A)]} {_NAME_B[i % len(_NAME_B)]} SARL"
                for i in range(n_customers)
            ],
            "owner": "Claire Martin",
            "segment": "sme",
            "credit_limit": (np.round(size * 4, -3) + 5_000).astype(float),
            "payment_terms_days": np.full(n_customers, 30, dtype="int64"),
            "contact": [f"ap{i:03d}@example.com" for i in range(n_customers)],
        }
    )


def _small_promises(rng: np.random.Generator, inv: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """A few promises: on one late invoice in twenty, 10 days after the due date; about
    two in three kept (paid within 5 days of the promised date)."""
    late = inv["paid_date"].notna() & ((inv["paid_date"] - inv["due_date"]).dt.days > 15)
    past = inv.loc[late & (rng.random(len(inv)) < 0.05)]
    recorded = past["due_date"] + pd.Timedelta(days=10)
    kept = rng.random(len(past)) < 0.65
    promised = past["paid_date"].where(kept, past["paid_date"] - pd.Timedelta(days=12))
    promised = promised.where(promised > recorded, recorded + pd.Timedelta(days=3))
    hist = _promise_frame(past, promised, past["amount"], recorded)
    hist = hist.loc[hist["recorded_on"] <= day]
    overdue = inv.loc[inv["paid_date"].isna() & (inv["due_date"] < day) & ~inv["disputed"]]
    chosen = overdue.iloc[rng.permutation(len(overdue))[:3]]
    live = _promise_frame(
        chosen,
        day + pd.to_timedelta(rng.integers(3, 20, len(chosen)), unit="D"),
        chosen["open_amount"],
        day - pd.to_timedelta(rng.integers(0, 5, len(chosen)), unit="D"),
    )
    out = pd.concat([hist, live], ignore_index=True)
    out["recorded_by"] = "collector"
    out["note"] = ""
    for col in ("promised_date", "recorded_on"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out.sort_values(["recorded_on", "customer_id"], kind="stable").reset_index(drop=True)
