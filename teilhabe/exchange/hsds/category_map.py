"""The category map: terms of a foreign taxonomy -> our service categories
(``read_category_map``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from teilhabe.definitions import SERVICE_CATEGORIES
from teilhabe.exchange.hsds.package import _Row, hsds_problem
from teilhabe.exchange.hsds.schema import MAX_CATEGORY_MAP_BYTES
from teilhabe.exchange.report import Problem
from teilhabe.exchange.safe_paths import (
    UnusablePath,
    check_file,
    os_reason,
    shown_path,
)

# --- The category map: foreign taxonomy terms -> our service categories ----------------------


@dataclass
class CategoryMap:
    """A user's mapping of foreign taxonomy terms (id, code or name) to our service categories,
    from a small CSV: columns ``term`` (Begriff), ``category`` (Kategorie) and/or ``barrier``
    (Hemmnis; then the catalogue's category addressing it)."""

    file: str
    categories: dict[str, str] = field(default_factory=dict)  # casefolded term -> category
    problems: list[Problem] = field(default_factory=list)

    def category_of(self, term: _Row) -> str | None:
        for key in (term.id, term.get("code"), term.get("name"), term.get("term")):
            if key and key.strip().casefold() in self.categories:
                return self.categories[key.strip().casefold()]
        return None


MAP_COLUMNS = {
    "term": ("term", "begriff", "taxonomy_term", "code", "name"),
    "category": ("category", "kategorie", "leistungskategorie", "service_category"),
    "barrier": ("barrier", "hemmnis", "barrier_code"),
}


def read_category_map(path: Path, known_categories: Iterable[str] = ()) -> CategoryMap:
    """Read and check a category map; problems are in ``problems`` (never raises for content)."""
    result = CategoryMap(shown_path(path.name))
    known = set(known_categories) | {c.code for c in SERVICE_CATEGORIES}
    try:
        records = _records(path)
        position = _positions(records[0])
    except _Refused as refused:
        result.problems.append(hsds_problem(result.file, refused.line, None, None, str(refused)))
        return result
    by_barrier: dict[str, str] = {}
    for category in SERVICE_CATEGORIES:
        for barrier in category.barriers:
            by_barrier.setdefault(barrier, category.code)
    for line, record in enumerate(records[1:], start=2):
        cells = [_cell(record, position[key]) for key in MAP_COLUMNS]
        if any(cells):
            _map_line(result, line, cells, known, by_barrier)
    return result


class _Refused(Exception):
    """The category map as a whole cannot be used (``line`` 1: its header)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _records(path: Path) -> list[list[str]]:
    """The CSV records of the file (delimiter ``;``, ``,`` or tab), the header first."""
    try:
        path = check_file(path, "Die Zuordnungsdatei")
        if path.stat().st_size > MAX_CATEGORY_MAP_BYTES:
            raise UnusablePath(
                f"Die Zuordnungsdatei ist größer als {MAX_CATEGORY_MAP_BYTES // 2**20} MB."
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnusablePath as error:
        raise _Refused(str(error)) from None
    except UnicodeDecodeError:
        raise _Refused("Die Datei ist nicht UTF-8-kodiert.") from None
    except OSError as error:
        raise _Refused(f"Die Datei kann nicht gelesen werden: {os_reason(error)}.") from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        records = list(csv.reader(text.splitlines(), delimiter=delimiter))
    except csv.Error as error:  # e.g. a NUL byte or a field longer than the csv module allows
        raise _Refused(f"Die Datei ist kein lesbares CSV: {error}") from None
    if not records:
        raise _Refused("Die Kopfzeile fehlt.", 1)
    return records


def _positions(record: list[str]) -> dict[str, int | None]:
    """Where the columns term, category and barrier are (None: missing)."""
    header = [h.strip().casefold() for h in record]
    position = {
        key: next((header.index(a) for a in aliases if a in header), None)
        for key, aliases in MAP_COLUMNS.items()
    }
    if position["term"] is None or (position["category"] is None and position["barrier"] is None):
        raise _Refused(
            "Erwartet werden die Spalten term (Begriff) und category (Kategorie) oder "
            "barrier (Hemmnis).",
            1,
        )
    return position


def _cell(record: list[str], index: int | None) -> str:
    return record[index].strip() if index is not None and index < len(record) else ""


def _map_line(
    result: CategoryMap, line: int, cells: list[str], known: set[str], by_barrier: dict[str, str]
) -> None:
    """One line of the map: its term's category (given, or the one addressing the barrier),
    or a problem."""
    term, category, barrier = cells
    problem = None
    if not term:
        problem = hsds_problem(result.file, line, "term", "", "Pflichtfeld ist leer.")
    elif category and category not in known:
        problem = hsds_problem(
            result.file,
            line,
            "category",
            category,
            f"Unbekannte Leistungskategorie; bekannt sind: {', '.join(sorted(known))}.",
        )
    elif not category and barrier not in by_barrier:
        problem = hsds_problem(
            result.file,
            line,
            "barrier",
            barrier,
            "Unbekanntes Hemmnis; bekannt sind: " + ", ".join(by_barrier) + ".",
        )
    if problem is not None:
        result.problems.append(problem)
    else:
        result.categories[term.casefold()] = category or by_barrier[barrier]
