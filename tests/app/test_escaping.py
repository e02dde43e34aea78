"""Text from the book is text: never HTML, never a path, never a header line (trust issue 6-8).

Item 6: a name, id or owner such as ``<img src=x onerror=...>`` is shown escaped in every
HTML the product writes (the report's tables and summary, the workbook's widgets, chart
labels). Item 7: file names built from ids are slugs plus a hash of the exact id, and every
file written lies inside the report folder. Item 8: a contact or name holding a newline
cannot add a line (``Bcc:``) to a reminder's header.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from cashplan.app import charts
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.notebook import lineage, styled, summary_markdown
from cashplan.app.outputs import inside, safe_name, write_outputs, write_reminders
from cashplan.app.workbook import Workbook, _markdown_html
from cashplan.core.errors import BookError, CashplanError
from cashplan.io.book import Book
from cashplan.io.export import write_book
from cashplan.planning.reminders import one_line
from cashplan.sample import make_book

AS_OF = "2026-10-31"
NAME = '<img src=x onerror="window.__xss=1">'
OWNER = "<script>window.__xss=2</script>"
ATTR = '"><svg onload=window.__xss=3>'
CUSTOMER = "<img src=x onerror=window.__xss=4>"
COMPANY = "<i onclick=alert(1)>*co*[x](javascript:alert(1))"  # no "/": ids refuse it
CONTACT = "x@y.fr\nBcc: evil@z.com"
DANGEROUS = {"script", "img", "svg", "a", "iframe", "object", "embed"}


class _Page(HTMLParser):
    """The tags, attributes and visible text of an HTML fragment."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.chunks: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def _assert_inert(fragment: str, *shown: str) -> None:
    """No tag or event handler from the data; the data shows as text."""
    page = _Page(fragment)
    assert not DANGEROUS & set(page.tags), sorted(DANGEROUS & set(page.tags))
    assert not [a for a in page.attrs if a.lower().startswith("on")]
    for text in shown:
        assert text in page.text, text


def _frames(company: str = "FR01", n_invoices: int = 600) -> dict[str, pd.DataFrame]:
    """A small book whose first customer carries the payloads (and FR01 renamed ``company``)."""
    frames = make_book(n_invoices=n_invoices, n_customers=n_invoices // 100)
    customers = frames["customers"]
    first = customers["customer_id"].iloc[0]
    for table in ("customers", "invoices", "promises"):
        frame = frames[table]
        frame["customer_id"] = frame["customer_id"].replace(first, CUSTOMER)
    customers.loc[0, ["name", "owner"]] = [NAME, OWNER]
    customers.loc[1, ["name", "owner"]] = [ATTR, ATTR]
    customers["contact"] = CONTACT
    for frame in frames.values():
        if "company" in frame:
            frame["company"] = frame["company"].replace("FR01", company)
    return frames


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis(Book.from_frames(**_frames(COMPANY)), Settings(as_of=AS_OF, company=COMPANY))


# ---- item 6: HTML ---------------------------------------------------------------------------
def test_styled_escapes_text_cells_and_headers_and_keeps_number_formats() -> None:
    frame = pd.DataFrame(
        {
            "name": [NAME, "Durand & Fils"],
            OWNER: [ATTR, None],
            "amount": [1234567.891, None],
            "share": [0.8532, 0.1],
            "days": [12.345, 1.0],
            "n": [3, 4],
            "ratio": [1.5, 2.25],
            "day": pd.to_datetime(["2026-10-31", None]),
        }
    )
    out = styled(frame, money=["amount"], pct=["share"], days=["days"], uuid="t").to_html()
    _assert_inert(out, NAME, OWNER, ATTR, "Durand & Fils")
    for shown in ("1,234,568", "85.3%", "12.3", ">3<", "1.500000", "2026-10-31"):
        assert shown in out, shown


def test_summary_is_escaped_for_markdown_and_html(analysis: Analysis) -> None:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = summary_markdown(analysis)
    for rendered in (markdown2html_mistune(text), _markdown_html(text)):  # report, workbook
        _assert_inert(rendered, COMPANY)  # as text: no emphasis, no link, no tag


def test_lineage_table_is_escaped(analysis: Analysis) -> None:
    _assert_inert(styled(lineage(analysis), uuid="lineage").to_html())


def test_chart_labels_from_the_book_are_entities(analysis: Analysis) -> None:
    a = analysis
    spec = charts.score_vs_open_spec(a.scoped(a.customer_table), "EUR", 60.0)
    labels = [t for trace in spec["data"] for t in trace.get("text", [])]
    assert html.escape(CUSTOMER, quote=False) in labels
    assert not [t for t in labels if "<" in t or ">" in t]
    aged = charts.aged_balance_spec(a.scoped(a.aged), a.aged_labels, "EUR")
    xs = [x for trace in aged["data"] for x in trace["x"]]
    assert xs and not [x for x in xs if "<" in x] and html.escape(COMPANY, quote=False) in xs


def test_book_error_html_is_escaped() -> None:
    row = {"file": "c.csv", "line": 2, "column": "name", "value": NAME}
    err = BookError.from_rows([{**row, "problem": OWNER, "fix": ATTR}])
    _assert_inert(err._repr_html_(), NAME, OWNER, ATTR)


def test_workbook_widgets_show_book_text_as_text(tmp_path: Path) -> None:
    write_book(_frames(COMPANY), tmp_path / "book")
    wb = Workbook(tmp_path / "book", as_of=AS_OF, user="cfo")
    wb.set(company=COMPANY)
    _assert_inert(wb.summary.value, COMPANY)
    assert NAME in _Page(wb.plan.value).text or OWNER in _Page(wb.plan.value).text
    _assert_inert(wb.plan.value)
    wb._guard(lambda: wb.save_promise(CUSTOMER + "?", "2026-11-30", 10.0))()
    _assert_inert(wb.status.value)
    wb._say(f"Saved: promise by {NAME}.")
    _assert_inert(wb.status.value, NAME)


# ---- item 7: paths --------------------------------------------------------------------------
def test_safe_name_is_a_slug_plus_a_hash_of_the_exact_parts() -> None:
    name = safe_name("FR01", "Société Générale / ../x")
    assert name.startswith("FR01_Societe-Generale-x-") and len(name.rsplit("-", 1)[1]) == 8
    assert name.isascii() and "/" not in name and ".." not in name
    assert safe_name("A", "B_C") != safe_name("A_B", "C")
    assert safe_name("acme") != safe_name("ACME")  # case-insensitive disks
    assert safe_name("../..") not in (".", "..") and not safe_name("../..").startswith(".")
    assert len(safe_name("x" * 500, "y" * 500)) <= 2 * 40 + 1 + 9
    assert safe_name("FR01", "C1") == safe_name("FR01", "C1")


def _drafts(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company": [c for c, _ in pairs],
            "customer_id": [k for _, k in pairs],
            "language": "fr",
            "contact": "a@b.fr",
            "subject": [f"Relance {c} {k}" for c, k in pairs],
            "body": "Bonjour\n",
        }
    )


def test_reminder_files_stay_in_the_folder_and_never_collide(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "report"
    pairs = [
        ("../../x", "C1"),
        ("FR01", "../../x"),
        ("FR01", "/tmp/x"),
        (str(tmp_path / "abs"), "C2"),
        ("A", "B_C"),
        ("A_B", "C"),
    ]
    written = write_reminders(_drafts(pairs), folder)
    assert len(set(written)) == len(pairs)
    every = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert every == sorted(written)
    assert all(p.resolve().is_relative_to((folder / "reminders").resolve()) for p in written)
    texts = {p.read_text(encoding="utf-8").splitlines()[1] for p in written}
    assert texts == {f"Subject: Relance {c} {k}" for c, k in pairs}  # none overwritten
    assert all(p.name.endswith(".fr.txt") for p in written)


def test_inside_refuses_a_path_out_of_the_folder(tmp_path: Path) -> None:
    assert inside(tmp_path, tmp_path / "reminders" / "x.txt") == tmp_path / "reminders" / "x.txt"
    for outside in (tmp_path / ".." / "x.txt", Path("/tmp/x.txt"), tmp_path):
        with pytest.raises(CashplanError, match="outside"):
            inside(tmp_path, outside)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(CashplanError, match="outside"):
        inside(tmp_path, tmp_path / "link" / "x.txt")


# ---- item 8: header lines -------------------------------------------------------------------
def test_one_line_replaces_line_breaks_and_control_characters() -> None:
    assert one_line(CONTACT) == "x@y.fr Bcc: evil@z.com"
    assert one_line("a\r\nb\x00c\x1bd\u2028e\x85f\tg") == "a  b c d e f g"
    assert one_line("Société Générale") == "Société Générale"


def test_reminder_headers_stay_two_lines(tmp_path: Path) -> None:
    frames = _frames(n_invoices=2_000)  # 600 invoices have no customer to remind
    frames["customers"]["name"] = "Evil\r\nBcc: a@b.c"
    a = Analysis(Book.from_frames(**frames), Settings(as_of=AS_OF))
    drafts = a.reminders()
    assert len(drafts) > 0
    for column in ("contact", "subject"):
        assert not drafts[column].str.contains(r"[\r\n\x00-\x1f]").any(), column
    written = write_outputs(a, tmp_path / "report")
    files = [p for p in written if p.parent.name == "reminders"]
    assert len(files) == len(drafts)
    for path in files:
        head, _, _ = path.read_text(encoding="utf-8").partition("\n\n")
        lines = head.split("\n")
        assert [line.split(":")[0] for line in lines] == ["To", "Subject"], head
        assert lines[0] == "To: x@y.fr Bcc: evil@z.com" and "\r" not in head
    assert all(p.resolve().is_relative_to((tmp_path / "report").resolve()) for p in written)
