"""Writing: spreadsheet-safe CSV, atomic files, large books through Parquet."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashplan import make_book, read_book, write_book, write_csv
from cashplan.io.export import atomic_path, csv_bytes, format_for_csv, write_texts, write_xlsx


def test_formula_cells_are_neutralised_but_negative_numbers_are_not(tmp_path):
    frame = pd.DataFrame(
        {
            "note": ["=1+1", "+33 6", "@SUM(A1)", "-cmd", "plain", "-12.5"],
            "amount": [1.0, -2.0, 0.0, -0.001, 3.456, None],
        }
    )
    text = write_csv(frame, tmp_path / "x.csv").read_text()
    assert text.splitlines()[1:] == [
        "'=1+1,1.00",
        "'+33 6,-2.00",
        "'@SUM(A1),0.00",
        "'-cmd,0.00",
        "plain,3.46",
        "-12.5,",
    ]


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "promises.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as handle:
        handle.write("half written")
        raise RuntimeError("crash")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_large_book_in_parquet_roundtrips(tmp_path):
    tables = make_book(n_invoices=20_000, n_customers=300, seed=5)
    write_book(tables, tmp_path, fmt="parquet")
    book = read_book(tmp_path)
    assert len(book.invoices) == 20_000
    assert book.invoices["open_amount"].sum() == pytest.approx(
        tables["invoices"]["open_amount"].sum()
    )


# ---- the fast writers: the same bytes as before, faster ----------------------------------------
_CELLS = st.one_of(
    st.sampled_from(["", "=1+1", "-3", "-x", "@a", "a,b", 'say "hi"', "x\ny", "r\rs", "Zoë"]),
    st.text(max_size=6),
)
_AMOUNTS = st.one_of(
    st.floats(min_value=-1e15, max_value=1e15),
    st.sampled_from([0.005, -0.005, 0.125, 2.675, -0.0, 1e13, 9.99e12, -1234567.891]),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
)


def _reference_csv(frame: pd.DataFrame, guard: bool) -> bytes:
    """How write_csv wrote before Arrow: pandas' writer on the formatted cells."""
    text = format_for_csv(frame, guard)
    return text.to_csv(index=False, lineterminator="\n", float_format="%.2f").encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(_CELLS, _AMOUNTS, st.integers(-(10**12), 10**12), st.booleans()), max_size=8
    ),
    st.booleans(),
)
def test_csv_bytes_are_those_pandas_writes(rows, guard) -> None:
    frame = pd.DataFrame(rows, columns=["name", "amount_rc", "n", "flag"])
    frame["name"] = frame["name"].astype("str")
    frame["probability"] = frame["amount_rc"] / 7.0
    frame["due_date"] = pd.to_datetime(["2026-10-31", None] * 4)[: len(frame)]
    frame["invoice_id"] = frame["name"]  # an id: never guarded
    with tempfile.TemporaryDirectory() as tmp:
        written = write_csv(frame, Path(tmp) / "t.csv", guard=guard).read_bytes()
    assert written == _reference_csv(frame, guard)


def test_csv_bytes_leave_cells_to_quote_to_the_csv_writer() -> None:
    plain = pd.DataFrame({"id": ["A", "B"], "amount": [1.0, -0.004]})
    assert csv_bytes(format_for_csv(plain)) == b"id,amount\nA,1.00\nB,0.00\n"
    for cell in ("Durand, Fils", 'a "b"', "two\nlines"):
        assert csv_bytes(pd.DataFrame({"name": [cell], "amount": [1.0]})) is None
    assert csv_bytes(pd.DataFrame({"amount": [1e13], "x": ["a"]})) is None  # past exact cents
    assert csv_bytes(pd.DataFrame({"only": [""]})) is None  # csv writes a lone empty cell '""'


def test_xlsx_is_reproducible_guarded_and_typed(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "name": ["=cmd()", "Durand SA", None],
            "amount_rc": [1234.5, float("nan"), -2.0],
            "due_date": pd.to_datetime(["2026-10-31", None, "2026-01-02"]),
            "rank": [1, 2, 3],
            "invoices": ["x" * 40_000, "a", "b"],
        }
    )
    sheets = {"All": frame, "a/b": frame.head(1), "none": frame.head(0)}  # a sheet with no row
    first = write_xlsx(sheets, tmp_path / "a.xlsx").read_bytes()
    second = write_xlsx(sheets, tmp_path / "b.xlsx").read_bytes()
    assert first == second  # no clock in the file
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert b"1980-01-01T00:00:00Z" in z.read("docProps/core.xml")
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames == ["All", "a_b", "none"]
    assert [c.value for c in book["none"][1]][:2] == ["name", "amount_rc"]
    sheet = book["All"]
    assert [c.value for c in sheet[1]] == ["name", "amount_rc", "due_date", "rank", "invoices"]
    assert sheet["A2"].value == "'=cmd()" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 1234.5 and sheet["B2"].number_format == "#,##0.00"
    assert sheet["B3"].value is None and sheet["A4"].value is None
    assert sheet["C2"].value == pd.Timestamp("2026-10-31") and sheet["C2"].number_format == (
        "yyyy-mm-dd"
    )
    assert sheet["D4"].value == 3 and sheet.freeze_panes == "A2"
    assert len(sheet["E2"].value) == 32_767 and sheet["E2"].value.endswith("cell limit)")


def test_write_texts_replaces_a_link_instead_of_writing_through_it(tmp_path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    folder = tmp_path / "reminders"
    folder.mkdir()
    (folder / "a.txt").symlink_to(outside)
    written = write_texts(folder, {"a.txt": "Zoë\n", "b.txt": "b"})
    assert written == [folder / "a.txt", folder / "b.txt"]
    assert outside.read_text() == "keep" and not (folder / "a.txt").is_symlink()
    assert (folder / "a.txt").read_bytes() == "Zoë\n".encode()
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.txt"]  # no staging left
    for bad in ("../x.txt", "sub/x.txt", ".."):
        with pytest.raises(ValueError, match="plain file name"):
            write_texts(folder, {bad: "x"})


def test_write_texts_into_an_empty_folder_swaps_it_whole_keeping_its_permissions(tmp_path) -> None:
    folder = tmp_path / "reminders"
    folder.mkdir()
    folder.chmod(0o750)
    (tmp_path / "other.csv").write_text("x")
    written = write_texts(folder, {"a.txt": "Zoë\n", "b.txt": "b"})
    assert written == [folder / "a.txt", folder / "b.txt"]
    assert (folder / "a.txt").read_bytes() == "Zoë\n".encode() and (
        folder / "b.txt"
    ).read_text() == "b"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv", "reminders"]  # no staging
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.txt"]


def test_write_texts_into_a_folder_with_files_keeps_them(tmp_path) -> None:
    folder = tmp_path / "reminders"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    write_texts(folder, {"a.txt": "a"})
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reminders"]
