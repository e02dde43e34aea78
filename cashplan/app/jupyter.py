"""Running notebooks without waiting: what the report, the notebooks and the CI script share.

nbformat, papermill, nbclient and plotly's renderers import ``jsonschema``, which
imports the optional ``rfc3987_syntax``, when installed, and builds its grammar
(about 3 s, at every start of a process or a kernel). ``skip_slow_uri_grammar`` is
called explicitly, before importing them, never at import of cashplan.

Examples
--------
>>> skip_slow_uri_grammar()
>>> import sys
>>> "rfc3987_syntax" in sys.modules  # absent (None), or imported before
True
"""

from __future__ import annotations

import sys

__all__ = ["skip_slow_uri_grammar"]


def skip_slow_uri_grammar() -> None:
    """Stop ``jsonschema`` from building the ``rfc3987_syntax`` grammar (about 3 s).

    ``jsonschema`` imports that optional package, when installed, to check the
    ``uri`` formats of schemas; none of the Jupyter libraries validates such a format
    for our notebooks. Marking the module absent (unless it was imported already)
    makes ``jsonschema`` skip that checker. Called by the report command, the
    notebooks' ``setup`` and ``.ci/refresh-notebooks``.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
