"""Write a company's invoices as a FEC (for round-trip tests, benchmarks and demos).

Each invoice is a sales entry (411 debit, 706 and 44571 credits; a credit note
the other way round). Each settled invoice gets a bank entry on its paid date,
lettered with the invoice (``DateLet`` = paid date). A partly paid open invoice
gets a bank entry for the paid part on its issue date, lettered with it
(partial lettrage: the group does not balance).

Examples
--------
>>> inv = pd.DataFrame({"invoice_id": ["F1"], "customer_id": ["C1"],
...     "issue_date": pd.to_datetime(["2026-01-10"]), "due_date": pd.to_datetime(["2026-02-09"]),
...     "amount": [120.0], "paid_date": pd.to_datetime(["2026-02-01"]), "open_amount": [0.0]})
>>> text = book_to_fec(inv)
>>> [line.split("\\t")[4] for line in text.splitlines()[1:]]
['411000', '706000', '445710', '411000', '512000']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.io.fec_book import FEC_COLUMNS

__all__ = ["book_to_fec"]


def _amounts(values: np.ndarray) -> np.ndarray:
    text = np.char.mod("%.2f", np.round(np.abs(values), 2))
    text = np.char.replace(text, ".", ",")
    return np.where(np.abs(values) < 0.005, "0,00", text)


def book_to_fec(invoices: pd.DataFrame, names: pd.Series | None = None, sep: str = "\t") -> str:
    """FEC text (header included) for the given invoices, all in EUR.

    Parameters
    ----------
    invoices : DataFrame
        Typed invoices of one company (``invoice_id``, ``customer_id``, ``issue_date``,
        ``amount``, ``paid_date``, ``open_amount``).
    names : Series, optional
        Customer names by ``customer_id`` (``CompAuxLib``); the id when absent.
    sep : str
        ``"\\t"`` or ``"|"``.
    """
    inv = invoices.reset_index(drop=True)
    n = len(inv)
    num = np.arange(1, n + 1).astype(str)
    label = inv["customer_id"].map(names) if names is not None else inv["customer_id"]
    label = label.fillna(inv["customer_id"])
    settled = inv["paid_date"].notna().to_numpy()
    partial = ~settled & (inv["amount"] - inv["open_amount"]).abs().gt(0.005).to_numpy()
    letter = np.where(settled | partial, np.char.add("L", num), "")
    amount = inv["amount"].to_numpy(dtype=float)
    ht = np.round(amount / 1.2, 2)
    vat = np.round(amount - ht, 2)
    issue = inv["issue_date"].dt.strftime("%Y%m%d").to_numpy()
    paid_on = np.where(settled, inv["paid_date"].dt.strftime("%Y%m%d").fillna("").to_numpy(), issue)
    paid_amount = np.where(settled, amount, amount - inv["open_amount"].to_numpy(dtype=float))
    cust = inv["customer_id"].to_numpy()

    def block(
        journal: str,
        jlib: str,
        entry: np.ndarray,
        date: np.ndarray,
        account: str,
        alib: str,
        aux: np.ndarray | str,
        auxlib: np.ndarray | str,
        signed: np.ndarray,
        let: np.ndarray | str,
        datelet: np.ndarray | str,
        order: int,
        rows: np.ndarray,
    ) -> pd.DataFrame:
        k = int(rows.sum())

        def pick(v: np.ndarray | str) -> np.ndarray:
            return np.full(k, v) if isinstance(v, str) else np.asarray(v)[rows]

        s = signed[rows]
        return pd.DataFrame(
            {
                "JournalCode": journal,
                "JournalLib": jlib,
                "EcritureNum": pick(entry),
                "EcritureDate": pick(date),
                "CompteNum": account,
                "CompteLib": alib,
                "CompAuxNum": pick(aux),
                "CompAuxLib": pick(auxlib),
                "PieceRef": inv["invoice_id"].to_numpy()[rows],
                "PieceDate": issue[rows],
                "EcritureLib": np.char.add(f"{jlib} ", inv["invoice_id"].to_numpy(dtype=str)[rows]),
                "Debit": np.where(s > 0, _amounts(s), "0,00"),
                "Credit": np.where(s < 0, _amounts(s), "0,00"),
                "EcritureLet": pick(let),
                "DateLet": pick(datelet),
                "ValidDate": pick(date),
                "Montantdevise": "",
                "Idevise": "",
                "_order": order,
                "_key": pick(date),
            }
        )

    everything = np.ones(n, dtype=bool)
    paid_rows = settled | partial
    sale = np.char.add("VT", num)
    bank = np.char.add("BQ", num)
    frames = [
        block(
            "VT",
            "Ventes",
            sale,
            issue,
            "411000",
            "Clients",
            cust,
            label.to_numpy(),
            amount,
            letter,
            np.where(paid_rows, paid_on, ""),
            0,
            everything,
        ),
        block(
            "VT", "Ventes", sale, issue, "706000", "Prestations", "", "", -ht, "", "", 1, everything
        ),
        block(
            "VT",
            "Ventes",
            sale,
            issue,
            "445710",
            "TVA collectee",
            "",
            "",
            -vat,
            "",
            "",
            2,
            everything,
        ),
        block(
            "BQ",
            "Banque",
            bank,
            paid_on,
            "411000",
            "Clients",
            cust,
            label.to_numpy(),
            -paid_amount,
            letter,
            paid_on,
            3,
            paid_rows,
        ),
        block(
            "BQ",
            "Banque",
            bank,
            paid_on,
            "512000",
            "Banque",
            "",
            "",
            paid_amount,
            "",
            "",
            4,
            paid_rows,
        ),
    ]
    lines = pd.concat(frames, ignore_index=True)
    lines = lines.sort_values(["_key", "JournalCode", "EcritureNum", "_order"], kind="stable")
    body = lines[list(FEC_COLUMNS)].to_csv(sep=sep, index=False, lineterminator="\n", quoting=3)
    return str(body)
