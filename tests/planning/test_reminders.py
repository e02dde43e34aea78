"""Reminders: every overdue invoice of the customer and no other, from the user's templates."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.planning.reminders import _records

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def analysis(sample_book) -> Analysis:  # type: ignore[no-untyped-def]
    return Analysis(sample_book, Settings(as_of=AS_OF))


def test_reminder_lists_every_overdue_invoice_of_its_customer_and_no_other(
    analysis: Analysis,
) -> None:
    drafts = analysis.reminders()
    items = analysis.items
    overdue = items.loc[(items["days_past_due"] > 0) & (items["open_amount"] > 0)]
    assert set(drafts["language"]) == {"fr", "en"} and len(drafts) > 50
    for row in drafts.itertuples():
        pattern = r"Invoice (\S+) of" if row.language == "en" else r"Facture (\S+) du"
        listed = re.findall(pattern, row.body)
        mine = overdue.loc[
            (overdue["company"] == row.company) & (overdue["customer_id"] == row.customer_id),
            "invoice_id",
        ]
        assert sorted(listed) == sorted(mine), row.customer_id
    formal = drafts.loc[drafts["tone"] == "formal_notice"].set_index("language")["body"]
    assert formal["fr"].str.contains("mettons en demeure").all()
    assert formal["en"].str.contains("formal notice").all()
    friendly = drafts.loc[(drafts["tone"] == "friendly") & (drafts["language"] == "fr"), "body"]
    assert not friendly.str.contains("mettons en demeure").any()


def test_reminders_use_the_users_templates(analysis: Analysis, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "reminder.en.txt.j2").write_text(
        "Subject: {{ customer.id }}\n{% for l in lines %}{{ l.invoice_id }};{% endfor %}\n"
    )
    drafts = analysis.reminders(languages=("en",), template_dir=str(tmp_path))
    assert (drafts["subject"] == drafts["customer_id"]).all()
    (tmp_path / "reminder.en.txt.j2").write_text("{% for x in %}")
    with pytest.raises(Exception, match=r"reminder.en.txt.j2, line 1"):
        analysis.reminders(languages=("en",), template_dir=str(tmp_path))


def test_template_rows_read_as_attributes_or_keys_like_plain_dicts(
    analysis: Analysis, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "reminder.en.txt.j2").write_text(
        "Subject: x\n{% for l in lines %}{{ l.invoice_id }}={{ l['invoice_id'] }}="
        "{{ l.get('invoice_id') }}={{ l.amount | money(l.currency, 'en') }};{% endfor %}\n"
    )
    drafts = analysis.reminders(languages=("en",), template_dir=str(tmp_path))
    for body in drafts["body"].head(20):
        for cell in body.strip().rstrip(";").split(";"):
            by_attribute, by_key, by_get, _ = cell.split("=")
            assert by_attribute == by_key == by_get
    (tmp_path / "reminder.en.txt.j2").write_text("Subject: x\n{{ lines[0].no_such_field }}\n")
    with pytest.raises(Exception, match="no_such_field"):
        analysis.reminders(languages=("en",), template_dir=str(tmp_path))


def test_records_hold_the_values_to_dict_gives() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", None],
            "amount": [1.5, float("nan")],
            "days": [3, 4],
            "day": pd.to_datetime(["2026-10-31", None]),
            "n": pd.array([1, None], dtype="Int64"),
        }
    )
    expected = frame.to_dict("records")
    got = _records(frame)
    assert [list(r) for r in got] == [list(r) for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for key, value in theirs.items():
            assert type(mine[key]) is type(value), key
            assert mine[key] == value or (pd.isna(mine[key]) and pd.isna(value)), key
    assert got[0].amount == 1.5 and got[1].n is None


def test_records_give_dates_as_tolist_does_each_day_made_once() -> None:
    days = pd.Series(
        pd.to_datetime(["2026-10-01", None, "2026-09-15", "2026-10-01"]), dtype="datetime64[us]"
    )
    frame = pd.DataFrame({"due_date": days, "n": [1, 2, 3, 4]})
    got = [row["due_date"] for row in _records(frame)]
    want = days.tolist()
    assert [type(x) for x in got] == [type(x) for x in want]
    assert got[0] == want[0] and got[2] == want[2] and got[3] == want[3] and got[1] is pd.NaT
    assert got[0].unit == want[0].unit and got[0] is got[3]  # one object per distinct day
