"""``cashplan report``: run the monthly report notebook with papermill into a report folder.

The folder (``data-format.md``) is built in a temporary folder beside the target
and renamed into place only when everything succeeded: a failed run never leaves
a half-written report, and an existing report is replaced only with ``force``.

- ``report.ipynb``: the executed notebook (what an auditor re-runs);
- ``report.html``: the same without code, charts included with plotly.js embedded
  once, so it reads offline;
- the CSV tables, ``battle-plan.xlsx`` and ``reminders/`` (written by the notebook
  itself, from the figures it shows);
- ``manifest.json``: version, parameters, as-of, reporting currency, and the
  sha256 of every input file and of every file written.

Several books or companies run in parallel (``run_reports``); one that fails is
reported and does not stop the others.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashplan._fast import skip_slow_uri_grammar
from cashplan.errors import CashplanError

__all__ = [
    "REPORT_NOTEBOOK",
    "ReportJob",
    "report_parameters",
    "run_report",
    "run_reports",
    "to_html",
]

NOTEBOOKS = Path(__file__).parent / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS / "02-monthly-report.ipynb"
_PLOTLY = "application/vnd.plotly.v1+json"
_INTERNAL = {"book", "as_of", "company", "out"}  # set by the command itself


@functools.cache
def report_parameters() -> dict[str, dict[str, Any]]:
    """The report notebook's parameters: name -> type, default and help (from its cell).

    Read once per process: the notebook is part of the installed package.
    """
    skip_slow_uri_grammar()
    import papermill

    return {
        name: {"type": p["inferred_type_name"], "default": p["default"], "help": p["help"]}
        for name, p in papermill.inspect_notebook(str(REPORT_NOTEBOOK)).items()
    }


def _check(parameters: Mapping[str, Any]) -> None:
    known = report_parameters()
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        listing = "\n".join(
            f"  {n} ({p['type']}, default {p['default']}): {p['help']}"
            for n, p in known.items()
            if n not in _INTERNAL
        )
        raise CashplanError(
            f"unknown report parameter(s) {', '.join(unknown)}; the report takes:\n{listing}"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def to_html(notebook: Path) -> str:
    """The executed notebook as a self-contained HTML page: no code, charts drawn offline."""
    import nbformat
    import plotly.graph_objects as go
    import plotly.io as pio
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _PLOTLY in data:
                fig = go.Figure(data.pop(_PLOTLY))
                data["text/html"] = pio.to_html(
                    fig,
                    include_plotlyjs=(n == 0),
                    full_html=False,
                    div_id=f"chart-{n}",
                    config={"displaylogo": False},
                )
                n += 1
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"interactive"}), True)
    body, _ = exporter.from_notebook_node(nb)
    return str(body)


@dataclass(frozen=True)
class ReportJob:
    """One report to write: a book, a company (or all) and the folder."""

    book: Path
    out: Path
    company: str = ""


def run_report(
    book: str | Path,
    as_of: str,
    out: str | Path,
    company: str = "",
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
) -> Path:
    """Write the report folder ``out`` for ``book`` at ``as_of`` (see the module doc)."""
    skip_slow_uri_grammar()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cashplan import __version__
    from cashplan.analysis import check_as_of
    from cashplan.book import read_book

    out = Path(out).absolute()
    parameters = dict(parameters or {})
    _check(parameters)
    if out.exists() and any(out.iterdir()) and not force:
        raise CashplanError(f"{out} already holds a report; pass --force to replace it")
    default = ast.literal_eval(report_parameters()["currency"]["default"])
    currency = str(parameters.get("currency", default))
    data = read_book(book, reporting_currency=currency)  # a bad book stops here, cleanly
    check_as_of(data, as_of)  # so does an as-of before its first invoice
    if company and company not in data.companies:
        raise CashplanError(
            f"no company {company!r} in {book}; it has: " + ", ".join(data.companies)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    values = {
        **parameters,
        "book": str(Path(book).absolute()),
        "as_of": as_of,
        "company": company,
        "out": str(tmp),
    }
    try:
        try:
            papermill.execute_notebook(
                str(REPORT_NOTEBOOK),
                str(tmp / "report.ipynb"),
                parameters=values,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(tmp),
                store_widget_state=False,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as err:
            raise CashplanError(
                f"the report failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
            ) from None
        (tmp / "report.html").write_text(to_html(tmp / "report.ipynb"), encoding="utf-8")
        written = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "cashplan": __version__,
            "as_of": as_of,
            "company": company or "ALL",
            "reporting_currency": data.reporting_currency,
            "parameters": {k: v for k, v in values.items() if k != "out"},
            "notebook": {"file": REPORT_NOTEBOOK.name, "sha256": _sha256(REPORT_NOTEBOOK)},
            "inputs": [
                {"table": s.table, "file": str(Path(s.path).absolute()), "sha256": s.sha256}
                for s in data.sources
            ],
            "outputs": [{"file": str(p.relative_to(tmp)), "sha256": _sha256(p)} for p in written],
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is removed only once ``tmp`` is in place."""
    os.chmod(tmp, 0o755)
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def run_reports(
    jobs: Sequence[ReportJob],
    as_of: str,
    parameters: Mapping[str, Any],
    force: bool = False,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> dict[ReportJob, Path | Exception]:
    """Run several reports in parallel; each result is its folder or the error it raised."""
    _check(parameters)
    results: dict[ReportJob, Path | Exception] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            pool.submit(run_report, j.book, as_of, j.out, j.company, parameters, force): j
            for j in jobs
        }
        for future in as_completed(futures):
            job = futures[future]
            try:
                results[job] = future.result()
            except Exception as err:  # reported per job; the others go on
                results[job] = err
            if progress is not None:
                with contextlib.suppress(Exception):
                    progress(1)
    return results
