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
