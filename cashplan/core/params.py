"""The report's parameters checked once, each with its type and range, before anything runs.

A parameter given with ``--param`` (or to :func:`cashplan.app.report.run_report`)
is refused by name with what it must be, what was given and the fix: a NaN or
infinite number, a negative rate, a text where a number belongs, or a
parameter the command sets itself (``book``, ``as_of``, ``out``, ``company``).

Examples
--------
>>> check_parameters({"threshold": 55, "spending": {"salaries": 1.2e6}})
{'threshold': 55.0, 'spending': {'salaries': 1200000.0}}
>>> check_parameters({"threshold": float("nan")})
Traceback (most recent call last):
...
cashplan.core.errors.CashplanError: `threshold` must be a number from 0 to 100; got nan. Fix: ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cashplan.core.errors import CashplanError

__all__ = [
    "DISPUTE_POLICIES",
    "SET_BY_COMMAND",
    "check_against_book",
    "check_number",
    "check_parameters",
]

# parameters of the report notebook that the command itself sets, and the option to use
SET_BY_COMMAND = {
    "book": "BOOK",
    "as_of": "--as-of",
    "out": "--out",
    "company": "--company",
    "previous": "--previous",
}


def _refuse(name: str, must: str, value: Any, fix: str) -> CashplanError:
    return CashplanError(f"`{name}` must be {must}; got {value!r}. Fix: {fix}")


def check_number(
    name: str, value: Any, low: float, high: float, *, integer: bool = False
) -> float | int:
    """``value`` as a finite number within ``[low, high]``, or a :class:`CashplanError`.

    >>> check_number("catch_up", 3, 1, 12, integer=True)
    3
    >>> check_number("discount_rate", -5, 0, 0.5)
    Traceback (most recent call last):
    ...
    cashplan.core.errors.CashplanError: `discount_rate` must be a number from 0 to 0.5; got -5. ...
    """
    kind = "a whole number" if integer else "a number"
    must = f"{kind} from {low:g} to {high:g}"
    fix = f"give {name} a value from {low:g} to {high:g}, e.g. --param {name}={low:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(name, must, value, fix)
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise _refuse(name, must, value, fix)
    if integer:
        if number != int(number):
            raise _refuse(name, must, value, fix)
        return int(number)
    return number


def _spending(name: str, value: Any) -> dict[str, float]:
    fix = "give amounts per category, e.g. --param spending='{\"salaries\": 1200000}'"
    if not isinstance(value, Mapping):
        raise _refuse(name, "a mapping of category (or company/category) to an amount", value, fix)
    out = {}
    for key, amount in value.items():
        if not isinstance(key, str) or not key.strip():
            raise _refuse(name, "keyed by category names", key, fix)
        try:
            out[key] = float(check_number(name, amount, 0, 1e13))
        except CashplanError:
            must = f"a mapping of category to an amount from 0 to 1e13 (for {key!r})"
            raise _refuse(name, must, amount, fix) from None
    return out


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in allowed:
            listed = " or ".join(repr(a) for a in allowed)
            raise _refuse(name, listed, value, f"use --param {name}={allowed[0]}")
        return str(value)

    return check


def _currency(name: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise _refuse(name, "an ISO 4217 code of 3 capital letters", value, "e.g. EUR")
    return value


def _amounts(name: str, value: Any) -> float | dict[str, float]:
    """One amount for every company, or a mapping company -> amount (finite numbers)."""
    fix = f"give one amount, e.g. --param {name}=500000, or per company: {name}='{{\"FR01\": 5e5}}'"
    if isinstance(value, Mapping):
        out = {}
        for key, amount in value.items():
            try:
                out[str(key)] = float(check_number(name, amount, -1e13, 1e13))
            except CashplanError:
                raise _refuse(name, f"an amount for {key!r}", amount, fix) from None
        return out
    try:
        return float(check_number(name, value, -1e13, 1e13))
    except CashplanError:
        raise _refuse(name, "an amount or a mapping company -> amount", value, fix) from None


def _rates(name: str, value: Any) -> dict[str, float]:
    """A mapping lever -> success rate from 0 to 1 (the monthly review's learned rates)."""
    fix = f"give rates from 0 to 1 per lever, e.g. {name}={{'call': 0.55}}"
    if not isinstance(value, Mapping):
        raise _refuse(name, "a mapping of lever to a rate from 0 to 1", value, fix)
    out = {}
    for key, rate in value.items():
        try:
            out[str(key)] = float(check_number(name, rate, 0, 1))
        except CashplanError:
            raise _refuse(name, f"a rate from 0 to 1 for {key!r}", rate, fix) from None
    return out


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse(name, "true or false", value, f"use --param {name}=false")
    return value


def _by_company(
    low: float, high: float, *, integer: bool = False, keyed: str = "company"
) -> Callable[[str, Any], Any]:
    """One number for every company (unless ``keyed`` names other keys), or a mapping
    key -> number, each within ``[low, high]`` (the scenario levers of ``Settings``)."""

    def check(name: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for key, number in value.items():
                if not isinstance(key, str) or not key.strip():
                    raise _refuse(name, f"keyed by {keyed}", key, f"key {name} by {keyed}")
                out[key] = check_number(f"{name}[{key!r}]", number, low, high, integer=integer)
            return out
        if keyed != "company":
            raise _refuse(name, f"a mapping of {keyed} to a number", value, f"key it by {keyed}")
        return check_number(name, value, low, high, integer=integer)

    return check


DISPUTE_POLICIES = ("auto", "learned", "exclude", "long_delay")  # see forecasting/disputes.py

_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "lever_success": _rates,
    "learn_levers": _flag,
    "cash_floor": _amounts,
    "opening_cash": _amounts,
    "currency": _currency,
    "spending": _spending,
    "catch_up": lambda n, v: check_number(n, v, 1, 12, integer=True),
    "threshold": lambda n, v: check_number(n, v, 0, 100),
    "safety_margin": lambda n, v: check_number(n, v, 0, 1),
    "dispute_policy": _choice(*DISPUTE_POLICIES),
    "discount_rate": lambda n, v: check_number(n, v, 0, 0.5),
    "cost_of_funds": lambda n, v: check_number(n, v, 0, 1),
    # the scenario levers (Settings; core/scenarios.py's ranges)
    "sales_factor": _by_company(0, 10),
    "delay_shift_days": _by_company(0, 365, integer=True),
    "customer_delay": _by_company(
        0, 365, integer=True, keyed="customer_id (or company/customer_id)"
    ),
    "spending_add": _by_company(-1e13, 1e13, keyed="category (or company/category)"),
}


def check_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter checked (see the module doc); returns them typed.

    Unknown names are left to the caller, which knows the notebook's list.
    """
    out = {}
    for name, value in values.items():
        if name in SET_BY_COMMAND:
            raise CashplanError(
                f"`{name}` is set by the command, not by --param. "
                f"Fix: use {SET_BY_COMMAND[name]} instead."
            )
        check = _CHECKS.get(name)
        out[name] = check(name, value) if check else value
    return out


def check_against_book(
    parameters: Mapping[str, Any], companies: Sequence[str], categories: Sequence[str]
) -> None:
    """Refuse what names a company or a spending category the book does not have (a typo
    would otherwise add a category, or leave a company's floor at 0, silently).

    >>> check_against_book({"spending": {"salarie": 1.0}}, ["FR01"], ["salaries"])
    Traceback (most recent call last):
    ...
    cashplan.core.errors.CashplanError: `spending` names ...'salarie'...
    """
    known = set(companies)
    for name in ("spending", "spending_add"):  # keyed "category" or "COMPANY/category"
        for key in parameters.get(name) or {}:
            company, _, category = str(key).rpartition("/")
            if (company and company not in known) or category not in set(categories):
                raise CashplanError(
                    f"`{name}` names {key!r}: the book has no such "
                    + ("company" if company and company not in known else "category")
                    + f". Fix: use a category of {sorted(set(categories))}, optionally as "
                    f"COMPANY/category with a company of {sorted(known)}"
                )
    for name in ("sales_factor", "delay_shift_days"):
        value = parameters.get(name)
        unknown = sorted(set(map(str, value)) - known) if isinstance(value, Mapping) else []
        if unknown:
            raise CashplanError(
                f"`{name}` names {unknown}: no such company in the book. "
                f"Fix: use companies of {sorted(known)}"
            )
    floor = parameters.get("cash_floor")
    if isinstance(floor, Mapping):
        unknown = sorted(set(map(str, floor)) - known - {"ALL"})
        if unknown:
            raise CashplanError(
                f"`cash_floor` names {unknown}: no such company in the book. "
                f"Fix: use companies of {sorted(known)} (or ALL)"
            )
