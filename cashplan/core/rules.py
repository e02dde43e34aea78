"""The business rules a book's tables must follow, per table and across tables.

Called by :func:`cashplan.core.validate.validate_tables` on the typed tables; each
rule reports through a :class:`~cashplan.core.validate.Collector` (every offending
row, with its line) and may fill derived defaults (``open_amount``, ``owner``).

Ids (``company``, ``customer_id``, ``invoice_id``) become parts of file names
(the reminders), spreadsheet cells and CSV lines: :func:`text_rules` refuses an
id with ``/`` or ``\\``, with a control character (tab and line breaks
included) or longer than :data:`ID_LIMIT` bytes in UTF-8, and any text cell
with a control character a spreadsheet cannot hold (tab and line breaks are
kept in free text such as a note).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cashplan.core.fx import implied_base
from cashplan.core.kept import kept
from cashplan.core.parse import DATE_DTYPE, is_empty
from cashplan.core.problems import Collector
from cashplan.core.scenarios import (
    BASE,
    KNOWN_PARAMETERS,
    SCENARIO_PARAMETERS,
    SPENDING_CATEGORIES,
    split_parameters,
)
from cashplan.core.schema import DEFAULT_COMPANY, LEVER_NAMES, TABLES
from cashplan.fast.frames import isin, key_positions

__all__ = ["ID_COLUMNS", "ID_LIMIT", "ROW_RULES", "cross_rules", "rows_named", "text_rules"]

ID_COLUMNS = ("company", "customer_id", "invoice_id")
ID_LIMIT = 100
"""The longest id, in UTF-8 bytes: two ids and a suffix make a reminder's file name,
which most file systems cap at 255 bytes."""
_ID_BAD = r"[\x00-\x1f\x7f/\\]"
_CONTROL = r"[\x00-\x1f\x7f]"
_SHEET_BAD = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # what an .xlsx cell cannot hold


def text_rules(typed: pd.DataFrame, col: Collector) -> None:
    """Refuse ids that cannot be file names or cells, and text a spreadsheet cannot hold.

    One problem per bad cell (the first reason found: a control character, then a
    slash, then the length). Vectorised: the diagnosis runs on the bad cells only.
    """
    for c in TABLES[col.raw.table]:
        if c.kind != "text" or c.name not in typed.columns:
            continue
        s = typed[c.name].astype("str")
        if _plain_text(s, c.name in ID_COLUMNS):
            continue
        if c.name not in ID_COLUMNS:
            col.cells(
                s.str.contains(_SHEET_BAD, regex=True),
                c.name,
                "a control character (an invisible code such as \\x01) in the text",
                "retype the cell: only letters, digits, punctuation, tabs and line breaks",
            )
            continue
        suspect = s.str.contains(_ID_BAD, regex=True) | (s.str.len() > ID_LIMIT // 4)
        if not suspect.any():
            continue
        b = s[suspect]
        size = b.str.encode("utf-8").map(len)  # bytes, on the few long or odd ids only
        control = b.str.contains(_CONTROL, regex=True)
        slash = b.str.contains(r"[/\\]", regex=True)
        long = size > ID_LIMIT
        bad = control | slash | long
        problem = np.select(
            [control, slash],
            [
                "an id with a control character (a tab, a line break or an invisible code)",
                "an id with a '/' or '\\' (ids become parts of file names)",
            ],
            default="an id of " + size.astype(str) + f" bytes (at most {ID_LIMIT})",
        )
        fix = np.select(
            [control, slash],
            [
                "retype the id on one line, without tabs or invisible characters",
                "replace '/' and '\\' in the id, e.g. by '-' (everywhere the id is used)",
            ],
            default=f"shorten the id to at most {ID_LIMIT} bytes in UTF-8: {ID_LIMIT} plain "
            "letters or digits, fewer with accents",
        )
        where = pd.Series(False, index=typed.index)
        where[b.index[bad.to_numpy()]] = True
        col.cells(
            where,
            c.name,
            pd.Series(problem, index=b.index).reindex(typed.index),
            pd.Series(fix, index=b.index).reindex(typed.index),
        )


_ID_BYTES = bytes(range(0x20)) + b"\x7f/\\"  # the bytes _ID_BAD finds
_SHEET_BYTES = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))  # _SHEET_BAD's
_ALL_BUT_ID = bytes(b for b in range(256) if b not in _ID_BYTES)
_ALL_BUT_SHEET = bytes(b for b in range(256) if b not in _SHEET_BYTES)


def _plain_text(s: pd.Series, is_id: bool) -> bool:
    """Whether the text column ``s`` surely holds nothing :func:`text_rules` refuses: none of
    the bytes its patterns find (each an ASCII character, never part of a longer UTF-8
    one), and, for ids, no cell over a quarter of :data:`ID_LIMIT` bytes (so none over as
    many characters). One pass over the column's bytes; False sends it to the checks."""
    cells = pa.array(s, from_pandas=True)
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    if not pa.types.is_large_string(cells.type) and not pa.types.is_string(cells.type):
        return False
    cells = cells.cast(pa.large_string())
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int64)[
        cells.offset : cells.offset + len(cells) + 1
    ]
    if is_id and len(cells) and np.diff(offsets).max() > ID_LIMIT // 4:
        return False
    data = cells.buffers()[2]
    text = b"" if data is None else data.to_pybytes()[offsets[0] : offsets[-1]]
    return not text.translate(None, _ALL_BUT_ID if is_id else _ALL_BUT_SHEET)  # the bad bytes


def _duplicates(typed: pd.DataFrame, col: Collector, keys: list[str], what: str) -> None:
    if _distinct(typed[keys[-1]]):  # each id once in the whole table: none twice in a company
        return
    dup = typed.duplicated(keys, keep=False) & typed[keys].notna().all(axis=1)
    if not dup.any():
        return
    lines = col.raw.lines[dup]
    groups = typed.loc[dup, keys].astype("str").agg("\x1f".join, axis=1)
    listed = lines.groupby(groups).transform(lambda s: ", ".join(map(str, s.tolist())))
    problem = (
        f"{what} '"
        + typed.loc[dup, keys[-1]].astype("str")
        + "' appears more than once"
        + (
            " in company '" + typed.loc[dup, "company"].astype("str") + "'"
            if "company" in keys
            else ""
        )
        + ": lines "
        + listed
    )
    col.cells(
        dup,
        keys[-1],
        problem.reindex(typed.index),
        f"keep one row per {what} (merge or renumber the others)",
    )


def _distinct(values: pd.Series) -> bool:
    """Whether no two values are equal (one hash pass; a missing value counts as a value).

    pandas' hash table: on a million invoice numbers about a third faster than Arrow's
    ``unique``."""
    return bool(pd.Index(values).is_unique)


def _invoice_rules(inv: pd.DataFrame, col: Collector) -> None:
    _duplicates(inv, col, ["company", "invoice_id"], "invoice_id")
    col.cells(
        inv["due_date"] < inv["issue_date"],
        "due_date",
        "due_date is before issue_date",
        "check both dates: due_date is on or after issue_date",
    )
    settled = inv["paid_date"].notna()
    given = inv["open_amount"].notna()
    default = inv["amount"].where(~settled, 0.0)
    inv["open_amount"] = inv["open_amount"].where(given, default)
    amount, open_ = inv["amount"], inv["open_amount"]
    sign_flip = given & (amount >= 0) & (open_ < 0)
    col.cells(
        sign_flip,
        "open_amount",
        "open_amount is negative",
        "open_amount is what is still due, from 0 to amount; record a refund as a credit "
        "note (a row with a negative amount)",
    )
    col.cells(
        given & (amount < 0) & (open_ > 0),
        "open_amount",
        "a credit note with a positive open_amount",
        "on a credit note open_amount is from amount to 0 (negative or 0)",
    )
    col.cells(
        given & ~sign_flip & (open_.abs() > amount.abs() + 0.005),
        "open_amount",
        "open_amount is larger than amount",
        "open_amount cannot exceed the invoice amount",
    )
    still_open = given & settled & (open_.abs() > 0.005)
    col.cells(
        still_open,
        "paid_date",
        "paid_date says settled but open_amount is not 0",
        "leave paid_date empty for a partly paid invoice, or set open_amount to 0",
        value=inv.loc[still_open, "paid_date"].dt.strftime("%Y-%m-%d"),  # the few shown only
    )


def _customer_rules(cus: pd.DataFrame, col: Collector) -> None:
    _duplicates(cus, col, ["company", "customer_id"], "customer_id")
    col.cells(
        cus["payment_terms_days"].fillna(0) < 0,
        "payment_terms_days",
        "negative payment terms",
        "write the terms in days, 0 or more",
    )
    col.cells(
        cus["credit_limit"].fillna(0) < 0,
        "credit_limit",
        "negative credit limit",
        "write the credit limit as a positive amount, or leave it empty",
    )
    cus["owner"] = cus["owner"].where(cus["owner"] != "", "unassigned")


def _promise_rules(pro: pd.DataFrame, col: Collector) -> None:
    col.cells(
        pro["amount"] <= 0,
        "amount",
        "a promise of zero or a negative amount",
        "write the amount the customer promised to pay, above 0",
    )


def _spending_rules(spe: pd.DataFrame, col: Collector) -> None:
    spe["category"] = spe["category"].str.lower()
    col.cells(
        spe["category"].str.contains("/", regex=False),
        "category",
        "a category name holding '/' (it separates a company from a category in settings "
        "and scenarios, e.g. FR01/salaries)",
        "rename the category without '/', e.g. rent-lease",
    )
    day, month, dated = spe["day"].astype(float), spe["month"], spe["date"]
    col.cells(
        day.notna() & ((day < 1) | (day > 31) | (day % 1 != 0)),
        "day",
        "a payment day outside 1-31 (31 = the month's last day)",
        "give a whole day of the month from 1 to 31, or leave it empty for the default",
    )
    col.cells(
        month.notna() == dated.notna(),
        "date",
        "a spending row needs a month or a date (a one-off payment), not both and not neither",
        "give the month of a monthly amount, or the date of a one-off payment",
    )
    # a one-off payment counts in its month's need (never in the run rate: planning.targets)
    spe["month"] = month.fillna(dated.dt.to_period("M").dt.to_timestamp().astype(month.dtype))


def _bank_rules(bank: pd.DataFrame, col: Collector) -> None:
    account = bank["account"].fillna("")
    keys = [bank["company"], account]
    col.cells(
        bank.groupby(keys)["currency"].transform("nunique") > 1,
        "currency",
        "one account with balances in two currencies",
        "give each currency its own account, or correct the currency",
    )
    col.cells(
        bank.groupby([*keys, bank["date"]])["balance"].transform("nunique") > 1,
        "balance",
        "two different balances of one account on one day",
        "keep the end-of-day balance only (or name the accounts apart)",
    )


def _sales_plan_rules(plan: pd.DataFrame, col: Collector) -> None:
    col.cells(
        plan["amount"] < 0,
        "amount",
        "a negative planned invoicing",
        "write the amount the company expects to invoice in the month (incl. VAT), 0 or more",
    )


def _activity_rules(act: pd.DataFrame, col: Collector) -> None:
    act["lever"] = act["lever"].str.strip().str.lower()
    col.cells(
        ~act["lever"].isin(LEVER_NAMES) & (act["lever"] != ""),
        "lever",
        "an unknown lever",
        "use one of the battle plan's levers: " + ", ".join(LEVER_NAMES),
    )


def _fx_rules(fx: pd.DataFrame, col: Collector) -> None:
    col.cells(
        fx["rate"] <= 0,
        "rate",
        "an FX rate of zero or below",
        "write the units of reporting currency for one unit of the currency, above 0",
    )
    _duplicates(fx, col, ["currency", "date"], "FX rate date")


def _adjustment_rules(adj: pd.DataFrame, col: Collector) -> None:
    both = adj["shift_days"].notna() & adj["to_date"].notna()
    neither = adj["shift_days"].isna() & adj["to_date"].isna()
    col.cells(
        both | neither,
        "shift_days",
        "give either shift_days or to_date (exactly one)",
        "fill shift_days (a number of days) or to_date (a date), not both",
    )


def _scenario_rules(sce: pd.DataFrame, col: Collector) -> None:
    raw = col.raw.frame
    given = ~is_empty(raw["company"]) if "company" in raw.columns else pd.Series(False, sce.index)
    sce["company"] = sce["company"].where(given, "")  # empty: every company, never 'default'
    parts = split_parameters(sce["parameter"])
    known = parts["kind"] != ""
    col.cells(
        ~known & (sce["parameter"] != ""),
        "parameter",
        "an unknown scenario parameter (known: " + KNOWN_PARAMETERS + ")",
        "write one of the known parameters (the README lists what each does), "
        "e.g. sales_factor or spending.salaries",
    )
    value = sce["value"]
    for name, p in SCENARIO_PARAMETERS.items():
        rows = parts["kind"] == name
        bad = rows & value.notna() & ((value < p.low) | (value > p.high))
        if p.integer:
            bad |= rows & value.notna() & (value % 1 != 0)
        col.cells(
            bad,
            "value",
            f"{name} must be {p.range_text()}",
            f"write {name} as {p.range_text()} ({p.meaning})",
        )
        col.cells(
            rows & (sce["company"] != "") & (not p.per_company),
            "company",
            f"{name} applies to every company, not one",
            "leave company empty on this row",
        )
    col.cells(
        sce["scenario"].str.strip().str.lower() == BASE,
        "scenario",
        f"'{BASE}' is the name of the analysis without any scenario",
        "give the scenario another name, e.g. 'downturn'",
    )
    _scenario_names(sce, col)
    keys = [sce["scenario"], sce["company"], sce["parameter"].str.strip()]
    twice = pd.concat(keys, axis=1).duplicated(keep=False) & (sce["parameter"] != "")
    # a parameter for every company and again for one: which wins would be a guess
    lever = pd.concat([sce["scenario"], sce["parameter"].str.strip()], axis=1)
    every = (sce["company"] == "").groupby([lever.iloc[:, 0], lever.iloc[:, 1]]).transform("any")
    twice |= every & lever.duplicated(keep=False) & (sce["parameter"] != "")
    col.cells(
        twice,
        "parameter",
        "the parameter is given twice in scenario '"
        + sce["scenario"]
        + "'"
        + _for_company(sce["company"]),
        "keep one row per scenario, parameter and company (rows of a scenario combine)",
    )


def _scenario_names(sce: pd.DataFrame, col: Collector) -> None:
    """A scenario's name is one short line, spelt one way (it is a table row and a legend)."""
    name = sce["scenario"]
    col.cells(
        (name.str.len() > 100) | name.str.contains(r"[\t\n\r]", regex=True),
        "scenario",
        "a scenario name over 100 characters or holding a tab or a line break",
        "give the scenario a short one-line name, e.g. 'downturn'",
    )
    spelt = name.groupby(name.str.strip().str.casefold()).transform("nunique") > 1
    col.cells(
        spelt,
        "scenario",
        "another row spells this scenario's name otherwise (case or spaces)",
        "write the scenario's name the same way on each of its rows",
    )


def _for_company(company: pd.Series) -> pd.Series:
    """`` for company 'X'`` where a row names one, else nothing (message text)."""
    return ("" + " for company '" + company + "'").where(company != "", "")


ROW_RULES: dict[str, Callable[[pd.DataFrame, Collector], None]] = {
    "invoices": _invoice_rules,
    "customers": _customer_rules,
    "promises": _promise_rules,
    "spending": _spending_rules,
    "fx_rates": _fx_rules,
    "adjustments": _adjustment_rules,
    "sales_plan": _sales_plan_rules,
    "bank": _bank_rules,
    "activity": _activity_rules,
    "scenarios": _scenario_rules,
}


def _named(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Which ``ids`` are among ``wanted`` (Arrow's hashing: no compiled loop to load at the
    check before a report)."""
    found = pc.is_in(
        pa.array(ids.astype("str"), type=pa.string()),
        value_set=pa.array(wanted.astype("str").unique(), type=pa.string()),
    )
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


_FEW_NAMES = 64  # names under which ``rows_named`` looks them up in a kept index


def rows_named(table: pd.DataFrame, column: str, names: pd.Series | list[str]) -> np.ndarray:
    """The positions (ascending) of ``table``'s rows whose ``column`` is among ``names``.

    For a few names (an edit's: a promise's invoice, a customer), looked up in an index of
    the column kept beside the table (:func:`~cashplan.core.kept.kept`; built at the first
    ask, a hash of the column): each saved edit no longer reads the whole ledger's column.
    Otherwise Arrow's hashing over the column (no index to build for one check of a book).

    >>> table = pd.DataFrame({"invoice_id": ["F1", "F2", "F1", "F3"]})
    >>> rows_named(table, "invoice_id", ["F1", "F9"]).tolist()
    [0, 2]
    >>> rows_named(table, "invoice_id", [1, None]).tolist()  # only text names text
    []
    >>> rows_named(table, "invoice_id", pd.Series([f"F{i}" for i in range(99)])).tolist()
    [0, 1, 2, 3]
    """
    names = pd.Series(names, dtype=object) if isinstance(names, list) else names
    wanted = [n for n in names.unique() if isinstance(n, str)]  # no other value is text
    if len(wanted) > _FEW_NAMES:
        return np.flatnonzero(_named(table[column], names))
    if not wanted or table.empty:
        return np.empty(0, dtype=np.int64)
    memo = kept(table)
    index = memo.get(("index", column))
    if index is None:
        index = memo["index", column] = pd.Index(table[column].astype("str"))
    at = index.get_indexer_non_unique(pd.Index(wanted, dtype=index.dtype))[0]
    return np.unique(at[at >= 0]).astype(np.int64)


def cross_rules(
    tables: dict[str, pd.DataFrame], cols: Mapping[str, Collector], reporting_currency: str
) -> None:
    inv = tables["invoices"]
    for name in ("promises", "adjustments"):
        tab = tables[name]
        if name not in cols or tab.empty:
            continue
        named = tab.loc[tab["invoice_id"] != "", ["company", "invoice_id", "customer_id"]]
        if named.empty:  # whole accounts only (a saved shift): no invoice to find
            continue
        # only the invoices a promise names: cheap on a ledger of millions; each named
        # invoice's first row among them (by key positions: a merge cost a few ms per save)
        hit = rows_named(inv, "invoice_id", named["invoice_id"])
        candidates = inv[["company", "invoice_id", "customer_id"]].iloc[hit]
        at = key_positions(named, candidates, ["company", "invoice_id"])
        ids = candidates["customer_id"].to_numpy(dtype=object)
        owner = ids[np.maximum(at, 0)] if len(ids) else np.full(len(at), None, dtype=object)
        unknown = pd.Series(at < 0, index=named.index)
        other = (at >= 0) & (owner != named["customer_id"].to_numpy(dtype=object))
        cols[name].cells(
            unknown,
            "invoice_id",
            "no such invoice in the invoices table",
            "use an invoice_id of this company, or leave it empty for the whole account",
        )
        cols[name].cells(
            pd.Series(other, index=named.index),
            "customer_id",
            "the invoice belongs to another customer",
            "check the customer_id against the invoice",
        )
    _activity_company(tables)
    for name in ("sales_plan", "bank", "activity"):
        tab = tables[name]
        if name in cols and not tab.empty:
            cols[name].cells(
                ~tab["company"].isin(inv["company"].unique()),
                "company",
                "no invoice of this company in the invoices table",
                "use a company of the book (as written in invoices.csv), or remove the row",
            )
    _activity_customers(tables, cols)
    if "scenarios" in cols and not tables["scenarios"].empty:
        _scenario_cross(tables, cols["scenarios"])
    _fx_coverage(tables, cols, reporting_currency)


def _activity_company(tables: dict[str, pd.DataFrame]) -> None:
    """An activity without a company (optional) is its customer's, when the customer has
    invoices in one company only (in place); otherwise the company check names the row."""
    act, inv = tables["activity"], tables["invoices"]
    if act.empty:
        return
    companies = inv["company"].unique()
    unknown = (act["company"] == DEFAULT_COMPANY) & ~np.isin(DEFAULT_COMPANY, companies)
    if not unknown.any():
        return
    pairs = inv.loc[isin(inv["customer_id"], act["customer_id"]), ["customer_id", "company"]]
    pairs = pairs.drop_duplicates()
    single = pairs.loc[~pairs["customer_id"].duplicated(keep=False)].set_index("customer_id")
    found = act["customer_id"].map(single["company"])
    act["company"] = act["company"].where(~unknown | found.isna(), found)


def _activity_customers(tables: dict[str, pd.DataFrame], cols: Mapping[str, Collector]) -> None:
    """An activity names a customer of its company (one with an invoice there)."""
    act, inv = tables["activity"], tables["invoices"]
    if "activity" not in cols or act.empty:
        return
    known = act["company"].isin(inv["company"].unique())
    pairs = inv.loc[isin(inv["customer_id"], act["customer_id"]), ["company", "customer_id"]]
    found = act[["company", "customer_id"]].merge(
        pairs.drop_duplicates().assign(_found=True), on=["company", "customer_id"], how="left"
    )
    cols["activity"].cells(
        pd.Series(known.to_numpy() & found["_found"].isna().to_numpy(), index=act.index),
        "customer_id",
        "no invoice of this customer in its company",
        "use a customer_id of the invoices table (and its company), or remove the row",
    )


def _scenario_cross(tables: dict[str, pd.DataFrame], col: Collector) -> None:
    """A scenario's company, customer and spending category must be the book's."""
    sce, inv = tables["scenarios"], tables["invoices"]
    companies = inv["company"].unique()
    col.cells(
        (sce["company"] != "") & ~sce["company"].isin(companies),
        "company",
        "no invoice of this company in the invoices table",
        "use a company of the book (as written in invoices.csv), or leave it empty for all",
    )
    parts = split_parameters(sce["parameter"])
    categories = {*SPENDING_CATEGORIES, *tables["spending"]["category"].unique()}
    col.cells(
        (parts["kind"] == "spending") & ~parts["target"].str.lower().isin(categories),
        "parameter",
        "no such spending category (known: " + ", ".join(sorted(categories)) + ")",
        "write spending.<category> with a category of the book, e.g. spending.salaries",
    )
    spe = tables["spending"]
    own = pd.MultiIndex.from_arrays([spe["company"], spe["category"]])
    category = parts["target"].str.lower()
    mine = pd.MultiIndex.from_arrays([sce["company"], category]).isin(own)
    col.cells(  # a category of another company only: that company's need would grow
        (parts["kind"] == "spending")
        & (sce["company"] != "")
        & category.isin(categories)
        & ~category.isin(SPENDING_CATEGORIES)
        & ~mine,
        "parameter",
        "this company records no spending in this category",
        "use a category of this company's spending, or one of " + ", ".join(SPENDING_CATEGORIES),
    )
    delay = parts["kind"] == "customer_delay"
    if delay.any():  # the pairs of the customers named only: cheap on a ledger of millions
        named = _named(inv["customer_id"], parts["target"][delay])
        pairs = inv.loc[named, ["company", "customer_id"]].drop_duplicates()
        own = pd.MultiIndex.from_frame(pairs)
        scoped = pd.MultiIndex.from_arrays([sce["company"], parts["target"]])
        found = np.where(  # a customer of that company, or of any company
            sce["company"] != "", scoped.isin(own), parts["target"].isin(pairs["customer_id"])
        )
        col.cells(
            delay & ~found,
            "parameter",
            "no invoice of this customer in the invoices table" + _for_company(sce["company"]),
            "write customer_delay:<customer_id> with a customer_id of invoices.csv",
        )


def _fx_coverage(
    tables: dict[str, pd.DataFrame], cols: Mapping[str, Collector], reporting_currency: str
) -> None:
    dated = {
        "invoices": ("issue_date", "paid_date"),
        "spending": ("month",),
        "sales_plan": ("month",),
        "bank": ("date",),
    }
    if not any(name in cols and not tables[name].empty for name in dated):
        return  # no dated table checked (a saved promise or adjustment): nothing to cover
    first_rate = tables["fx_rates"].groupby("currency")["date"].min().astype(DATE_DTYPE)
    # the table's base is inferred from the invoices and spending only: a bank or plan row in
    # a currency without rates is a missing rate, never the base
    used = {c for name in ("invoices", "spending") for c in tables[name]["currency"].unique()}
    base = implied_base(used, tables["fx_rates"], reporting_currency)
    quoted = set(first_rate.index) | {reporting_currency} | ({base} if base else set())
    for name, date_cols in dated.items():
        tab = tables[name]
        if name not in cols or tab.empty:
            continue
        _rates_cover(tab, cols[name], date_cols, first_rate, quoted, [reporting_currency, base])


def _rates_cover(
    tab: pd.DataFrame,
    col: Collector,
    date_cols: tuple[str, ...],
    first_rate: pd.Series,
    quoted: set[str],
    home: list[str | None],
) -> None:
    """A table's rows in a currency other than ``home`` (the reporting currency, then the
    rates' base) need a rate (the first row of each
    currency without one is named) from their earliest date on (the row of each currency
    needing the earliest one is named). The currencies are factorized once: a million
    rows hold a few of them, so each question is asked of the few."""
    codes, currencies = pd.factorize(tab["currency"], use_na_sentinel=False)
    names = pd.Series(currencies)
    foreign = ~names.isin(home).to_numpy()
    if not foreign[codes].any():
        return
    unrated = foreign & ~names.isin(quoted).to_numpy()
    if unrated.any():  # the first row of each (codes number the currencies as they appear)
        cur = tab["currency"].iloc[
            np.searchsorted(np.maximum.accumulate(codes), np.flatnonzero(unrated))
        ]
        col.cells(
            pd.Series(True, index=cur.index),
            "currency",
            "currency '" + cur + "' has no FX rate into " + str(home[0]),
            "add rows for it to fx_rates (date, currency, rate), or correct the code",
        )
    rated = (foreign & ~unrated)[codes]
    days = [tab[c].to_numpy(dtype=DATE_DTYPE) for c in date_cols]
    needed = pd.Series(np.fmin.reduce(days) if len(days) > 1 else days[0], index=tab.index)
    starts = pd.Series(first_rate.reindex(names).to_numpy(dtype=DATE_DTYPE)[codes], index=tab.index)
    early = pd.Series(rated & (needed < starts).to_numpy(), index=tab.index)
    if early.any():
        idx = needed[early].groupby(tab.loc[early, "currency"]).idxmin().to_numpy()
        col.cells(
            pd.Series(True, index=idx),
            date_cols[0],
            "no FX rate for "
            + tab.loc[idx, "currency"]
            + " on "
            + needed.loc[idx].dt.strftime("%Y-%m-%d")
            + " (first rate on "
            + starts.loc[idx].dt.strftime("%Y-%m-%d")
            + ")",
            "add an fx_rates row for that currency dated on or before that day",
        )
