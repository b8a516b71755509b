"""German number and date formats, and "*" for suppressed values; used by the UI and exports."""

from __future__ import annotations

import datetime as dt

from data_access.confidentiality import SUPPRESSED
from data_access.periods import month_end

MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def format_count(value: int | None) -> str:
    """``2380`` -> ``2.380``; a suppressed count (None) -> ``*``."""
    if value is None:
        return SUPPRESSED
    return f"{value:,}".replace(",", ".")


def format_decimal(value: float | None, digits: int = 1) -> str:
    """``1234.5`` -> ``1.234,5``; a suppressed value (None) -> ``*``."""
    if value is None:
        return SUPPRESSED
    return f"{value:,.{digits}f}".translate(str.maketrans(",.", ".,"))


def format_percent(value: float | None, digits: int = 1) -> str:
    """``24.3`` -> ``24,3 %``; a suppressed rate (None) -> ``*``."""
    if value is None:
        return SUPPRESSED
    return f"{format_decimal(value, digits)}\u00a0%"


def format_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def format_month(index: int) -> str:
    """A month index as ``September 2013``."""
    return f"{MONTH_NAMES[index % 12]} {index // 12}"


def format_as_of(index: int) -> str:
    """The reporting day of a month as ``30.09.2013``."""
    return format_date(month_end(index))
