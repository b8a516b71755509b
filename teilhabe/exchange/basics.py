"""Small helpers every importer shares: German number and date text, shortening a value for a
message, and chunks of values for lookups and writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

LOOKUP_CHUNK = 500  # values per IN (...) when looking rows up


def _count(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _date_text(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _shorten(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
