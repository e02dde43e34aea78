"""Write ``cashplan/fast/signatures.txt``: the loops' argument types in a sample report.

Run from the project folder after changing a loop or the types passed to it
(``python _build/record.py``): it runs the report notebook's cells on ``data/sample``
in this process, then records what numba compiled (:func:`cashplan.fast.warm.record`).
The types do not depend on the book's size, only on the code.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOK = Path("cashplan/app/notebooks/02-monthly-report.ipynb")


def main() -> None:
    from cashplan.fast.warm import record

    namespace: dict = {}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        exec(cell.source, namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(book="data/sample", out="", previous="")
    _small_book()  # the learned disputes' loops (the sample has no settled dispute)
    print(record(), "signatures written")


def _small_book() -> None:
    """Run the analysis of the small realistic book, whose disputes are learned."""
    from cashplan.app.analysis import Analysis, Settings
    from cashplan.io.book import Book
    from cashplan.sample import make_small_book

    book = Book.from_frames(**make_small_book("2026-10-31"))
    analysis = Analysis(book, Settings(as_of="2026-10-31"))
    analysis.plan, analysis.runway  # noqa: B018 (computed for the loops they compile)


if __name__ == "__main__":
    main()
