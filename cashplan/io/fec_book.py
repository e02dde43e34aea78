"""FEC lines to book tables: payment terms, classification, lettrage and allocation (pure).

See :mod:`cashplan.io.fec` for the rules; this module applies them with group-wise
pandas operations, never a loop per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cashplan.fast.frames import pair_codes

__all__ = ["FEC_COLUMNS", "FecImport", "Terms", "fec_to_book", "parse_terms"]

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
_BANK = ("512", "511", "53")
_SALES = ("70", "4457")
_OPENING_CODES = ("AN", "RAN", "ANO", "ANX")
_CENT = 0.005


@dataclass(frozen=True)
class Terms:
    """Payment terms: ``days`` after the invoice, then to the end of that month if asked.

    "45 jours fin de mois" is read as invoice date + 45 days, then the end of
    that month (the reading most software applies; the other legal reading,
    end of month then + 45 days, is not used).
    """

    days: int = 30
    end_of_month: bool = False

    def due(self, issue: pd.Series) -> pd.Series:
        """Due dates for a series of issue dates."""
        due = issue + pd.Timedelta(days=self.days)
        if self.end_of_month:
            due = due + pd.offsets.MonthEnd(0)
        return due


def parse_terms(text: str | int) -> Terms:
    """Read payment terms: ``30``, ``"60 jours"``, ``"45 jours fin de mois"``, ``"45 FDM"``,
    ``"30 days end of month"``, ``"45 EOM"``.

    >>> parse_terms("60 jours"), parse_terms(30)
    (Terms(days=60, end_of_month=False), Terms(days=30, end_of_month=False))
    """
    if isinstance(text, int | np.integer):
        return Terms(int(text))
    t = str(text).strip().lower()
    m = re.fullmatch(
        r"(\d{1,3})\s*(?:j|jours?|d|days?)?\s*(fin de mois|fdm|end of month|eom)?(?:\s*le \d+)?", t
    )
    if not m:
        raise ValueError(
            f"payment terms {text!r} not understood: write e.g. 30, '60 jours', "
            "'45 jours fin de mois' or '45 FDM'"
        )
    return Terms(int(m.group(1)), m.group(2) is not None)


@dataclass(frozen=True)
class FecImport:
    """What an import produced: the book tables, the unallocated payments and counts."""

    tables: dict[str, pd.DataFrame]
    unallocated: pd.DataFrame
    stats: dict[str, int | float] = field(default_factory=dict)


_USED = [
    "line",
    "JournalCode",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLet",
    "DateLet",
    "Idevise",
    "signed",
    "foreign",
]


def _classify(lines: pd.DataFrame) -> pd.Series:
    """For every line: 'opening', 'payment', 'sales' or 'other', from its whole entry."""
    entry = pair_codes(lines["JournalCode"], lines["EcritureNum"])
    acc = lines["CompteNum"]
    has_bank = acc.str.startswith(_BANK).groupby(entry).transform("any")
    has_sales = acc.str.startswith(_SALES).groupby(entry).transform("any")
    code = lines["JournalCode"].str.upper()
    opening = (
        code.isin(_OPENING_CODES)
        | lines["JournalLib"].str.contains("nouveau", case=False)
        | lines["EcritureLib"].str.contains("nouveau", case=False)
    )
    return pd.Series(
        np.select(
            [opening, has_bank, has_sales | code.str.startswith("V")],
            ["opening", "payment", "sales"],
            default="other",
        ),
        index=lines.index,
    )


def fec_to_book(
    lines: pd.DataFrame,
    terms: Terms = Terms(),
    customer_terms: pd.Series | None = None,
    company: str = "default",
) -> FecImport:
    """Turn typed FEC lines into book tables (pure).

    Parameters
    ----------
    lines : DataFrame
        As :func:`cashplan.io.fec.read_fec` returns them.
    terms : Terms
        Default payment terms for customers without their own.
    customer_terms : Series of Terms, optional
        Terms by customer id (from a customers file).
    company : str
        The ``company`` of every row written.
    """
    cust = _customer_lines(lines)
    items, credits = _open_amounts(cust)
    unalloc = _unallocated(cust, items, credits)
    items["is_foreign"] = (
        (items["Idevise"] != "") & (items["Idevise"].str.upper() != "EUR") & (items["foreign"] > 0)
    )
    invoices = _invoices(items, terms, customer_terms, company)
    names = cust.drop_duplicates("customer_id").set_index("customer_id")["name"]
    customers = pd.DataFrame(
        {"customer_id": names.index, "company": company, "name": names.to_numpy()}
    )
    customers["payment_terms_days"] = [
        _terms_for(c, terms, customer_terms).days for c in customers["customer_id"]
    ]
    tables = {"invoices": invoices, "customers": customers}
    fx = _fx_rates(items)
    if len(fx):
        tables["fx_rates"] = fx
    stats = _stats(lines, cust, items, invoices, unalloc)
    return FecImport(
        tables, unalloc.sort_values(["customer_id", "date"]).reset_index(drop=True), stats
    )


def _customer_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines on customer accounts (411): who, what kind, whether an item, lettrage group.

    An item is an invoice or a credit note: a sales or opening line, or an unlettered
    debit of another entry. ``group`` numbers (customer, lettrage code), -1 when not
    lettered; ``group_total`` is the group's balance and ``settle_date`` its last
    payment (else its lettrage date, else its last line).
    """
    entry_kind = _classify(lines)
    on_411 = lines["CompteNum"].str.startswith("411").to_numpy()
    cust = lines.loc[on_411, _USED].copy()
    cust["kind"] = entry_kind.loc[cust.index]
    cust["customer_id"] = cust["CompAuxNum"].where(cust["CompAuxNum"] != "", cust["CompteNum"])
    cust["name"] = cust["CompAuxLib"].where(cust["CompAuxLib"] != "", cust["CompteLib"])
    lettered = cust["EcritureLet"] != ""
    cust["item"] = cust["kind"].isin(["sales", "opening"]) | (
        (cust["kind"] == "other") & ~lettered & (cust["signed"] > 0)
    )
    cust["group"] = np.where(lettered, pair_codes(cust["customer_id"], cust["EcritureLet"]), -1)
    cust["date"] = cust["EcritureDate"]
    g = cust.loc[lettered].groupby("group")
    total = g["signed"].transform("sum")
    pay_date = cust["date"].where(cust["kind"] == "payment")
    settle = (
        pay_date.loc[lettered]
        .groupby(cust.loc[lettered, "group"])
        .transform("max")
        .fillna(g["DateLet"].transform("max"))
        .fillna(g["date"].transform("max"))
    )
    cust["group_total"] = total.reindex(cust.index)
    cust["settle_date"] = settle.reindex(cust.index)
    return cust


def _partial(cust: pd.DataFrame) -> pd.Series:
    """The lines of lettrage groups that do not balance (partial lettrage)."""
    lettered = cust["EcritureLet"] != ""
    return lettered & ~(lettered & (cust["group_total"].abs() < _CENT * 2))


def _open_amounts(cust: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The items with their open amount (``open_eur``) and paid date, and each partial
    group's credits.

    A balanced lettrage group settles its items; in a partial one, the group's credits
    (payments, credit notes, adjustments) pay its invoices oldest first.
    """
    item, lettered, partial = cust["item"], cust["EcritureLet"] != "", _partial(cust)
    items = cust.loc[item].copy()
    items["issue_date"] = items["PieceDate"].fillna(items["EcritureDate"])
    items = items.sort_values(["group", "issue_date", "line"], kind="stable")
    credits = (
        -cust.loc[partial & ~(item & (cust["signed"] > 0)), "signed"]
        .groupby(cust.loc[partial, "group"])
        .sum()
    )
    inv_mask = items["group"].isin(credits.index) & (items["signed"] > 0)
    pool = items.loc[inv_mask, "group"].map(credits).astype(float).clip(lower=0.0)
    before = items.loc[inv_mask].groupby("group")["signed"].cumsum() - items.loc[inv_mask, "signed"]
    allocated = (pool - before).clip(lower=0.0).clip(upper=items.loc[inv_mask, "signed"])
    items["open_eur"] = np.where(lettered.loc[items.index], 0.0, items["signed"])
    items.loc[inv_mask, "open_eur"] = items.loc[inv_mask, "signed"] - allocated
    items.loc[items["open_eur"].abs() < _CENT, "open_eur"] = 0.0
    items["paid_date"] = items["settle_date"].where(items["open_eur"] == 0.0)
    return items, credits


def _unallocated(cust: pd.DataFrame, items: pd.DataFrame, credits: pd.Series) -> pd.DataFrame:
    """What cannot be allocated: unlettered credits of payment or other entries, and the
    part of a partial group's credits beyond its invoices."""
    loose = cust.loc[~cust["item"] & (cust["EcritureLet"] == "") & (cust["signed"] < 0)]
    unalloc = pd.DataFrame(
        {
            "customer_id": loose["customer_id"],
            "name": loose["name"],
            "date": loose["date"],
            "amount": -loose["signed"],
            "line": loose["line"],
            "lettrage": "",
            "reason": "not lettered to any invoice",
        }
    )
    inv_mask = items["group"].isin(credits.index) & (items["signed"] > 0)
    inv_total = items.loc[inv_mask].groupby("group")["signed"].sum()
    excess = (credits - inv_total.reindex(credits.index, fill_value=0.0)).loc[lambda s: s > _CENT]
    if len(excess):
        first = cust.loc[_partial(cust) & cust["group"].isin(excess.index)]
        first = first.drop_duplicates("group").set_index("group").loc[excess.index]
        beyond = pd.DataFrame(
            {
                "customer_id": first["customer_id"].to_numpy(),
                "name": first["name"].to_numpy(),
                "date": first["settle_date"].to_numpy(),
                "amount": excess.to_numpy(),
                "line": first["line"].to_numpy(),
                "lettrage": first["EcritureLet"].to_numpy(),
                "reason": "exceeds the invoices of its lettrage group",
            }
        )
        unalloc = pd.concat([unalloc, beyond], ignore_index=True)
    return unalloc


def _stats(
    lines: pd.DataFrame,
    cust: pd.DataFrame,
    items: pd.DataFrame,
    invoices: pd.DataFrame,
    unalloc: pd.DataFrame,
) -> dict[str, int | float]:
    """The import's counts, printed by ``cashplan import-fec``."""
    return {
        "lines": len(lines),
        "customer_lines": len(cust),
        "invoices": int((items["signed"] > 0).sum()),
        "credit_notes": int((items["signed"] < 0).sum()),
        "open_items": int((invoices["paid_date"].isna()).sum()),
        "payments": int((cust["kind"] == "payment").sum()),
        "partial_groups": int(cust.loc[_partial(cust), "group"].nunique()),
        "adjustment_lines": int(((cust["kind"] == "other") & ~cust["item"]).sum()),
        "unallocated": len(unalloc),
        "unallocated_amount": float(unalloc["amount"].sum()),
    }


def _terms_for(customer: str, default: Terms, by_customer: pd.Series | None) -> Terms:
    if by_customer is not None and customer in by_customer.index:
        found: Terms = by_customer.loc[customer]
        return found
    return default


def _invoices(
    items: pd.DataFrame, terms: Terms, customer_terms: pd.Series | None, company: str
) -> pd.DataFrame:
    ref = items["PieceRef"].where(items["PieceRef"] != "", "L" + items["line"].astype(str))
    dup = ref.duplicated(keep=False)
    ref = ref.where(~dup, ref + "-" + items["JournalCode"] + items["EcritureNum"])
    ref = ref.where(~ref.duplicated(keep=False), ref + "-L" + items["line"].astype(str))
    foreign = items["is_foreign"]
    ratio = np.where(
        foreign, items["foreign"] / items["signed"].abs().where(lambda s: s > 0, 1.0), 1.0
    )
    customers = items["customer_id"]
    lookup = {} if customer_terms is None else customer_terms.to_dict()
    term_of = {c: lookup.get(c, terms) for c in customers.unique()}
    distinct = list(dict.fromkeys(term_of.values()))
    code = customers.map({c: distinct.index(t) for c, t in term_of.items()})
    due = pd.Series(pd.NaT, index=items.index, dtype="datetime64[us]")
    for i, t in enumerate(distinct):  # one pass per distinct terms, not per invoice
        rows = code == i
        due[rows] = t.due(items.loc[rows, "issue_date"])
    out = pd.DataFrame(
        {
            "invoice_id": ref,
            "customer_id": customers,
            "company": company,
            "issue_date": items["issue_date"],
            "due_date": due.astype("datetime64[us]"),
            "amount": (items["signed"] * ratio).round(2),
            "currency": np.where(foreign, items["Idevise"].str.upper(), "EUR"),
            "paid_date": items["paid_date"].astype("datetime64[us]"),
            "open_amount": (items["open_eur"] * ratio).round(2),
            "disputed": False,
        }
    )
    return out.sort_values(["issue_date", "invoice_id"], kind="stable").reset_index(drop=True)


def _fx_rates(items: pd.DataFrame) -> pd.DataFrame:
    foreign = items["is_foreign"]
    f = items.loc[foreign]
    if f.empty:
        return pd.DataFrame(columns=["date", "currency", "rate"])
    rates = pd.DataFrame(
        {
            "date": f["issue_date"],
            "currency": f["Idevise"].str.upper(),
            "rate": f["signed"].abs() / f["foreign"],
        }
    )
    rates = rates.groupby(["currency", "date"], as_index=False).agg(rate=("rate", "mean"))
    return rates[["date", "currency", "rate"]]
