"""What is worked out once per object and kept beside it while it lives.

Book tables and fitted pieces are never changed in place (``Analysis.replace`` makes
new ones), so what depends only on one of them can be kept with it: a cache keyed by the
object's identity (DataFrames cannot be weak keys: they are not hashable), whose entry is
dropped when the object is garbage-collected.

Examples
--------
>>> import gc
>>> import pandas as pd
>>> table = pd.DataFrame({"a": [1, 2]})
>>> memo = kept(table)
>>> memo["total"] = int(table["a"].sum())
>>> kept(table)["total"], id(table) in _KEPT
(3, True)
>>> key = id(table)
>>> del table, memo
>>> _ = gc.collect()
>>> key in _KEPT
False
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["kept"]

# id(object) -> (a weak reference to it, what is kept beside it)
_KEPT: dict[int, tuple[weakref.ref[Any], dict[Any, Any]]] = {}


def kept(obj: Any) -> dict[Any, Any]:
    """The dict kept beside ``obj`` while it lives (empty the first time); see the module doc.

    ``obj`` must accept weak references and must not be changed in place while the dict
    holds what was worked out from it.
    """
    entry = _KEPT.get(id(obj))
    if entry is None or entry[0]() is not obj:
        entry = _KEPT[id(obj)] = (weakref.ref(obj), {})
        weakref.finalize(obj, _KEPT.pop, id(obj), None)
    return entry[1]
