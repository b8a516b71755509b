"""German number and date formats, and "–" for values not shown; used by the UI and exports."""

from __future__ import annotations

import datetime as dt

from data_access.periods import month_end

# the one German month name (the registry's), for the callers that format from here
from teilhabe.definitions import MONTH_NAMES as MONTH_NAMES

# A value that is not shown: a rate of a too small group, or a figure the data cannot give.
NOT_SHOWN = "–"
# The minus sign of negative numbers (U+2212), not the hyphen "-"; exports write numbers.
MINUS = "\u2212"


def format_count(value: int | None) -> str:
    """``2380`` -> ``2.380``, ``-12`` -> ``−12``; no value (None) -> ``–``."""
    if value is None:
        return NOT_SHOWN
    text = f"{abs(value):,}".replace(",", ".")
    return MINUS + text if value < 0 else text


def format_decimal(value: float | None, digits: int = 1) -> str:
    """``1234.5`` -> ``1.234,5``, ``-3.6`` -> ``−3,6`` (a value that rounds to 0 has no
    sign); no value (None) -> ``–``."""
    if value is None:
        return NOT_SHOWN
    text = f"{abs(value):,.{digits}f}".translate(str.maketrans(",.", ".,"))
    return MINUS + text if value < 0 and text.strip("0,.") else text


def format_percent(value: float | None, digits: int = 1) -> str:
    """``24.3`` -> ``24,3 %``; a rate not shown (None: too small a group) -> ``–``."""
    if value is None:
        return NOT_SHOWN
    return f"{format_decimal(value, digits)}\u00a0%"


def format_change(value: float | None, digits: int = 1) -> str:
    """A change with its sign: ``+1,2``, ``−3,6``, ``0,0`` (no sign when it rounds to 0)."""
    text = format_decimal(value, digits)
    return f"+{text}" if value is not None and value > 0 and text.strip("0,.") else text


def format_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def format_as_of(index: int) -> str:
    """The reporting day of a month as ``30.09.2013``."""
    return format_date(month_end(index))
