"""Output folders built beside and swapped in whole; a running job's folder is left alone."""

from __future__ import annotations

from pathlib import Path

from cashplan.io.folders import clean_stale, write_whole


def test_clean_stale_leaves_a_running_job_alone(tmp_path: Path) -> None:
    out = tmp_path / "r"
    seen: list[list[Path]] = []

    def build(tmp: Path) -> None:
        (tmp / "manifest.json").write_text('{"cashplan": "0", "outputs": []}')
        seen.append(clean_stale(out))  # another run starting meanwhile removes nothing live
        assert tmp.exists()

    write_whole(out, build, kind="report")
    assert seen == [[]] and (out / "manifest.json").exists()


def test_remove_unfinished_removes_only_the_folders_being_built(tmp_path: Path) -> None:
    from cashplan.io.folders import remove_unfinished

    write_whole(tmp_path / "done", lambda tmp: (tmp / "a").write_text("a"), kind="report")
    removed: list[list[Path]] = []

    def build(tmp: Path) -> None:
        (tmp / "half").write_text("x")
        removed.append(remove_unfinished())  # what a watchdog ending the process does
        raise RuntimeError("stop")

    try:
        write_whole(tmp_path / "r", build, kind="report")
    except RuntimeError:
        pass
    assert len(removed[0]) == 1 and removed[0][0].name.startswith(".r.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done"]
    assert remove_unfinished() == []  # a finished folder is no longer listed


def test_a_lock_left_without_its_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    # a run interrupted twice removed its temporary folder but not its lock file
    orphan = tmp_path / ".r.0123abcd.tmp.lock"
    orphan.write_text("")
    other = tmp_path / ".r.notours.tmp.lock"  # not a name cashplan gives: left alone
    other.write_text("")
    held = tmp_path / ".r.89abcdef.tmp"
    from cashplan.io.folders import _lock_of

    with _lock_of(held):  # a run starting right now holds its lock before its folder exists
        removed = clean_stale(tmp_path / "r")
    assert removed == [orphan] and not orphan.exists()
    assert other.exists() and Path(str(held) + ".lock").exists()


def test_a_swap_refused_leaves_no_lock_beside_the_folder(tmp_path: Path) -> None:
    import pytest

    from cashplan.core.errors import CashplanError

    out = tmp_path / "r"

    def build(tmp: Path) -> None:  # another run wrote the report meanwhile
        write_whole(out, lambda t: (t / "manifest.json").write_text(_MANIFEST), kind="report")
        (tmp / "manifest.json").write_text(_MANIFEST)

    with pytest.raises(CashplanError, match="already"):
        write_whole(out, build, kind="report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


_MANIFEST = '{"cashplan": "0", "outputs": []}'


def test_signals_are_held_back_while_a_cleanup_runs() -> None:
    import os
    import signal

    from cashplan.io.folders import signals_deferred

    before = signal.getsignal(signal.SIGTERM)
    with signals_deferred():
        os.kill(os.getpid(), signal.SIGTERM)  # would end the test process otherwise
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt here either
    assert signal.getsignal(signal.SIGTERM) is before
