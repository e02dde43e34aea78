"""Import a French FEC (Fichier des Écritures Comptables) into a book.

A FEC is the legal ledger export of every French company (LPF art. L47 A-I):
flat text, tab or ``|`` separated, 18 columns from ``JournalCode`` to
``Idevise``, decimal comma, dates ``AAAAMMJJ``. Customer lines are on accounts
``411*``. This module keeps the two halves apart: :func:`read_fec` reads and
checks the file (reporting every problem with its line), :func:`fec_to_book`
turns the typed lines into book tables (pure).

How lines become the book (decisions stated in the README):

- an entry (``JournalCode`` + ``EcritureNum``) with a bank or cash line (512,
  511, 53) is a payment; one with a sales or VAT-collected line (70, 4457), or
  from a journal coded ``V*``, is an invoice (debit on 411) or a credit note
  (credit on 411); one from an opening journal (``AN``, ``RAN``, "à nouveau")
  carries an open item over; any other entry is an adjustment;
- lettrage links lines: within one customer, the lines sharing an
  ``EcritureLet`` settle each other. A group that balances settles its
  invoices on the date of its last payment (``DateLet`` when it has none); a
  group that does not balance is a partial lettrage: its payments go to its
  oldest invoices first and the rest stays open;
- a payment that is not lettered (or exceeds its group) is *unallocated*: it is
  listed on its own, never netted silently against invoices.

Examples
--------
>>> terms = parse_terms("45 jours fin de mois")
>>> terms
Terms(days=45, end_of_month=True)
>>> terms.due(pd.to_datetime(pd.Series(["2026-01-10"]))).dt.strftime("%Y-%m-%d").tolist()
['2026-02-28']
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cashplan.core.errors import BookError
from cashplan.core.parse import AMOUNT_LIMIT
from cashplan.core.problems import Collector, RawTable
from cashplan.io.book import decode
from cashplan.io.fec_book import FEC_COLUMNS, FecImport, Terms, fec_to_book, parse_terms

__all__ = [
    "FEC_COLUMNS",
    "FecImport",
    "Terms",
    "fec_to_book",
    "import_fec",
    "parse_terms",
    "read_fec",
    "read_terms_file",
]

_NEEDED = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum", "PieceRef", "EcritureLet")
_DATES = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_WHAT_IS_A_FEC = (
    "a FEC is the ledger export of French accounting software: tab- or '|'-separated text whose "
    "header has the 18 columns " + ", ".join(FEC_COLUMNS) + " (Debit/Credit may be Montant/Sens)"
)


def read_fec(path: str | Path) -> pd.DataFrame:
    """Read and check a FEC file; return its lines typed, with their ``line`` number.

    Raises
    ------
    BookError
        Every problem found, each with its line; or one problem saying what a
        FEC is, when the file is not one.
    """
    path = Path(path)
    name = path.name
    data = path.read_bytes()
    data = data[3:] if data[:3] == b"\xef\xbb\xbf" else data
    text, utf8 = decode(data, fallback="iso8859_15", file=name)  # the law's encoding
    header = text.split("\n", 1)[0].rstrip("\r")
    sep = "\t" if "\t" in header else "|" if "|" in header else None
    names = [h.strip() for h in header.split(sep)] if sep else [header]
    canon = {c.lower(): c for c in (*FEC_COLUMNS, "Montant", "Sens")}
    cols = [canon.get(n.lower(), n) for n in names]
    amounts_ok = {"Debit", "Credit"} <= set(cols) or {"Montant", "Sens"} <= set(cols)
    missing = [c for c in _NEEDED if c not in cols]
    if sep is None or missing or not amounts_ok:
        why = (
            "the header is not tab- or '|'-separated"
            if sep is None
            else f"columns missing: {', '.join(missing) or 'Debit/Credit (or Montant/Sens)'}"
        )
        raise BookError.from_rows(
            [
                {
                    "file": name,
                    "line": 1,
                    "column": "",
                    "value": header[:80],
                    "problem": f"not a FEC ({why})",
                    "fix": _WHAT_IS_A_FEC,
                }
            ]
        )
    newline = data.find(b"\n")
    raw_body = data[newline + 1 :] if utf8 and newline >= 0 else None
    frame = _split(text, sep, cols, name, raw_body)
    return _typed_lines(frame, name)


def _split(
    text: str, sep: str, cols: list[str], name: str, raw_body: bytes | None = None
) -> pd.DataFrame:
    """The text cells of every line (stripped), with the line number.

    ``raw_body``: the file's bytes after the header, when they are UTF-8 already.
    """
    body = text.split("\n", 1)[1] if "\n" in text else ""
    blank = re.search(r"\n[ \t\r]*\n[ \t\r]*\S", body)  # a blank line before more lines
    if blank is None:  # the fast Arrow reader (it skips blank lines, which would shift numbers)
        try:
            table = pacsv.read_csv(
                io.BytesIO(raw_body if raw_body is not None else body.encode("utf-8")),
                read_options=pacsv.ReadOptions(column_names=cols),
                parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(cols, pa.string()), strings_can_be_null=False
                ),
            )
            table = pa.table({c: pc.utf8_trim_whitespace(table[c]) for c in cols})
            strings = pd.StringDtype("pyarrow", na_value=np.nan)
            frame = table.to_pandas(types_mapper={pa.string(): strings}.get)
            frame["line"] = np.arange(2, len(frame) + 2)
            return frame
        except pa.ArrowInvalid:
            pass  # a malformed line: the reader below names it
    # the slow path (blank lines, or a malformed line): name every line whose cell count is off
    rows = pd.Series(text.split("\n")).str.rstrip("\r")
    cells = rows.str.count(re.escape(sep)) + 1
    off = (cells != len(cols)) & (rows.str.strip() != "")
    off.iloc[0] = False
    if off.any():
        raise BookError.from_rows(
            [
                {
                    "file": name,
                    "line": i + 1,
                    "column": "",
                    "value": rows.iloc[i][:60],
                    "problem": f"a line with the wrong number of cells ({cells.iloc[i]})",
                    "fix": f"every line has as many '{sep}'-separated cells as the header "
                    f"({len(cols)})",
                }
                for i in np.flatnonzero(off.to_numpy())
            ]
        )
    frame = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        quoting=3,
        header=0,
        names=cols,
        skip_blank_lines=False,
    )
    frame = frame.apply(lambda s: s.str.strip())
    frame["line"] = np.arange(2, len(frame) + 2)
    return frame.loc[(frame.drop(columns="line") != "").any(axis=1)]


def _typed_lines(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    collector = Collector(RawTable("fec", name, frame, frame["line"]))
    report = collector.cells

    out = pd.DataFrame({"line": frame["line"]})
    for c in (
        "JournalCode",
        "JournalLib",
        "EcritureNum",
        "CompteNum",
        "CompteLib",
        "CompAuxNum",
        "CompAuxLib",
        "PieceRef",
        "EcritureLib",
        "EcritureLet",
        "Idevise",
    ):
        out[c] = frame[c] if c in frame.columns else ""
    for c in _DATES:
        raw = frame[c] if c in frame.columns else pd.Series("", index=frame.index)
        parsed = pd.to_datetime(
            raw.where(raw.str.fullmatch(r"\d{8}")), format="%Y%m%d", errors="coerce"
        )
        if c in frame.columns:
            bad = (raw != "") & parsed.isna()
            report(bad, c, "not a FEC date", "write dates as AAAAMMJJ, e.g. 20261031")
            if c == "EcritureDate":
                report(raw == "", c, "EcritureDate is empty", "every line needs its entry date")
        out[c] = parsed.astype("datetime64[us]")

    def number(c: str) -> pd.Series:
        raw = frame[c] if c in frame.columns else pd.Series("", index=frame.index)
        ok = raw.str.fullmatch(r"[+-]?\d+(?:[.,]\d+)?") | (raw == "")
        report(
            ~ok,
            c,
            "not an amount",
            "write amounts with a decimal comma, no thousands separator: 1234,56",
        )
        text = pa.array(raw.where(ok & (raw != ""), "0"), type=pa.string())
        values = pc.cast(pc.replace_substring(text, ",", "."), pa.float64())
        out = pd.Series(values.to_numpy(zero_copy_only=False), index=raw.index)
        report(
            out.abs() >= AMOUNT_LIMIT,
            c,
            f"an amount of {AMOUNT_LIMIT:,} or more: beyond it cents are not kept exactly",
            f"check the cell: amounts stay below {AMOUNT_LIMIT:,}",
        )
        return out.where(out.abs() < AMOUNT_LIMIT, 0.0)

    if "Debit" in frame.columns:
        out["signed"] = number("Debit") - number("Credit")
    else:
        sens = frame["Sens"].str.upper()
        valid = sens.isin(["D", "C", "+1", "-1", "1"])
        report(~valid, "Sens", "Sens is neither D nor C", "write D (debit) or C (credit)")
        out["signed"] = number("Montant").abs() * np.where(sens.isin(["C", "-1"]), -1.0, 1.0)
    out["foreign"] = number("Montantdevise").abs() if "Montantdevise" in frame.columns else 0.0
    report(
        frame["CompteNum"] == "",
        "CompteNum",
        "CompteNum is empty",
        "every line needs its account number",
    )
    if collector.parts:
        raise BookError(pd.concat(collector.parts, ignore_index=True))
    return out.reset_index(drop=True)


def read_terms_file(path: str | Path) -> pd.Series:
    """Payment terms by customer from a CSV (``customer_id`` and ``payment_terms`` or
    ``payment_terms_days``), every bad row reported with its line."""
    path = Path(path)
    raw = path.read_bytes()
    text, _ = decode(raw, fallback="iso8859_15", file=path.name)
    frame = pd.read_csv(
        io.StringIO(text), sep=None, engine="python", dtype=str, keep_default_na=False
    )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    column = next((c for c in ("payment_terms", "payment_terms_days") if c in frame.columns), None)
    if "customer_id" not in frame.columns or column is None:
        raise BookError.from_rows(
            [
                {
                    "file": path.name,
                    "line": 1,
                    "column": "",
                    "value": ", ".join(frame.columns),
                    "problem": "a customers file needs customer_id and payment_terms (or "
                    "payment_terms_days)",
                    "fix": "add those columns (other columns are ignored)",
                }
            ]
        )
    terms, rows = {}, []
    for i, (cid, value) in enumerate(zip(frame["customer_id"], frame[column], strict=True)):
        if not value.strip():
            continue  # no terms of its own: the default applies
        try:  # a few thousand customers at most: a loop reads clearest here
            terms[cid.strip()] = parse_terms(value)
        except ValueError as exc:
            rows.append(
                {
                    "file": path.name,
                    "line": i + 2,
                    "column": column,
                    "value": value,
                    "problem": "payment terms not understood",
                    "fix": str(exc),
                }
            )
    if rows:
        raise BookError.from_rows(rows)
    return pd.Series(terms, dtype=object)


def import_fec(
    fec_file: str | Path,
    out: str | Path,
    terms: str | int = 30,
    customers: str | Path | None = None,
    company: str | None = None,
) -> str:
    """Read a FEC, check the book it makes, then write the book folder; return a summary.

    Everything is read and checked before anything is written: a FEC with a
    problem writes nothing.
    """
    from cashplan.io.book import Book
    from cashplan.io.export import write_book, write_csv

    fec_file, out = Path(fec_file), Path(out)
    default = parse_terms(terms)
    by_customer = read_terms_file(customers) if customers is not None else None
    siren = re.match(r"(\d{9})FEC(\d{8})", fec_file.name)
    company = company or (siren.group(1) if siren else "default")
    result = fec_to_book(read_fec(fec_file), default, by_customer, company)
    Book.from_tables(result.tables)  # the book we write must read back
    write_book(result.tables, out)
    s = result.stats
    lines = [
        f"read {s['lines']:,} FEC lines, {s['customer_lines']:,} on customer accounts (411)",
        f"wrote {s['invoices']:,} invoices and {s['credit_notes']:,} credit notes "
        f"({s['open_items']:,} open) of {len(result.tables['customers']):,} customers "
        f"to {out}, company {company!r}",
        f"lettrage: {s['payments']:,} payment lines, {s['partial_groups']:,} partial groups, "
        f"{s['adjustment_lines']:,} adjustment lines",
    ]
    if len(result.unallocated):
        write_csv(result.unallocated, out / "unallocated_payments.csv")
        lines.append(
            f"UNALLOCATED: {s['unallocated']:,} payments for {s['unallocated_amount']:,.2f} "
            f"are not matched to any invoice; listed in {out / 'unallocated_payments.csv'} "
            "(not netted against the invoices)"
        )
    return "\n".join(lines) + "\n"
