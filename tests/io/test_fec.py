"""FEC import: lettrage cases, credit notes, Montant+Sens, encodings, terms, malformed files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cashplan import BookError, read_book
from cashplan.app.cli import main
from cashplan.io.fec import Terms, fec_to_book, parse_terms, read_fec
from cashplan.io.fec_book import FEC_COLUMNS
from tests.conftest import SAMPLE
from tests.fec_writer import book_to_fec

HEAD = "\t".join(FEC_COLUMNS)


def line(
    j,
    num,
    date,
    account,
    aux,
    ref,
    debit,
    credit,
    let="",
    datelet="",
    name="Durand SA",
    dev="",
    cur="",
):
    jlib = {"VT": "Ventes", "BQ": "Banque", "AN": "A nouveaux", "OD": "Divers"}[j]
    return "\t".join(
        [
            j,
            jlib,
            num,
            date,
            account,
            "x",
            aux,
            name if aux else "",
            ref,
            date,
            "lib",
            debit,
            credit,
            let,
            datelet,
            date,
            dev,
            cur,
        ]
    )


def sale(num, date, aux, ref, amount, let="", datelet="", credit_note=False):
    """A sales entry: 411 and 706 (VAT left out for brevity)."""
    a = f"{amount:.2f}".replace(".", ",")
    d, c = (a, "0,00") if not credit_note else ("0,00", a)
    return [
        line("VT", num, date, "411000", aux, ref, d, c, let, datelet),
        line("VT", num, date, "706000", "", ref, c, d),
    ]


def pay(num, date, aux, amount, let="", datelet=""):
    a = f"{amount:.2f}".replace(".", ",")
    return [
        line("BQ", num, date, "411000", aux, f"VIR{num}", "0,00", a, let, datelet),
        line("BQ", num, date, "512000", "", f"VIR{num}", a, "0,00"),
    ]


def fec(
    tmp_path: Path, rows: list[str], name="123456789FEC20261231.txt", sep="\t", encoding="utf-8"
) -> Path:
    path = tmp_path / name
    text = "\n".join([HEAD, *rows]).replace("\t", sep) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def invoices(path: Path, **kw) -> pd.DataFrame:
    return fec_to_book(read_fec(path), **kw).tables["invoices"].set_index("invoice_id")


def test_full_lettrage_settles_on_the_payment_date(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 1000, "AA", "20260215") + pay(
        "2", "20260214", "C1", 1000, "AA", "20260215"
    )
    inv = invoices(fec(tmp_path, rows))
    assert inv.loc["F1", "paid_date"] == pd.Timestamp("2026-02-14")
    assert inv.loc["F1", "open_amount"] == 0.0
    assert inv.loc["F1", "due_date"] == pd.Timestamp("2026-02-09")  # default 30 days


def test_partial_lettrage_leaves_the_rest_open(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 1000, "AB") + pay("2", "20260201", "C1", 400, "AB")
    result = fec_to_book(read_fec(fec(tmp_path, rows)))
    inv = result.tables["invoices"].set_index("invoice_id")
    assert inv.loc["F1", "open_amount"] == 600.0 and pd.isna(inv.loc["F1", "paid_date"])
    assert result.stats["partial_groups"] == 1 and result.unallocated.empty


def test_one_payment_for_several_invoices(tmp_path):
    rows = (
        sale("1", "20260110", "C1", "F1", 300, "AC")
        + sale("2", "20260112", "C1", "F2", 700, "AC")
        + pay("3", "20260220", "C1", 1000, "AC")
    )
    inv = invoices(fec(tmp_path, rows))
    assert (inv["paid_date"] == pd.Timestamp("2026-02-20")).all()
    assert inv["open_amount"].tolist() == [0.0, 0.0]


def test_several_payments_for_one_invoice_settle_on_the_last(tmp_path):
    rows = (
        sale("1", "20260110", "C1", "F1", 1000, "AD")
        + pay("2", "20260120", "C1", 300, "AD")
        + pay("3", "20260215", "C1", 700, "AD")
    )
    assert invoices(fec(tmp_path, rows)).loc["F1", "paid_date"] == pd.Timestamp("2026-02-15")


def test_partial_payment_goes_to_the_oldest_invoice_first(tmp_path):
    rows = (
        sale("1", "20260110", "C1", "F1", 300, "AE")
        + sale("2", "20260112", "C1", "F2", 700, "AE")
        + pay("3", "20260220", "C1", 500, "AE")
    )
    inv = invoices(fec(tmp_path, rows))
    assert inv.loc["F1", "paid_date"] == pd.Timestamp("2026-02-20")
    assert inv.loc["F2", "open_amount"] == 500.0


def test_credit_note_lettered_with_invoice_and_payment(tmp_path):
    rows = (
        sale("1", "20260110", "C1", "F1", 1000, "AF")
        + sale("2", "20260115", "C1", "AV1", 200, "AF", credit_note=True)
        + pay("3", "20260210", "C1", 800, "AF")
    )
    result = fec_to_book(read_fec(fec(tmp_path, rows)))
    inv = result.tables["invoices"].set_index("invoice_id")
    assert inv.loc["AV1", "amount"] == -200.0 and inv.loc["AV1", "open_amount"] == 0.0
    assert inv.loc["F1", "paid_date"] == pd.Timestamp("2026-02-10")
    assert result.stats["credit_notes"] == 1


def test_unallocated_payment_is_shown_not_netted(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 1000) + pay("2", "20260120", "C1", 250)
    result = fec_to_book(read_fec(fec(tmp_path, rows)))
    inv = result.tables["invoices"].set_index("invoice_id")
    assert inv.loc["F1", "open_amount"] == 1000.0  # not silently reduced
    assert result.unallocated[["customer_id", "amount", "line"]].to_dict("records") == [
        {"customer_id": "C1", "amount": 250.0, "line": 4}
    ]


def test_overpayment_in_a_group_is_unallocated(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 100, "AG") + pay("2", "20260120", "C1", 130, "AG")
    result = fec_to_book(read_fec(fec(tmp_path, rows)))
    assert result.unallocated["amount"].tolist() == [pytest.approx(30.0)]
    assert "exceeds" in result.unallocated["reason"].iloc[0]


def test_opening_entries_carry_open_items_over(tmp_path):
    rows = [
        line("AN", "1", "20260101", "411000", "C1", "F2025-9", "500,00", "0,00", "AH"),
        line("AN", "1", "20260101", "890000", "", "AN", "0,00", "500,00"),
    ]
    rows += pay("2", "20260115", "C1", 500, "AH", "20260115")
    rows += [line("AN", "1", "20260101", "411000", "C2", "F2025-7", "80,00", "0,00")]
    inv = invoices(fec(tmp_path, rows))
    assert inv.loc["F2025-9", "paid_date"] == pd.Timestamp("2026-01-15")
    assert inv.loc["F2025-7", "open_amount"] == 80.0


def test_montant_sens_pipe_and_iso_8859_15(tmp_path):
    head = HEAD.replace("Debit\tCredit", "Montant\tSens")
    rows = [
        "VT\tVentes\t1\t20260110\t411000\tClients\tC1\tSociété Œuvre €\tF1\t20260110\tlib\t"
        "1234,56\tD\t\t\t20260110\t\t",
        "VT\tVentes\t1\t20260110\t706000\tVentes\t\t\tF1\t20260110\tlib\t1234,56\tC\t\t\t"
        "20260110\t\t",
    ]
    path = tmp_path / "FEC.txt"
    path.write_bytes(("\n".join([head, *rows]) + "\n").replace("\t", "|").encode("iso8859_15"))
    result = fec_to_book(read_fec(path))
    assert result.tables["invoices"]["amount"].tolist() == [1234.56]
    assert result.tables["customers"]["name"].tolist() == ["Société Œuvre €"]


def test_foreign_currency_lines(tmp_path):
    rows = [
        line(
            "VT", "1", "20260110", "411000", "C1", "F1", "920,00", "0,00", dev="1000,00", cur="USD"
        ),
        line("VT", "1", "20260110", "706000", "", "F1", "0,00", "920,00"),
    ]
    result = fec_to_book(read_fec(fec(tmp_path, rows)))
    inv = result.tables["invoices"]
    assert (inv["currency"].iloc[0], inv["amount"].iloc[0]) == ("USD", 1000.0)
    assert result.tables["fx_rates"]["rate"].tolist() == [pytest.approx(0.92)]


def test_terms_forms():
    assert parse_terms("45 jours fin de mois") == Terms(45, True)
    assert parse_terms("45 FDM") == Terms(45, True)
    assert parse_terms("60 jours") == Terms(60, False)
    assert parse_terms("30 days end of month") == Terms(30, True)
    issue = pd.Series(pd.to_datetime(["2026-01-10", "2026-01-31"]))
    assert Terms(45, True).due(issue).tolist() == [
        pd.Timestamp("2026-02-28"),
        pd.Timestamp("2026-03-31"),
    ]
    with pytest.raises(ValueError, match="not understood"):
        parse_terms("net soon")


def test_not_a_fec_says_what_a_fec_is(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("date,customer,amount\n2026-01-01,C1,10\n")
    with pytest.raises(BookError) as info:
        read_fec(path)
    p = info.value.to_frame().iloc[0]
    assert p["problem"].startswith("not a FEC") and "18 columns" in p["fix"]


def test_malformed_lines_are_all_reported_with_their_line(tmp_path):
    rows = [
        line("VT", "1", "2026-01-10", "411000", "C1", "F1", "1 000,00", "0,00"),
        line("VT", "1", "20260110", "", "", "F1", "0,00", "1000,00"),
    ]
    with pytest.raises(BookError) as info:
        read_fec(fec(tmp_path, rows))
    found = info.value.to_frame()
    assert set(zip(found["line"], found["column"], strict=True)) >= {
        (2, "EcritureDate"),
        (2, "Debit"),
        (3, "CompteNum"),
    }


def test_sample_round_trip_through_a_fec(tmp_path, sample_book):
    """The FR01 ledger written as a FEC imports back to the same invoices."""
    inv = sample_book.invoices.loc[sample_book.invoices["company"] == "FR01"]
    names = sample_book.customers.set_index("customer_id")["name"]
    path = tmp_path / "123456789FEC20261031.txt"
    path.write_text(book_to_fec(inv, names))
    terms = sample_book.customers.set_index("customer_id")["payment_terms_days"].map(
        lambda d: Terms(int(d))
    )
    got = invoices(path, customer_terms=terms, company="FR01").sort_index()
    expected = inv.set_index("invoice_id").sort_index()
    for column in ("customer_id", "issue_date", "due_date", "amount", "open_amount", "paid_date"):
        pd.testing.assert_series_equal(got[column], expected[column], check_dtype=False)


def test_cli_import_fec_writes_a_readable_book(tmp_path, capsys):
    rows = sale("1", "20260110", "C1", "F1", 1000) + pay("2", "20260120", "C1", 250)
    path = fec(tmp_path, rows)
    terms = tmp_path / "terms.csv"
    terms.write_text("customer_id;payment_terms\nC1;45 jours fin de mois\n")
    out = tmp_path / "book"
    assert main(["import-fec", str(path), "--out", str(out), "--customers", str(terms)]) == 0
    report = capsys.readouterr().out
    assert "UNALLOCATED: 1 payments for 250.00" in report
    book = read_book(out)
    assert book.companies == ["123456789"]
    assert book.invoices["due_date"].tolist() == [pd.Timestamp("2026-02-28")]
    assert (out / "unallocated_payments.csv").exists()
    assert main(["import-fec", str(path), "--out", str(out)]) == 2  # refuses to overwrite


def test_cli_import_fec_bad_file_writes_nothing(tmp_path, capsys):
    out = tmp_path / "book"
    assert main(["import-fec", str(SAMPLE / "invoices.csv"), "--out", str(out)]) == 2
    assert "not a FEC" in capsys.readouterr().err
    assert not out.exists()


def test_optional_extra_columns_are_accepted(tmp_path):
    head = HEAD + "\tDateRglt\tModeRglt\tNatOp\tIdClient"
    rows = [r + "\t20260301\tVIR\t\tC1" for r in sale("1", "20260110", "C1", "F1", 100)]
    path = tmp_path / "FEC.txt"
    path.write_text("\n".join([head, *rows]) + "\n")
    assert invoices(path).loc["F1", "amount"] == 100.0


def test_a_line_with_missing_cells_is_named(tmp_path):
    rows = [*sale("1", "20260110", "C1", "F1", 100), "VT\tVentes\t2\t20260110"]
    with pytest.raises(BookError) as info:
        read_fec(fec(tmp_path, rows))
    p = info.value.to_frame().iloc[0]
    assert "wrong number of cells" in p["problem"] and "18" in p["fix"]


def test_a_utf8_fec_with_one_latin9_line_is_refused_naming_that_line(tmp_path):
    rows = sale("1", "20260110", "C1", "Fé1", 100) + sale("2", "20260111", "C1", "Fé2", 100)
    head = (HEAD + "\n").encode("utf-8")
    body = [(r + "\n").encode("iso8859_15" if i == 2 else "utf-8") for i, r in enumerate(rows)]
    path = tmp_path / "FEC.txt"
    path.write_bytes(head + b"".join(body))
    with pytest.raises(BookError) as info:
        read_fec(path)
    assert info.value.to_frame()["line"].tolist() == [4]


def test_fec_amounts_beyond_the_limit_are_refused(tmp_path):
    rows = sale("1", "20260110", "C1", "F1", 100)
    rows[0] = rows[0].replace("100,00", "999999999999999,99")
    path = tmp_path / "FEC.txt"
    path.write_text("\n".join([HEAD, *rows]) + "\n")
    with pytest.raises(BookError) as info:
        read_fec(path)
    found = info.value.to_frame()
    assert found[["line", "column"]].values.tolist() == [[2, "Debit"]]
