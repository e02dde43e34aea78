"""The workbook's edits: every concurrent edit lands, and an edit keeps what it does not know
(the trust issue, items 2 and 3)."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cashplan.app.workbook import Workbook
from cashplan.core.errors import BookError, CashplanError
from cashplan.io.book import Book, read_book
from cashplan.io.edits import add_adjustment, add_promise
from cashplan.io.export import write_book, write_csv
from cashplan.sample import make_book

AS_OF = "2026-10-31"


def _book(folder: Path, fmt: str = "csv") -> Path:
    write_book(make_book(n_invoices=600, n_customers=6), folder, fmt=fmt)  # type: ignore[arg-type]
    return folder


def _open_invoices(book: Book) -> pd.DataFrame:
    inv = book.invoices
    return inv.loc[inv["paid_date"].isna() | (inv["paid_date"] > AS_OF)].reset_index(drop=True)


def _promise(book: Book, item: pd.Series, note: str, amount: float = 100.0, **kw: str) -> Book:
    return add_promise(
        book,
        AS_OF,
        customer_id=item["customer_id"],
        company=item["company"],
        invoice_id=item["invoice_id"],
        promised_date="2026-11-20",
        amount=amount,
        user=kw.get("user", "cfo"),
        note=note,
    )


def _worker(folder: str, worker: int, n: int, start: object) -> None:
    """One kernel (a browser tab): its own book in memory, ``n`` promises saved from it."""
    book = read_book(folder)
    item = _open_invoices(book).iloc[worker]
    if start is not None:
        start.wait()  # type: ignore[attr-defined]  # all kernels edit at the same time
    for i in range(n):
        book = _promise(book, item, note=f"w{worker}-{i}", amount=100.0 + worker * 10 + i)


def _run_kernels(folder: Path, n_kernels: int, n: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(n_kernels) if n_kernels > 1 else None
    procs = [ctx.Process(target=_worker, args=(str(folder), w, n, start)) for w in range(n_kernels)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * n_kernels


def test_four_kernels_saving_ten_promises_each_keep_all_forty(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    before = read_book(folder).promises
    _run_kernels(folder, n_kernels=4, n=10)
    after = read_book(folder).promises
    assert len(after) == len(before) + 40
    pd.testing.assert_frame_equal(after.head(len(before)), before)  # nothing lost, order kept
    notes = after["note"].iloc[len(before) :]
    assert sorted(notes) == sorted(f"w{w}-{i}" for w in range(4) for i in range(10))
    left = sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
    assert left in ([], [".promises.csv.lock"])  # no temporary file; the lock file is harmless


def _with_comment(folder: Path, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table with a collector's ``comment`` column, rows in no sorted order."""
    frame = frame.iloc[::-1].reset_index(drop=True)
    frame.insert(2, "comment", [f"called {i}, see mail" for i in range(len(frame))])
    write_csv(frame, folder / f"{table}.csv")
    return frame


def test_an_unknown_column_and_the_row_order_survive_add_promise_and_add_adjustment(
    tmp_path: Path,
) -> None:
    folder = _book(tmp_path / "book")
    raw = pd.read_csv(folder / "promises.csv", dtype=str, keep_default_na=False)
    promises = _with_comment(folder, "promises", raw)
    adjustments = _with_comment(
        folder,
        "adjustments",
        pd.DataFrame(
            {
                "customer_id": ["FR-C0002", "FR-C0001"],
                "company": ["FR01", "FR01"],
                "invoice_id": ["", ""],
                "shift_days": ["10", ""],
                "to_date": ["", "2026-12-15"],
                "recorded_on": ["2026-10-01", "2026-10-02"],
                "recorded_by": ["ana", "ana"],
                "note": ["", ""],
            }
        ),
    )
    old = {t: (folder / f"{t}.csv").read_bytes() for t in ("promises", "adjustments")}
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    book = _promise(book, item, note="by phone")
    book = add_adjustment(
        book,
        AS_OF,
        customer_id=item["customer_id"],
        company=item["company"],
        shift_days=7,
        user="cfo",
    )
    for table, before in (("promises", promises), ("adjustments", adjustments)):
        path = folder / f"{table}.csv"
        assert path.read_bytes().startswith(old[table])  # the rows as they were, in order
        after = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert after.columns.tolist() == before.columns.tolist()
        pd.testing.assert_frame_equal(after.head(len(before)), before)
        assert after["comment"].iloc[-1] == "" and after["recorded_by"].iloc[-1] == "cfo"
    assert read_book(folder).adjustments["shift_days"].tolist() == [pd.NA, 10, 7]


def _french(text: str) -> bytes:
    """A comma CSV of the sample as the French Excel export writes it."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for col in ("promised_date", "recorded_on"):
        frame[col] = pd.to_datetime(frame[col]).dt.strftime("%d/%m/%Y")
    frame["amount"] = frame["amount"].str.replace(".", ",")
    frame["note"] = "relancé"
    return frame.to_csv(sep=";", index=False, lineterminator="\r\n").encode("cp1252")


def test_a_french_promises_file_stays_french(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    path = folder / "promises.csv"
    path.write_bytes(_french(path.read_text(encoding="utf-8")))
    old = path.read_bytes()
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    _promise(book, item, note="appelé; rappeler", amount=1234.5)
    data = path.read_bytes()
    assert data.startswith(old)
    new = data[len(old) :].decode("cp1252")  # the encoding of the file, not UTF-8
    assert new == (
        f"{item['company']};{item['customer_id']};{item['invoice_id']};20/11/2026;1234,50;"
        '31/10/2026;cfo;"appelé; rappeler"\r\n'
    )
    after = read_book(folder).promises
    pd.testing.assert_frame_equal(after.head(len(book.promises)), book.promises)
    assert after.iloc[-1][["amount", "note"]].tolist() == [1234.5, "appelé; rappeler"]


def test_text_the_file_encoding_cannot_hold_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    folder = _book(tmp_path / "book")
    path = folder / "promises.csv"
    path.write_bytes(_french(path.read_text(encoding="utf-8")))
    old = path.read_bytes()
    book = read_book(folder)
    with pytest.raises(CashplanError, match=r"promises\.csv.*cp1252.*'Łódź'"):
        _promise(book, _open_invoices(book).iloc[0], note="Łódź")
    assert path.read_bytes() == old


def test_a_utf8_file_keeps_its_bom_and_line_endings(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    path = folder / "promises.csv"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    old = b"\xef\xbb\xbf" + text.encode("utf-8").removesuffix(b"\r\n")  # no final line end
    path.write_bytes(old)
    book = read_book(folder)
    _promise(book, _open_invoices(book).iloc[0], note="Łódź")
    data = path.read_bytes()
    assert data.startswith(old + b"\r\n")
    assert data.endswith(",cfo,Łódź\r\n".encode())
    assert read_book(folder).promises["note"].iloc[-1] == "Łódź"


def test_a_missing_known_column_is_added_and_the_rest_kept(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    path = folder / "promises.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[["customer_id", "company", "invoice_id", "promised_date", "amount"]]
    raw.insert(1, "comment", "kept")
    write_csv(raw, path)
    book = read_book(folder)
    _promise(book, _open_invoices(book).iloc[0], note="")
    after = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert after.columns.tolist() == [*raw.columns, "recorded_on", "recorded_by"]
    pd.testing.assert_frame_equal(after.iloc[:-1, : raw.shape[1]], raw)
    assert after.iloc[-1][["comment", "recorded_on", "recorded_by"]].tolist() == [
        "",
        "2026-10-31",
        "cfo",
    ]


def test_free_text_is_guarded_against_formulas_but_ids_never_change(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    for name in ("invoices", "customers", "promises"):  # an id a spreadsheet would run
        path = folder / f"{name}.csv"
        path.write_text(
            path.read_text(encoding="utf-8").replace("FR-C0001", "=FR-C0001"), encoding="utf-8"
        )
    book = read_book(folder)
    items = _open_invoices(book)
    item = items.loc[items["customer_id"] == "=FR-C0001"].iloc[0]
    _promise(book, item, note="=HYPERLINK(1)", user="+cfo")
    last = read_book(folder).promises.iloc[-1]
    assert last[["customer_id", "invoice_id", "note", "recorded_by"]].tolist() == [
        "=FR-C0001",
        item["invoice_id"],
        "'=HYPERLINK(1)",
        "'+cfo",
    ]


def test_a_parquet_promises_table_keeps_its_extra_columns(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book", fmt="parquet")
    path = folder / "promises.parquet"
    frame = pd.read_parquet(path)
    frame.insert(1, "comment", [f"c{i}" for i in range(len(frame))])
    frame["priority"] = pd.Series(range(len(frame)), dtype="int32")
    frame.to_parquet(path, index=False)
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    book = _promise(book, item, note="by phone")
    after = pd.read_parquet(path)
    assert after.columns.tolist() == frame.columns.tolist()
    pd.testing.assert_frame_equal(
        after.head(len(frame)), frame.astype({"priority": "float64"}), check_dtype=False
    )
    assert after[["comment", "priority"]].iloc[-1].isna().all()
    assert str(pq.read_schema(path).field("priority").type) == "int32"
    assert book.promises.iloc[-1]["note"] == "by phone"
    pd.testing.assert_frame_equal(read_book(folder).promises, book.promises)


def test_a_line_that_no_longer_reads_stops_the_edit_and_the_file_stays(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    book = read_book(folder)
    path = folder / "promises.csv"
    with path.open("a", encoding="utf-8") as f:  # typed in by hand after the book was read
        f.write("FR01,FR-C0001,,2026-11-30,12 000,2026-10-31,ana,\n")
    old = path.read_bytes()
    with pytest.raises(
        BookError, match=r"promises\.csv, line 52, column 'amount', value '12 000': a thousands"
    ):
        _promise(book, _open_invoices(book).iloc[0], note="x")
    assert path.read_bytes() == old


def test_a_pinned_adjustment_reads_back(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    book = add_adjustment(
        book,
        AS_OF,
        customer_id=item["customer_id"],
        invoice_id=item["invoice_id"],
        to_date_="2026-12-15",
        user="cfo",
    )
    saved = read_book(folder).adjustments.iloc[-1]  # no shift of 0 days beside the date
    assert pd.isna(saved["shift_days"]) and saved["to_date"] == pd.Timestamp("2026-12-15")


def test_the_returned_book_holds_the_table_as_read_again(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    mine, theirs = read_book(folder), read_book(folder)
    items = _open_invoices(mine)
    _promise(theirs, items.iloc[1], note="theirs")
    mine = _promise(mine, items.iloc[0], note="mine")
    assert mine.promises["note"].iloc[-2:].tolist() == ["theirs", "mine"]
    pd.testing.assert_frame_equal(mine.promises, read_book(folder).promises)


def test_the_workbook_shows_a_promise_saved_by_another_kernel(tmp_path: Path) -> None:
    folder = _book(tmp_path / "book")
    wb = Workbook(folder, as_of=AS_OF, user="cfo")
    n = len(wb.analysis.book.promises)
    analysis = wb.analysis
    wb.refresh()  # nothing changed: nothing recomputed
    assert wb.analysis is analysis
    _run_kernels(folder, n_kernels=1, n=1)  # another tab saves a promise on the first item
    item = _open_invoices(wb.analysis.book).iloc[0]
    wb.refresh()
    promises = wb.analysis.book.promises
    assert len(promises) == n + 1 and promises["note"].iloc[-1] == "w0-0"
    fc = wb.analysis.forecast.invoices.set_index("invoice_id")
    assert fc.loc[item["invoice_id"], "basis"] == "promise"
    other = read_book(folder)  # another person, on another invoice
    other = _promise(other, _open_invoices(other).iloc[1], note="theirs")
    wb.set(safety_margin=0.1)  # any change of a setting takes it in too
    assert wb.analysis.book.promises["note"].iloc[-1] == "theirs"
    _promise(other, item, note="theirs again")
    wb.save_promise(item["customer_id"], "2026-11-25", 50.0, item["invoice_id"], note="mine")
    assert wb.analysis.book.promises["note"].iloc[-2:].tolist() == ["theirs again", "mine"]
    pd.testing.assert_frame_equal(wb.analysis.book.promises, read_book(folder).promises)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_returned_book_names_the_saved_file_by_its_new_sha256(tmp_path: Path, fmt: str) -> None:
    folder = _book(tmp_path / "book", fmt)
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    book = _promise(book, item, note="lineage")
    book = add_adjustment(
        book,
        AS_OF,
        customer_id=item["customer_id"],
        company=item["company"],
        shift_days=5,
        user="cfo",
    )
    for source in book.sources:  # the report's lineage: every file as it is now
        assert source.sha256 == hashlib.sha256(Path(source.path).read_bytes()).hexdigest()
    assert {"promises", "adjustments"} <= {s.table for s in book.sources}


def test_edits_refuse_bad_values_with_a_message_and_write_nothing(tmp_path: Path) -> None:
    """Control characters (the book would no longer read), bad dates and amounts, absurd shifts."""
    from cashplan.io.edits import set_sales_plan

    folder = tmp_path / "b"
    write_book(make_book(n_invoices=600, n_customers=6), folder)
    book = read_book(folder)
    item = book.invoices.loc[book.invoices["paid_date"].isna()].iloc[0]
    who = {"customer_id": item["customer_id"], "company": item["company"]}
    before = (folder / "promises.csv").read_bytes()
    bad: list[tuple[Any, dict[str, Any]]] = [
        (add_promise, {**who, "promised_date": "2026-11-20", "amount": 5.0, "note": "a\x0bb"}),
        (add_promise, {**who, "promised_date": "2026-13-01", "amount": 5.0}),
        (add_promise, {**who, "promised_date": None, "amount": 5.0}),
        (add_promise, {**who, "promised_date": "2026-11-20", "amount": "abc"}),
        (add_adjustment, {**who, "shift_days": 10**12}),
        (add_adjustment, {**who, "shift_days": 2.7}),
        (set_sales_plan, {"company": item["company"], "month": "2026-13", "amount": 5.0}),
        (set_sales_plan, {"company": item["company"], "month": "2026-12", "amount": "x"}),
    ]
    for edit, fields in bad:
        with pytest.raises(CashplanError):
            edit(book, "2026-10-31", user="cfo", **fields)
    with pytest.raises(CashplanError, match="control character"):
        add_promise(book, "2026-10-31", **who, promised_date="2026-11-20", amount=5.0, user="a\x01")
    assert (folder / "promises.csv").read_bytes() == before
    assert not (folder / "adjustments.csv").exists() or read_book(folder).adjustments.empty
    read_book(folder)  # the book still reads


def test_add_activity_appends_a_row_and_refuses_an_unknown_lever_or_customer(
    tmp_path: Path,
) -> None:
    from cashplan.io.edits import add_activity

    folder = _book(tmp_path / "book")
    book = read_book(folder)
    item = _open_invoices(book).iloc[0]
    fields = {"customer_id": item["customer_id"], "company": item["company"], "user": "Léa"}
    book = add_activity(book, AS_OF, lever="call", note="=reached", **fields)
    book = add_activity(book, AS_OF, lever="dunning", date="2026-11-03", **fields)
    saved = read_book(folder).activity
    assert saved[["lever", "by"]].values.tolist() == [["call", "Léa"], ["dunning", "Léa"]]
    assert saved["date"].dt.strftime("%Y-%m-%d").tolist() == [AS_OF, "2026-11-03"]
    assert saved["note"].iloc[0] == "'=reached"  # free text guarded, as promises' notes
    before = (folder / "activity.csv").read_bytes()
    for bad, message in [
        ({"lever": "email"}, "unknown lever 'email': use one of call, sales_rep"),
        ({"lever": "call", "customer_id": "NOBODY"}, "no customer 'NOBODY'"),
        ({"lever": "call", "date": "31/11/2026"}, "date done '31/11/2026' is not a date"),
        ({"lever": "call", "user": ""}, "say who did the action"),
    ]:
        with pytest.raises(CashplanError, match=message):
            add_activity(book, AS_OF, **(fields | bad))  # type: ignore[arg-type]
    assert (folder / "activity.csv").read_bytes() == before


def _edit_each_table(book: Book, item: pd.Series) -> Book:
    """A promise, a shift, a pin and a sales plan month saved one after the other."""
    from cashplan.io.edits import set_sales_plan

    ids = {"customer_id": item["customer_id"], "company": item["company"], "user": "cfo"}
    book = _promise(book, item, note="relancé; rappeler", amount=1234.5)
    book = add_adjustment(book, AS_OF, shift_days=7, note="=1+1", **ids)
    book = add_adjustment(book, AS_OF, invoice_id=item["invoice_id"], to_date_="2026-12-15", **ids)
    return set_sales_plan(
        book, AS_OF, company=item["company"], month="2026-12", amount=5e5, user="cfo", note="n"
    )


@pytest.mark.parametrize("form", ["standard", "french", "bom, CR LF, no last line end"])
def test_a_save_reads_back_only_the_new_line_and_gives_what_a_whole_read_gives(
    tmp_path: Path, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows before the edit are not read again: the book returned is the book a restart
    reads, table for table, in every form of file."""
    from cashplan.io import book as book_module
    from cashplan.io import edits as edits_module

    folder = _book(tmp_path / "book")
    path = folder / "promises.csv"
    if form == "french":
        path.write_bytes(_french(path.read_text(encoding="utf-8")))
    elif form.startswith("bom"):
        text = path.read_text(encoding="utf-8").replace("\n", "\r\n").removesuffix("\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    for table in ("adjustments", "sales_plan"):  # tables with a header and no rows yet
        (folder / f"{table}.csv").write_text(",".join(_header(table)) + "\n", encoding="utf-8")
    book = read_book(folder)
    whole = book_module.read_table

    def refused(*args: Any) -> Book:
        raise AssertionError("the whole table was read again")

    for module in (book_module, edits_module):
        monkeypatch.setattr(module, "read_table", refused)
    book = _edit_each_table(book, _open_invoices(book).iloc[0])
    monkeypatch.setattr(book_module, "read_table", whole)
    again = read_book(folder)
    for table in ("promises", "adjustments", "sales_plan"):
        pd.testing.assert_frame_equal(getattr(book, table), getattr(again, table), obj=table)
    assert book.sources == again.sources
    assert book.promises["note"].iloc[-1] == "relancé; rappeler"


def _header(table: str) -> list[str]:
    from cashplan.core.schema import TABLES

    return [c.name for c in TABLES[table]]


def test_a_save_after_another_kernels_save_reads_the_whole_table(tmp_path: Path) -> None:
    """The book no longer holds the file as it was: the whole table is read (their row too)."""
    folder = _book(tmp_path / "book")
    mine, theirs = read_book(folder), read_book(folder)
    items = _open_invoices(mine)
    theirs = _edit_each_table(theirs, items.iloc[1])
    mine = _edit_each_table(mine, items.iloc[0])
    again = read_book(folder)
    for table in ("promises", "adjustments", "sales_plan"):
        pd.testing.assert_frame_equal(getattr(mine, table), getattr(again, table), obj=table)
        assert len(getattr(mine, table)) == len(getattr(theirs, table)) + (
            2 if table == "adjustments" else 1
        )
