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
        path = check_file(path, "Die Zuordnungsdatei")
        if path.stat().st_size > MAX_CATEGORY_MAP_BYTES:
            raise UnusablePath(
                f"Die Zuordnungsdatei ist größer als {MAX_CATEGORY_MAP_BYTES // 2**20} MB."
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnusablePath as error:
        result.problems.append(hsds_problem(shown_path(path.name), None, None, None, str(error)))
        return result
    except UnicodeDecodeError:
        result.problems.append(
            hsds_problem(path.name, None, None, None, "Die Datei ist nicht UTF-8-kodiert.")
        )
        return result
    except OSError as error:
        result.problems.append(
            hsds_problem(
                path.name,
                None,
                None,
                None,
                f"Die Datei kann nicht gelesen werden: {os_reason(error)}.",
            )
        )
        return result
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        records = list(csv.reader(text.splitlines(), delimiter=delimiter))
    except csv.Error as error:  # e.g. a NUL byte or a field longer than the csv module allows
        result.problems.append(
            hsds_problem(path.name, None, None, None, f"Die Datei ist kein lesbares CSV: {error}")
        )
        return result
    if not records:
        result.problems.append(hsds_problem(path.name, 1, None, None, "Die Kopfzeile fehlt."))
        return result
    header = [h.strip().casefold() for h in records[0]]
    position = {
        key: next((header.index(a) for a in aliases if a in header), None)
        for key, aliases in MAP_COLUMNS.items()
    }
    if position["term"] is None or (position["category"] is None and position["barrier"] is None):
        result.problems.append(
            hsds_problem(
                path.name,
                1,
                None,
                None,
                "Erwartet werden die Spalten term (Begriff) und category (Kategorie) oder "
                "barrier (Hemmnis).",
            )
        )
        return result
    by_barrier: dict[str, str] = {}
    for category in SERVICE_CATEGORIES:
        for barrier in category.barriers:
            by_barrier.setdefault(barrier, category.code)

    def cell(record: list[str], key: str) -> str:
        index = position[key]
        return record[index].strip() if index is not None and index < len(record) else ""

    for line, record in enumerate(records[1:], start=2):
        term, category, barrier = (cell(record, k) for k in ("term", "category", "barrier"))
        if not term and not category and not barrier:
            continue
        if not term:
            result.problems.append(
                hsds_problem(path.name, line, "term", "", "Pflichtfeld ist leer.")
            )
            continue
        if category and category not in known:
            result.problems.append(
                hsds_problem(
                    path.name,
                    line,
                    "category",
                    category,
                    f"Unbekannte Leistungskategorie; bekannt sind: {', '.join(sorted(known))}.",
                )
            )
            continue
        if not category:
            category = by_barrier.get(barrier, "")
            if not category:
                result.problems.append(
                    hsds_problem(
                        path.name,
                        line,
                        "barrier",
                        barrier,
                        "Unbekanntes Hemmnis; bekannt sind: " + ", ".join(by_barrier) + ".",
                    )
                )
                continue
        result.categories[term.casefold()] = category
    return result
