"""The package stays ruff- and mypy-clean, and importing it has no side effects."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint_and_format():
    lint = _run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = _run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout


def test_mypy():
    result = _run("mypy")
    assert result.returncode == 0, result.stdout


def test_import_has_no_side_effects():
    # what pandas/numpy/pyarrow do at import is theirs: snapshot after importing them
    code = (
        "import warnings, logging, pandas, numpy, pyarrow; before = list(warnings.filters); "
        "import cashplan; assert warnings.filters == before, 'warning filters changed'; "
        "assert not logging.getLogger().handlers, 'logging configured'; import sys; "
        "assert 'plotly' not in sys.modules and 'papermill' not in sys.modules, 'heavy imports'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
