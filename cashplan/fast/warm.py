"""The compiled loops built ahead of a report: when the wheel is built, shipped inside it.

A report compiles each loop of :mod:`cashplan.fast` once, for the argument types it
passes (about 40 s on an idle machine, several minutes on a loaded one), then loads
it from the cache (:func:`cashplan.fast.config.cache_dir`). So that the first report
after ``pip install`` loads rather than compiles, the wheel is built with those loops
compiled (``_build/backend.py``, the project's build backend): :func:`compile_all`
compiles every loop for the types listed in ``signatures.txt`` (written by
:func:`record` after a sample report), into a folder shipped in the wheel
(``cashplan/fast/_compiled``), which :mod:`cashplan.fast.config` copies into the
user's cache on the first use of each module.

The types are those the package passes (the frames' int64, float64 and bool
columns, C-contiguous); a loop called with other types compiles then, as before.
The shipped code is used only where it fits: numba checks each module's sha256, its
own version, the Python version and the CPU, and compiles again on any difference.

Examples
--------
>>> table = signatures()
>>> ("delays", "_delay_cdfs") in {(m, f) for m, f, _ in table}
True
>>> all(isinstance(sig, tuple) for _, _, sig in table)
True
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Any

from numba.core import types
from numba.core.registry import CPUDispatcher

__all__ = ["SIGNATURES", "compile_all", "dispatchers", "record", "signatures"]

SIGNATURES = Path(__file__).with_name("signatures.txt")
_NAMESPACE = {k: v for k, v in vars(types).items() if not k.startswith("_")}


def dispatchers() -> dict[tuple[str, str], Any]:
    """Every compiled loop of :mod:`cashplan.fast`, by (module, function) name."""
    import cashplan.fast as fast

    found: dict[tuple[str, str], Any] = {}
    for info in pkgutil.iter_modules(fast.__path__):
        module = importlib.import_module(f"cashplan.fast.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                found[info.name, name] = value
    return found


def _parse(text: str) -> tuple[Any, ...]:
    value = eval(text, {"__builtins__": {}}, _NAMESPACE)  # numba's own reprs, from our file
    return value if isinstance(value, tuple) else (value,)


def _reads_back(text: str, sig: tuple[Any, ...]) -> bool:
    try:
        return _parse(text) == sig
    except (NameError, SyntaxError, TypeError):
        return False


def signatures(path: Path = SIGNATURES) -> list[tuple[str, str, tuple[Any, ...]]]:
    """The (module, function, argument types) of ``path``, one loop and types a line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            module, function, sig = line.split("\t")
            rows.append((module, function, _parse(sig)))
    return rows


def record(path: Path = SIGNATURES) -> int:
    """Write the argument types each loop was compiled for in this process to ``path``.

    Run after a sample report in the same process (``_build/record.py``); returns the
    number of lines written.
    """
    lines = ["# the loops' argument types in a sample report: written by cashplan.fast.warm.record"]
    for (module, function), dispatcher in sorted(dispatchers().items()):
        for sig in dispatcher.signatures:
            text = repr(tuple(sig))
            if _reads_back(text, tuple(sig)):  # else a literal of a call between loops
                lines.append(f"{module}\t{function}\t{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def compile_all(path: Path = SIGNATURES) -> int:
    """Compile (or load from the cache) every loop for the types of ``path``; the count.

    A line that no longer fits its loop (renamed, or its arguments changed since
    :func:`record`) is skipped and named on stderr: that loop compiles at the first
    report, the others are still built ahead.
    """
    found = dispatchers()
    done = 0
    for module, function, sig in signatures(path):
        loop = found.get((module, function))
        try:
            if loop is None:
                raise KeyError("no such loop")
            loop.compile(sig)
            done += 1
        except Exception as err:  # numba's typing errors have no common base
            print(f"{module}.{function}: not compiled ahead ({err!s:.200})", file=sys.stderr)
    return done


if __name__ == "__main__":  # python -m cashplan.fast.warm: compile into the cache
    print(compile_all(Path(sys.argv[1]) if len(sys.argv) > 1 else SIGNATURES))
