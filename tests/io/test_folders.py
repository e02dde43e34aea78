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
