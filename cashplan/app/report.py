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

The book is read and checked once, before the notebook starts (a bad book stops there):
the checked tables are saved as a snapshot in the temporary folder
(:mod:`cashplan.io.snapshot`), named to the kernel by an environment variable (never a
parameter: the executed notebook holds no temporary path), loaded by ``nb.load`` when
the book's files are still the ones read, and removed before the manifest is written.

The kernel is started first, before anything heavy is imported here (about 0.2 s after the
command starts), and its start and imports take about 2 s: meanwhile this process checks
the book and computes the notebook's analysis itself (:func:`_hand_over`), which it hands
to the kernel like the snapshot (a pickle beside it, named by
:data:`~cashplan.app.notebook.ANALYSIS_ENV`, removed with it). ``nb.load`` takes it only
when it was made from the same files and settings: the notebook's cells then only show
it, and the notebook re-run anywhere else computes it as before.

Several books or companies run in parallel (``run_reports``); one that fails is
reported and does not stop the others.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cashplan.app.jupyter import skip_slow_uri_grammar

if TYPE_CHECKING:
    from cashplan.core.errors import CashplanError

# Nothing here imports pandas (nor the rest of cashplan) at import: ``run_report`` starts
# the kernel first, and imports what it needs while the kernel starts.

__all__ = [
    "REPORT_NOTEBOOK",
    "ReportJob",
    "report_parameters",
    "run_report",
    "run_report_here",
    "run_reports",
    "to_html",
]

NOTEBOOKS = Path(__file__).parent / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS / "02-monthly-report.ipynb"
_TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
_PLOTLY = "application/vnd.plotly.v1+json"
_INTERNAL = {"book", "as_of", "company", "out", "previous"}  # set by the command itself
_SNAPSHOT = ".book-snapshot"
_ANALYSIS = ".analysis.pickle"


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


def _error(message: str) -> CashplanError:
    """A :class:`~cashplan.core.errors.CashplanError` (its module, which imports pandas,
    imported only when one is raised)."""
    from cashplan.core.errors import CashplanError

    return CashplanError(message)


def _check(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter known to the notebook and within its range (:mod:`cashplan.core.params`)."""
    from cashplan.core.params import check_parameters

    known = report_parameters()
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        listing = "\n".join(
            f"  {n} ({p['type']}, default {p['default']}): {p['help']}"
            for n, p in known.items()
            if n not in _INTERNAL
        )
        raise _error(
            f"unknown report parameter(s) {', '.join(unknown)}; the report takes:\n{listing}"
        )
    return check_parameters(parameters)


def to_html(notebook: Path) -> str:
    """The executed notebook as a self-contained HTML page: no code, charts drawn offline."""
    import nbformat
    import plotly.io as pio

    nb = nbformat.read(notebook, as_version=4)
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _PLOTLY in data:
                data["text/html"] = pio.to_html(
                    data.pop(_PLOTLY),
                    include_plotlyjs=(n == 0),
                    full_html=False,
                    div_id=f"chart-{n}",
                    config={"displaylogo": False},
                    # as the kernel's plotly made and checked it: not built again as a
                    # Figure (0.1 s a chart); the page's JSON keeps the notebook's key order
                    validate=False,
                )
                n += 1
    body, _ = _exporter().from_notebook_node(nb)
    return str(body)


_EXPORTER_LOCK = threading.Lock()


def _exporter() -> Any:
    """The HTML exporter, its templates compiled once per process (the first use waits
    for one being built by :func:`_prepare_export`)."""
    with _EXPORTER_LOCK:
        return _new_exporter()


@functools.cache
def _new_exporter() -> Any:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="cashplan_report",  # the lab page with nothing fetched from the network
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"interactive"}), True)
    exporter.from_notebook_node(
        nbformat.from_dict(_WARM_UP)
    )  # compiles the templates: jinja keeps them
    return exporter


_WARM_UP = {
    "cells": [
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Warm-up"},
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "c",
            "metadata": {},
            "source": "",
            "outputs": [
                {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<p>"}}
            ],
        },
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _prepare_export() -> None:
    """Import and compile what ``to_html`` needs, in a thread while the kernel runs the
    notebook (this process only waits for it then): about 1 s off the export. Best effort:
    a failure here shows again, with its message, when ``to_html`` runs.

    IPython is imported here first: the kernel's start imports it in this thread while
    nbconvert imports it in the other, and the two imports, each holding a module the
    other waits for (pygments' lexers), broke with "cannot import name 'PythonLexer'"."""
    import IPython  # noqa: F401  # the kernel's start needs it anyway

    def prepare() -> None:
        with contextlib.suppress(Exception):
            import plotly.io  # noqa: F401

            _exporter()

    threading.Thread(target=prepare, name="cashplan-prepare-export", daemon=True).start()


@dataclass(frozen=True)
class ReportJob:
    """One report to write: a book, a company (or all) and the folder."""

    book: Path
    out: Path
    company: str = ""
    previous: Path | None = None  # last month's report folder (the review), if any


def run_report(
    book: str | Path,
    as_of: str,
    out: str | Path,
    company: str = "",
    parameters: Mapping[str, Any] | None = None,
    force: bool = False,
    previous: str | Path | None = None,
) -> Path:
    """Write the report folder ``out`` for ``book`` at ``as_of`` (see the module doc).

    ``out`` may replace only a report written by cashplan, and only with ``force``
    (:func:`cashplan.io.folders.check_target`); it is never the book or a folder holding it.
    ``previous``, last month's report folder of the same book, adds the monthly review
    (:mod:`cashplan.planning.review`); one of another book, scope or currency, or not
    before ``as_of``, is refused before the notebook runs
    (:func:`cashplan.io.previous.check_previous`).
    """
    from cashplan.app._job import children, end_children

    book, out = _absolute(book), _absolute(out)
    running = children()
    try:
        with _kernel() as km:  # it starts while this process checks the book
            return _run(book, as_of, out, company, parameters, force, previous, km)
    except BaseException:  # a signal while the kernel starts: its process unknown to km yet
        from cashplan.io.signals import held  # no pandas: a signal may have cut its import

        with held(again=False):
            end_children(keep=running)
        raise


def _absolute(path: str | Path) -> Path:
    """``path`` absolute and without ``..`` (the manifest and the notebook record it: the same
    book gives the same bytes however its path was written)."""
    return Path(os.path.abspath(path))


def _run(
    book: Path,
    as_of: str,
    out: Path,
    company: str,
    parameters: Mapping[str, Any] | None,
    force: bool,
    previous: str | Path | None,
    km: Any,
) -> Path:
    """``run_report`` with the kernel ``km`` started (see :func:`_kernel`)."""
    from cashplan.app.analysis import check_as_of
    from cashplan.core.params import check_against_book
    from cashplan.io.book import read_book, save_snapshot
    from cashplan.io.folders import check_target, write_whole
    from cashplan.io.snapshot import remove_snapshot
    from cashplan.planning.targets import CATEGORIES

    parameters = _check(dict(parameters or {}))
    check_target(out, kind="report", force=force, protected=[book])
    default = ast.literal_eval(report_parameters()["currency"]["default"])
    currency = str(parameters.get("currency", default))
    data = read_book(book, reporting_currency=currency)  # a bad book stops here, cleanly
    check_as_of(data, as_of)  # so does an as-of before its first invoice
    check_against_book(  # and a company or a category the book does not have
        parameters,
        data.companies,
        [*CATEGORIES, *data.spending["category"].unique()],
    )
    if company and company not in data.companies:
        raise _error(f"no company {company!r} in {book}; it has: " + ", ".join(data.companies))
    values = {**parameters, "book": str(book), "as_of": as_of, "company": company}
    last = _previous(previous, data, as_of, company, out)
    if last is not None:
        values["previous"] = str(last.folder)

    def build(tmp: Path) -> None:
        snapshot = tmp / _SNAPSHOT  # the book as checked here: the notebook does not read it again
        analysis = tmp / _ANALYSIS  # and its figures, computed here while the kernel starts
        try:
            save_snapshot(data, snapshot)
            _hand_over(data, analysis, values)
            _prepare_export()
            _enter(km, tmp, snapshot, analysis)
            _execute(tmp, values, km)
        finally:  # neither is ever part of the report
            remove_snapshot(snapshot)
            analysis.unlink(missing_ok=True)
        (tmp / "report.html").write_text(to_html(tmp / "report.ipynb"), encoding="utf-8")
        _write_manifest(tmp, values, data, last)

    write_whole(out, build, kind="report", force=force, protected=[book])
    return out


_HAND_OVER_MAX = 250_000  # invoices: a larger book's analysis is computed by the kernel


def _hand_over(data: Any, path: Path, values: Mapping[str, Any]) -> None:
    """The notebook's analysis computed here, while the kernel starts, and saved as ``path``
    (:func:`cashplan.app.notebook.hand_over`): the kernel then only shows it. Best effort:
    an analysis that fails here fails again in the notebook, which reports it as usual.

    Not for a book of more than :data:`_HAND_OVER_MAX` invoices: its analysis takes far
    longer than the kernel's start, and its pickle (about 350 bytes an invoice) would be
    written and read again for little gain."""
    if len(data.invoices) > _HAND_OVER_MAX:
        return
    from cashplan.app.notebook import hand_over

    try:
        defaults = {n: ast.literal_eval(p["default"]) for n, p in report_parameters().items()}
        hand_over(data, path, {**defaults, **values})  # what the parameters cell will hold
    except Exception:
        path.unlink(missing_ok=True)


def _previous(previous: str | Path | None, data: Any, as_of: str, company: str, out: Path) -> Any:
    """Last month's report, read and checked against this one (None without one)."""
    if previous is None or str(previous) == "":
        return None
    from cashplan.io.previous import check_previous, read_previous

    folder = Path(previous).absolute()
    if folder.resolve() == Path(out).resolve():  # also through a link or '..
        raise _error(
            f"--previous {folder} is the folder this report is written to. Fix: write this "
            "month's report into another folder than last month's."
        )
    last = read_previous(folder)
    check_previous(last, data, as_of, company)
    return last


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` for what starts meanwhile (the notebook's kernel copies the
    environment when it starts), as it was before afterwards."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _execute(tmp: Path, values: Mapping[str, Any], km: Any = None) -> None:
    """Run the notebook in ``tmp`` (its tables go there, ``out = "."``); make it reproducible.

    ``km``: the kernel to run it in (:func:`_kernel`, moved into ``tmp`` by :func:`_enter`);
    None: papermill starts one in ``tmp``, with this process's environment."""
    skip_slow_uri_grammar()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(REPORT_NOTEBOOK),
            str(tmp / "report.ipynb"),
            parameters={**values, "out": "."},
            kernel_name=_KERNEL,
            km=km,
            progress_bar=False,
            # written once at the end, not twice per cell (about 70 writes, each validated:
            # 1-2 s of a warm report); a failed run's folder is removed anyway
            request_save_on_cell_execute=False,
            cwd=str(tmp),
            # every file is written and closed when the last cell has answered: the
            # kernel is stopped at once, not asked to tear itself down (about 1 s)
            shutdown_kernel="immediate",
            store_widget_state=False,
            extra_arguments=_KERNEL_ARGS,
        )
    except PapermillExecutionError as err:
        raise _error(
            f"the report failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
        ) from None
    _make_reproducible(tmp / "report.ipynb")


_KERNEL = "python3"
_KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"]
_PRELOAD = (  # what the notebook's cells import first (no output, no execution count)
    "from cashplan.app.jupyter import skip_slow_uri_grammar; skip_slow_uri_grammar()",
    "import cashplan.app.notebook, cashplan.app.charts; cashplan.app.notebook.warm_up()",
    # not statsforecast (new sales' AutoETS, 1-2 s): the command computes the analysis
    # (_hand_over); the kernel imports it only should it compute the analysis itself
)
_WAIT = 60.0  # seconds for the kernel to start, or to answer the set-up (papermill's default)


@contextlib.contextmanager
def _kernel() -> Iterator[Any]:
    """A kernel for the report's notebook, started now: its start and its imports
    (:data:`_PRELOAD`, about 2 s) run while this process checks the book. Stopped at once
    on the way out, whatever happened (every file is written when the last cell answers).

    It starts in the package's notebooks folder (no module there shadows cashplan) with
    this process's environment, and is moved into the report's folder by :func:`_enter`.
    """
    skip_slow_uri_grammar()
    with _signals_after():  # pyzmq's set-up, cut short by a Ctrl-C, crashed the command
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=_KERNEL)
    preload = [f"--IPKernelApp.exec_lines={line}" for line in _PRELOAD]

    async def start() -> None:
        await km.start_kernel(extra_arguments=[*_KERNEL_ARGS, *preload], cwd=str(NOTEBOOKS))

    try:  # a signal while it starts stops it too
        run_sync(start)()
        yield km
    finally:
        _stop(km)


@contextlib.contextmanager
def _signals_after() -> Iterator[None]:
    """SIGINT or SIGTERM received inside takes effect on the way out, with the handler it
    would have met (main thread only; elsewhere nothing changes). Around the import of the
    kernel's client, now in the command's first second: a Ctrl-C that landed in pyzmq's
    module set-up crashed the process (a segfault)."""
    from cashplan.io.signals import held  # imports no pandas: this is the first second

    with held(again=True):
        yield


def _stop(km: Any) -> None:
    """Kill the kernel's process and remove its connection file, without an event loop (a
    signal may have cut one short); never hides the error that ended the report."""
    from cashplan.io.signals import held  # no pandas: a signal may have cut its import

    process = getattr(getattr(km, "provisioner", None), "process", None)
    with held(again=False), contextlib.suppress(Exception):  # a second Ctrl-C included
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=_WAIT)
        km.cleanup_connection_file()


def _enter(km: Any, tmp: Path, snapshot: Path, analysis: Path | None = None) -> None:
    """Move the kernel ``km`` into ``tmp`` (its working folder) and name it the snapshot
    (:data:`~cashplan.io.snapshot.SNAPSHOT_ENV`) and the analysis handed over, if any
    (:data:`~cashplan.app.notebook.ANALYSIS_ENV`): silent, nothing in the notebook."""
    from jupyter_core.utils import run_sync

    from cashplan.app.notebook import ANALYSIS_ENV
    from cashplan.io.snapshot import SNAPSHOT_ENV

    names = {SNAPSHOT_ENV: snapshot}
    if analysis is not None and analysis.exists():
        names[ANALYSIS_ENV] = analysis
    code = f"import os\nos.chdir({str(tmp)!r})\n" + "\n".join(
        f"os.environ[{name!r}] = {str(path)!r}" for name, path in names.items()
    )

    async def enter() -> dict[str, Any]:
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=_WAIT)
            msg_id = kc.execute(code, silent=True, store_history=False)
            while True:
                reply: dict[str, Any] = await kc.get_shell_msg(timeout=_WAIT)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply
        finally:
            kc.stop_channels()

    reply = run_sync(enter)()
    if reply["content"].get("status") != "ok":
        content = reply["content"]
        raise _error(
            f"the report's kernel could not start in {tmp}: "
            f"{content.get('ename')}: {content.get('evalue')}"
        )


def _make_reproducible(path: Path) -> None:
    """Drop what changes from run to run: timings, the temporary paths, the injected cell's id."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    run = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {k: run[k] for k in ("parameters", "version") if k in run}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):  # "<... Styler at 0x7f...>": a memory address
                output["data"]["text/plain"] = _ADDRESS.sub(">", text)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    nbformat.write(nb, path)


def _write_manifest(tmp: Path, values: Mapping[str, Any], data: Any, previous: Any = None) -> None:
    from cashplan import __version__
    from cashplan.io.book import file_sha256

    written = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = {
        "cashplan": __version__,
        "as_of": values["as_of"],
        "company": values["company"] or "ALL",
        "reporting_currency": data.reporting_currency,
        "parameters": dict(values),
        "notebook": {"file": REPORT_NOTEBOOK.name, "sha256": file_sha256(REPORT_NOTEBOOK)},
        "inputs": [
            {"table": s.table, "file": str(Path(s.path).absolute()), "sha256": s.sha256}
            for s in data.sources
        ],
        "outputs": [
            {"file": p.relative_to(tmp).as_posix(), "sha256": file_sha256(p)} for p in written
        ],
        "companies": data.companies,
    }
    if previous is not None:  # the review's lineage: last month's report, by its manifest
        manifest["previous"] = {
            "folder": str(previous.folder),
            "as_of": f"{previous.as_of:%Y-%m-%d}",
            "manifest_sha256": previous.manifest_sha256,
        }
    text = json.dumps(manifest, indent=2, allow_nan=False) + "\n"
    (tmp / "manifest.json").write_text(text, "utf-8")


def run_reports(
    jobs: Sequence[ReportJob],
    as_of: str,
    parameters: Mapping[str, Any],
    force: bool = False,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> dict[ReportJob, Path | Exception]:
    """Run several reports in parallel; each result is its folder or the error it raised.

    Each report runs in a process of its own (:mod:`cashplan.app._job`), with every path
    made absolute first, so no job sees another's working directory. On Ctrl-C (or any
    error here) the running jobs are stopped: each removes its temporary folder.
    """
    parameters = _check(parameters)
    runner = _Runner(as_of, parameters, force)
    results: dict[ReportJob, Path | Exception] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:  # the results are keyed by the jobs as given; the processes get absolute paths
        futures = {pool.submit(runner.run, job): job for job in jobs}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress is not None:
                with contextlib.suppress(Exception):
                    progress(1)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        runner.stop()
        raise
    finally:
        pool.shutdown(wait=True)
    return results


class _Runner:
    """Runs report jobs as child processes and stops them all on request."""

    def __init__(self, as_of: str, parameters: Mapping[str, Any], force: bool) -> None:
        self.spec = {"as_of": as_of, "parameters": dict(parameters), "force": force}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.lock = threading.Lock()
        self.stopping = False

    def run(self, job: ReportJob) -> Path | Exception:
        spec = {
            **self.spec,
            "book": str(Path(job.book).absolute()),
            "out": str(Path(job.out).absolute()),
            "company": job.company,
            "previous": str(Path(job.previous).absolute()) if job.previous else "",
        }
        with self.lock:
            if self.stopping:
                return _error("stopped before it started")
            proc = subprocess.Popen(
                # -P: not the working folder first on the path, where a checkout's
                # cashplan (the README's `pip install .` folder) would shadow the installed one
                [sys.executable, "-P", "-m", "cashplan.app._job", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C reaches the command, which stops the jobs
                env=_child_env(),
            )
            self.procs.append(proc)
        stdout, stderr = proc.communicate(json.dumps(spec).encode())
        return _job_result(proc.returncode, stdout, stderr)

    def stop(self) -> None:
        """SIGTERM every running job (each cleans up), then SIGKILL what is left after 60 s."""
        with self.lock:
            self.stopping = True
            procs = [p for p in self.procs if p.poll() is None]
        for sig, wait in ((signal.SIGTERM, 60.0), (signal.SIGKILL, 10.0)):
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            try:
                for proc in procs:
                    proc.wait(timeout=wait)
                return
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                continue


def run_report_here(job: ReportJob, as_of: str, parameters: Mapping[str, Any], force: bool) -> Path:
    """One report in this process (the command with one book and one company).

    What a job process would do, without a second interpreter importing everything again
    (about 2 s of a warm report): SIGTERM ends the report like an error, so its temporary
    folder is removed (Ctrl-C does the same through ``KeyboardInterrupt``), and the kernel
    sees this cashplan first on its path, as a job's does. Only for a process running one
    report: papermill changes the process's working directory while the notebook runs.
    """
    from cashplan.app._job import sigterm_ends

    with sigterm_ends(watch=True), _environment("PYTHONPATH", _child_env()["PYTHONPATH"]):
        return run_report(
            _absolute(job.book),
            as_of,
            _absolute(job.out),
            job.company,
            parameters,
            force,
            Path(job.previous).absolute() if job.previous else None,
        )


def _child_env() -> dict[str, str]:
    """The environment of a job: this process's, with this cashplan first on the path."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _job_result(code: int, stdout: bytes, stderr: bytes) -> Path | Exception:
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if code == 0 and "out" in answer:
        return Path(answer["out"])
    if "error" in answer:
        return _error(answer["error"])
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    return _error(f"the report process stopped ({how}): " + " | ".join(tail))
