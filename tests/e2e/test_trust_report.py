"""What ``cashplan report``, ``sample`` and ``import-fec`` may write and replace (the trust issue).

``--force`` never deletes a book, a folder holding it or the working directory;
parallel jobs with relative paths stay apart; a killed or interrupted report leaves
nothing behind (or the next run removes it); the same inputs give the same bytes;
every parameter is checked with its range.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cashplan.app.cli import main
from cashplan.app.report import run_report
from cashplan.io.export import write_book
from cashplan.io.folders import clean_stale, write_whole
from cashplan.sample import make_book
from tests.conftest import ROOT

AS_OF = "2026-10-31"
DEADLINE = 300.0  # s: a report on a loaded 2-core machine, with a generous margin


def _small_book(folder: Path) -> Path:
    write_book(make_book(n_invoices=600, n_customers=6), folder)
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _small_book(tmp_path / "books" / "a")


def test_force_never_replaces_the_book_a_folder_holding_it_or_the_working_directory(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _hashes(tmp_path)
    for out in (book, book.parent, tmp_path):
        assert main(["report", str(book), "--as-of", AS_OF, "--out", str(out), "--force"]) == 2
        assert "--out" in capsys.readouterr().err
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert main(["report", str(book), "--as-of", AS_OF, "--out", ".", "--force"]) == 2
    assert "working directory" in capsys.readouterr().err
    assert _hashes(tmp_path) == before


def test_force_replaces_only_a_folder_cashplan_wrote(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    assert main(["report", str(book), "--as-of", AS_OF, "--out", str(mine), "--force"]) == 2
    assert "not a cashplan report" in capsys.readouterr().err
    assert main(["sample", "--out", str(mine), "--invoices", "600", "--force"]) == 2
    assert "not a book" in capsys.readouterr().err
    assert (mine / "thesis.docx").read_text() == "years of work"
    # a book cashplan wrote is replaced whole: no table of the old one lingers
    (book / "promises.parquet").write_bytes(b"")
    assert main(["sample", "--out", str(book), "--invoices", "600", "--force"]) == 0
    assert not (book / "promises.parquet").exists() and (book / "invoices.csv").exists()
    assert [p.name for p in book.parent.iterdir()] == ["a"]  # no temporary folder or lock left


def test_sample_and_import_fec_refuse_the_working_directory_and_their_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["sample", "--out", ".", "--invoices", "600", "--force"]) == 2
    assert "working directory" in capsys.readouterr().err
    fec = tmp_path / "in" / "123456789FEC20261231.txt"
    fec.parent.mkdir()
    fec.write_text("not read: refused before")
    assert main(["import-fec", str(fec), "--out", str(fec.parent), "--force"]) == 2
    assert "holds the input" in capsys.readouterr().err
    assert fec.read_text() == "not read: refused before"
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_parallel_reports_with_relative_paths_stay_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in "abc":
        _small_book(tmp_path / "books" / name)
    monkeypatch.chdir(tmp_path)
    books = ["books/a", "books/b", "books/c"]
    assert main(["report", *books, "--as-of", AS_OF, "--out", "rel", "--jobs", "2"]) == 0
    assert sorted(p.name for p in (tmp_path / "rel").iterdir()) == ["a", "b", "c"]
    for name in "abc":
        manifest = json.loads((tmp_path / "rel" / name / "manifest.json").read_text())
        assert manifest["parameters"]["book"] == str(tmp_path / "books" / name)
        assert not any(
            p.is_dir() for p in (tmp_path / "rel" / name).iterdir() if p.name != "reminders"
        )
    assert sorted(p.name for p in (tmp_path / "books").iterdir()) == ["a", "b", "c"]


def _start_job(book: Path, out: Path) -> subprocess.Popen[bytes]:
    """One report job as the command starts it (its own process and session)."""
    spec = {"book": str(book), "as_of": AS_OF, "out": str(out), "company": "", "parameters": {}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cashplan.app._job", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({**spec, "force": False}).encode())
    proc.stdin.close()
    return proc


def _temporary(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*"))


def test_a_killed_report_leaves_litter_that_the_next_run_removes(
    book: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    proc = _start_job(book, out)
    _wait_for(lambda: any(p.is_dir() for p in _temporary(out)), "the temporary folder")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert any(p.suffix == ".tmp" for p in _temporary(out))  # SIGKILL: nothing could clean up
    assert not out.exists()
    run_report(book, AS_OF, out)
    assert _temporary(out) == [] and (out / "report.html").exists()


def test_sigterm_removes_the_temporary_folder(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _start_job(book, out)
    _wait_for(lambda: any(p.is_dir() for p in _temporary(out)), "the temporary folder")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=DEADLINE) != 0
    _wait_for(lambda: _temporary(out) == [], "the cleanup")
    assert not out.exists()


def test_ctrl_c_prints_one_line_and_leaves_nothing(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _command_report(book, out)
    _wait_for(lambda: any(p.is_dir() for p in _temporary(out)), "the temporary folder")
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 130
    assert err.decode().strip().splitlines() == [
        "cashplan report: interrupted; nothing half-written is left"
    ]
    _wait_for(lambda: _temporary(out) == [], "the cleanup")
    assert not out.exists()


@pytest.mark.parametrize("when", ["the temporary folder", "the kernel"])
def test_sigterm_to_the_command_leaves_nothing(book: Path, tmp_path: Path, when: str) -> None:
    # one report runs in the command's own process: SIGTERM must clean up there too, and
    # leave no kernel behind (an orphaned kernel held the command's pipes open: a hang)
    out = tmp_path / "r"
    proc = _command_report(book, out)
    if when == "the kernel":
        _wait_for(lambda: psutil.Process(proc.pid).children() != [], when)
    else:
        _wait_for(lambda: any(p.is_dir() for p in _temporary(out)), when)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=DEADLINE)
    assert proc.returncode != 0
    _wait_for(lambda: _temporary(out) == [], "the cleanup")
    assert not out.exists()
    _wait_for(lambda: not _group_alive(proc.pid), "the end of every process of the command")


def test_sigterm_to_a_parallel_run_returns_only_once_its_jobs_cleaned_up(
    tmp_path: Path,
) -> None:
    # the command used to exit at once, leaving its jobs (and their folders) behind
    books = [_small_book(tmp_path / "books" / name) for name in ("a", "b")]
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cashplan",
            "report",
            *map(str, books),
            "--as-of",
            AS_OF,
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
    )
    _wait_for(lambda: len(list(out.glob(".*.tmp"))) == 2, "both temporary folders")
    proc.send_signal(signal.SIGTERM)  # to the command only, as `timeout` or systemd does
    proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 128 + signal.SIGTERM
    assert list(out.iterdir()) == []  # at once: no folder, no lock
    assert not _group_alive(proc.pid)


def test_a_path_with_dots_is_recorded_without_them(tmp_path: Path) -> None:
    from cashplan.app.report import _absolute

    assert _absolute(tmp_path / "x" / ".." / "book") == tmp_path / "book"


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_same_inputs_give_a_byte_identical_report(book: Path, tmp_path: Path) -> None:
    first = run_report(book, AS_OF, tmp_path / "r1", parameters={"catch_up": 2})
    second = run_report(book, AS_OF, tmp_path / "r2", parameters={"catch_up": 2})
    assert _hashes(first) == _hashes(second)
    assert str(tmp_path) not in (first / "report.ipynb").read_text().replace(str(book), "")


@pytest.mark.parametrize(
    ("param", "name"),
    [
        ("threshold=NaN", "threshold"),
        ("threshold=1e999", "threshold"),
        ("discount_rate=-5", "discount_rate"),
        ('spending={"salaries": "x"}', "spending"),
        ("catch_up=0", "catch_up"),
        ("dispute_policy=ignore", "dispute_policy"),
        ("as_of=2020-01-01", "as_of"),
        ("out=/tmp/elsewhere", "out"),
    ],
)
def test_each_parameter_is_checked_with_its_range(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], param: str, name: str
) -> None:
    out = tmp_path / "r"
    assert main(["report", str(book), "--as-of", AS_OF, "--out", str(out), "--param", param]) == 2
    err = capsys.readouterr().err
    assert f"`{name}`" in err and "Fix:" in err and "Traceback" not in err
    assert not out.exists() and _temporary(out) == []


def test_the_workbook_and_the_notebook_check_settings_as_the_report_does() -> None:
    from cashplan.app.analysis import Settings
    from cashplan.core.errors import CashplanError

    for bad in ({"threshold": float("nan")}, {"k": 0}, {"discount_rate": -5.0}):
        with pytest.raises(CashplanError, match="must be"):
            Settings(as_of=AS_OF, **bad)  # type: ignore[arg-type]


def test_two_books_named_alike_never_share_a_report_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = _small_book(tmp_path / "x" / "acme")
    two = _small_book(tmp_path / "y" / "ACME")
    out = tmp_path / "reports"
    assert main(["report", str(one), str(two), "--as-of", AS_OF, "--out", str(out)]) == 2
    assert "would both be reported" in capsys.readouterr().err
    assert not out.exists()


def test_force_never_deletes_what_cashplan_did_not_write(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hostile tester's finds: hidden files in a book, a note in a report, a link, an --out
    inside the book, a name with glob characters, look-alike temporary folders."""
    (book / ".git").mkdir()
    (book / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert main(["sample", "--out", str(book), "--invoices", "600", "--force"]) == 2
    assert "not a book" in capsys.readouterr().err
    assert (book / ".git" / "HEAD").exists()
    report = tmp_path / "report"
    write_whole(report, lambda t: (t / "manifest.json").write_text(_MANIFEST), kind="report")
    (report / "my-comments.txt").write_text("the CFO's notes")
    assert main(["report", str(book), "--as-of", AS_OF, "--out", str(report), "--force"]) == 2
    assert (report / "my-comments.txt").read_text() == "the CFO's notes"
    link = tmp_path / "link"
    link.symlink_to(report)
    assert main(["report", str(book), "--as-of", AS_OF, "--out", str(link), "--force"]) == 2
    assert "is a link" in capsys.readouterr().err
    inside = book / "reports"
    assert main(["report", str(book), "--as-of", AS_OF, "--out", str(inside)]) == 2
    assert "inside the input" in capsys.readouterr().err and not inside.exists()
    mine = [
        tmp_path / ".precious.data.tmp",
        tmp_path / ".sb.mine.tmp",
        tmp_path / ".sb.0a1b2c3d.tmp",
    ]
    for folder in mine:
        folder.mkdir()
        (folder / "f.txt").write_text("mine")
    clean_stale(tmp_path / "*")
    clean_stale(tmp_path / "sb")
    assert all((folder / "f.txt").exists() for folder in mine)  # no lock of ours: not ours


_MANIFEST = '{"cashplan": "0", "outputs": []}'


def _command_report(book: Path, out: Path) -> subprocess.Popen[bytes]:
    """``cashplan report`` of ``book`` into ``out``, started in its own process group (as a
    terminal's foreground job), its output piped."""
    command = [sys.executable, "-m", "cashplan", "report", str(book), "--as-of", AS_OF]
    return subprocess.Popen(
        [*command, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
    )
