"""Reading an HSDS package for an import: its files inside the folder, their rows, parsing of
values; every problem of the package is collected (``HsdsPackageInvalid``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from teilhabe.exchange.hsds.schema import (
    DESCRIPTOR,
    MAX_COUNT,
    MAX_DESCRIPTOR_BYTES,
    OTHER_PATHS,
    RESOURCE_BY_NAME,
    RESOURCES,
    Resource,
)
from teilhabe.exchange.report import Problem, failure_line
from teilhabe.exchange.safe_paths import (
    UnusablePath,
    check_folder,
    load_json,
    os_reason,
    shown_path,
)

# --- Import: reading and checking ------------------------------------------------------------


class HsdsError(Exception):
    """The package cannot be read at all (e.g. the folder does not exist)."""


def hsds_problem(
    file: str, line: int | None, name: str | None, value: str | None, message: str
) -> Problem:
    """A problem of a package: ``line`` 1 is the header; its fields are called "Feld"."""
    return Problem(file, line, name, value, message, field_word="Feld")


class HsdsPackageInvalid(HsdsError):
    """The package has problems; none of it was imported. ``problems`` lists every one."""

    def __init__(self, folder: Path, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            failure_line(f"Das HSDS-Paket {shown_path(folder)}", len(problems)) + f"\n{lines}"
        )


@dataclass(frozen=True)
class _Row:
    file: str
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def id(self) -> str:
        return self.get("id")


# The other objects of HSDS 3.x: not part of the model, read to check their references and
# kept (with the organisation or service they belong to) to be written back on export.
OTHER_RESOURCES: tuple[str, ...] = (
    "program",
    "contact",
    "schedule",
    "funding",
    "required_document",
    "language",
    "accessibility",
    "cost_option",
    "organization_identifier",
    "url",
    "metadata",
    "meta_table_description",
)
# A column naming the id of a row of another file (HSDS 3 names them <object>_id).
REFERENCE_COLUMNS: dict[str, str] = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "service_id": "service",
    "location_id": "location",
    "phone_id": "phone",
    "contact_id": "contact",
    "service_at_location_id": "service_at_location",
    "program_id": "program",
    "taxonomy_id": "taxonomy",
    "taxonomy_term_id": "taxonomy_term",
}
# Columns of a foreign package that fill the model; every other column is kept as it is.
MODELLED: dict[str, set[str]] = {
    "organization": {"name", "email", "website", "teilhabe_id", "teilhabe_kind"},
    "location": {"organization_id", "latitude", "longitude", "teilhabe_municipality_ags"},
    "address": {"location_id", "address_1", "city", "postal_code"},
    "phone": {"organization_id", "number"},
    "service": {
        "organization_id",
        "name",
        "status",
        "teilhabe_id",
        "teilhabe_capacity",
        "teilhabe_labour_market_measure",
        "teilhabe_active_from",
        "teilhabe_active_to",
    },
}
# Our extension columns a foreign package may lack: then defaults and a warning.
FOREIGN_DEFAULTS = {
    ("organization", "teilhabe_kind"),
    ("location", "teilhabe_municipality_ags"),
    ("service", "teilhabe_active_from"),
}
DEFAULT_KIND = "counselling"
DEFAULT_ACTIVE_FROM = dt.date(1900, 1, 1)  # start unknown: offered "since ever"


def _plural(name: str) -> str:
    if name.endswith("y") and not name.endswith("ey"):
        return name[:-1] + "ies"
    if name.endswith("ss"):
        return name + "es"
    return name + "s"


def _candidates(name: str) -> list[str]:
    """The file names a resource may have: ours (singular), the plural, and HSDS' own."""
    names = [f"{name}.csv", *OTHER_PATHS.get(name, ()), f"{_plural(name)}.csv"]
    return list(dict.fromkeys(names))


@dataclass
class _Package:
    """The rows of each file (duplicates and rows without a valid id already left out)."""

    folder: Path
    rows: dict[str, list[_Row]]
    unusable: set[str]  # files missing or unreadable
    problems: list[Problem]
    unreadable: set[str] = field(default_factory=set)  # paths reported as unusable
    files: dict[str, str] = field(default_factory=dict)  # resource -> its file's name
    headers: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    own: bool = True  # the package carries our teilhabe_* extensions
    used: set[tuple[str, str]] = field(default_factory=set)  # (resource, id) in the model
    left_out: dict[str, int] = field(default_factory=dict)  # resource -> rows not kept

    def file(self, resource: str) -> str:
        """The name of a resource's file as in the package (ours where it has none)."""
        return self.files.get(resource, f"{resource}.csv")

    def problem(
        self,
        where: _Row | str,
        name: str | None,
        value: str | None,
        message: str,
        *,
        line: int | None = None,
    ) -> None:
        """Record a problem at a row, or at a file (``line`` 1 for the header)."""
        if isinstance(where, _Row):
            self.problems.append(hsds_problem(where.file, where.line, name, value, message))
        else:
            self.problems.append(hsds_problem(where, line, name, value, message))

    def warn(self, where: _Row | str, name: str | None, value: str | None, message: str) -> None:
        if isinstance(where, _Row):
            self.warnings.append(hsds_problem(where.file, where.line, name, value, message))
        else:
            self.warnings.append(hsds_problem(where, None, name, value, message))

    def by_id(self, resource: str) -> dict[str, _Row]:
        return {row.id: row for row in self.rows.get(resource, [])}


def _read_package(folder: Path) -> _Package:
    """Read every file of the package; file-level and id problems are collected, not raised."""
    try:
        folder = check_folder(folder, "Der Ordner")
    except UnusablePath as error:
        raise HsdsError(str(error)) from None
    names = [r.name for r in RESOURCES] + list(OTHER_RESOURCES)
    package = _Package(folder, {name: [] for name in names}, set(), [])
    paths, named = _paths(package, names)
    for name in names:
        if name in paths:
            package.files[name] = paths[name].name
    package.own = any(
        column.startswith("teilhabe_")
        for name, path in paths.items()
        if name in RESOURCE_BY_NAME
        for column in _header(path)
    )
    for name in names:
        path = paths.get(name)
        resource = RESOURCE_BY_NAME.get(name)
        if path is None:
            package.unusable.add(name)
            if package.unreadable & {named.get(name), *_candidates(name)}:
                continue  # already reported: there, but not usable
            required = name in ("organization", "service") or (
                package.own and resource is not None and resource.required_file
            )
            if required:
                shown = named.get(name) or " oder ".join(_candidates(name)[:2])
                package.problem(shown, None, None, "Die Datei fehlt.")
            elif name in named:
                package.warn(
                    named[name], None, None, "In datapackage.json genannt, aber nicht im Paket."
                )
            continue
        package.rows[name] = _read_rows(package, name, resource, path)
    return package


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # reported when the file is read


def _paths(package: _Package, names: list[str]) -> tuple[dict[str, Path], dict[str, str]]:
    """The file of each resource found, and the paths datapackage.json names.

    A resource's file is the one datapackage.json names where that exists, else
    ``<name>.csv`` or the plural name other HSDS tools use; it must lie inside the folder.
    """
    folder = package.folder
    named = _named_paths(package, names)
    paths: dict[str, Path] = {}
    root = folder.resolve()
    for name in names:
        candidates = ([named[name]] if name in named else []) + _candidates(name)
        for candidate in candidates:
            path = _inside(package, root, candidate, named=named.get(name) == candidate)
            if path is not None:
                paths[name] = path
                break
    return paths, named


def _descriptor(package: _Package) -> object:
    """The JSON of the package's ``datapackage.json``; None when there is none or it cannot be
    used (reported)."""
    descriptor_path = package.folder / DESCRIPTOR
    try:
        if not descriptor_path.is_file():
            return None
        if descriptor_path.stat().st_size > MAX_DESCRIPTOR_BYTES:
            package.problem(
                DESCRIPTOR,
                None,
                None,
                f"Die Datei ist größer als {MAX_DESCRIPTOR_BYTES // 2**20} MB; eine Beschreibung "
                "des Pakets ist nur wenige KB groß.",
            )
            return None
        return load_json(descriptor_path.read_bytes(), DESCRIPTOR)
    except (OSError, RuntimeError) as error:
        message = f"Die Datei kann nicht gelesen werden: {os_reason(error)}."
    except ValueError as error:  # also UnicodeDecodeError
        reason = str(error).removeprefix(f"{DESCRIPTOR}: ")
        if isinstance(error, UnicodeDecodeError):
            reason = "Die Datei ist nicht UTF-8-kodiert."
        message = f"Keine gültige JSON-Beschreibung: {reason}"
    package.problem(DESCRIPTOR, None, None, message)
    return None


def _named_paths(package: _Package, names: list[str]) -> dict[str, str]:
    """The paths ``datapackage.json`` gives the resources of ``names`` (Frictionless:
    ``{"resources": [{"name": ..., "path": ...}]}``); anything else in it is reported."""
    descriptor_ = _descriptor(package)
    if descriptor_ is None:
        return {}
    resources = descriptor_.get("resources", []) if isinstance(descriptor_, dict) else None
    if not isinstance(resources, list):
        package.problem(
            DESCRIPTOR,
            "resources",
            None,
            "Keine gültige JSON-Beschreibung: erwartet wird ein Objekt mit der Liste „resources“.",
        )
        return {}
    named: dict[str, str] = {}
    for number, resource in enumerate(resources, start=1):
        name = resource.get("name") if isinstance(resource, dict) else None
        path = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(name, str) or not isinstance(path, str | list | type(None)):
            package.problem(
                DESCRIPTOR,
                f"resources[{number}]",
                None,
                "Keine gültige Ressource: erwartet wird ein Objekt mit dem Text „name“ und dem "
                "Pfad „path“.",
            )
            continue
        if name in names and isinstance(path, str):
            named[name] = path
    return named


def _inside(package: _Package, root: Path, candidate: str, *, named: bool) -> Path | None:
    """The file ``candidate`` (relative to the package folder ``root``) if it is a file inside
    the folder, else None. A path that cannot even be looked up (a NUL byte, too long, a loop
    of symbolic links) is reported, as is a path from datapackage.json leading outside."""
    try:
        path = (root / candidate).resolve()
        if path.is_relative_to(root):
            return path if path.is_file() else None  # a missing file is reported by its caller
        if not named:
            return None  # e.g. a link to elsewhere: not part of the package
        problem = "Der Pfad führt aus dem Ordner des Pakets hinaus."
    except ValueError:  # a NUL byte
        problem = "Der Pfad enthält ein Nullzeichen."
    except (OSError, RuntimeError) as error:  # too long; a loop of symbolic links
        problem = f"Die Datei kann nicht geöffnet werden: {os_reason(error)}."
    if named:
        package.problem(DESCRIPTOR, "path", shown_path(candidate), problem)
    else:
        package.problem(candidate, None, None, problem)
    package.unreadable.add(candidate)
    return None


def _read_rows(package: _Package, name: str, resource: Resource | None, path: Path) -> list[_Row]:
    """The rows of one file. A missing required column is reported and the rows are still
    checked, so that one run finds every problem."""
    file = path.name
    records = _records(package, file, path)
    header = None if records is None else _checked_header(package, name, file, records)
    if records is None or header is None:
        package.unusable.add(name)
        return []
    required = _required(package, name, resource)
    for column in [c for c in (resource.columns if resource else ["id"]) if c in required]:
        if column not in header:
            package.problem(file, column, None, "Die Pflichtspalte fehlt.", line=1)
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for index, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue  # blank line, e.g. at the end of a file saved by a spreadsheet
        if len(record) > len(header):
            package.problem(file, None, None, "Die Zeile hat mehr Werte als Spalten.", line=index)
            continue
        row = _Row(file, index, {n: v.strip() for n, v in zip(header, record, strict=False)})
        if _check_record(package, name, row, header, required, first_line):
            rows.append(row)
    return rows


def _records(package: _Package, file: str, path: Path) -> list[list[str]] | None:
    """The CSV records of a file; None (and a problem) when it cannot be read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))
    except UnicodeDecodeError:
        message = "Die Datei ist nicht UTF-8-kodiert."
    except csv.Error as error:
        message = f"Die Datei ist kein lesbares CSV: {error}"
    except OSError as error:
        message = f"Die Datei kann nicht gelesen werden: {os_reason(error)}."
    package.problem(file, None, None, message)
    return None


def _checked_header(
    package: _Package, name: str, file: str, records: list[list[str]]
) -> list[str] | None:
    """The file's header (also in ``package.headers``); None when it is missing, empty or has a
    column twice (reported) — then the file is unusable."""
    if not records:
        package.problem(file, None, None, "Die Kopfzeile fehlt.", line=1)
        return None
    header = [column.strip() for column in records[0]]
    package.headers[name] = header
    twice = sorted(n for n, count in Counter(header).items() if count > 1)
    for column in twice:
        package.problem(file, column, None, "Die Spalte kommt mehrfach vor.", line=1)
    return None if twice else header


def _required(package: _Package, name: str, resource: Resource | None) -> set[str]:
    """The columns a row must fill (in a foreign package, not those we have defaults for)."""
    required = {"id"}
    if resource is not None:
        required |= {f.name for f in resource.fields if f.required}
        if not package.own:
            required -= {column for r, column in FOREIGN_DEFAULTS if r == name}
    return required


def _check_record(
    package: _Package,
    name: str,
    row: _Row,
    header: list[str],
    required: set[str],
    first_line: dict[str, int],
) -> bool:
    """Check a row's required cells, id and references; whether it is a row of the package."""
    for column in required:
        if column in header and not row.get(column):
            package.problem(row, column, "", "Pflichtfeld ist leer.")
    if not row.id:
        return False
    if not _is_uuid(row.id):
        package.problem(row, "id", row.id, "Die id ist keine UUID.")
        return False
    if row.id in first_line:
        package.problem(
            row, "id", row.id, f"Die id kommt doppelt vor (auch in Zeile {first_line[row.id]})."
        )
        return False
    first_line[row.id] = row.line
    for column in header:
        value = row.get(column)
        if _is_reference(name, column) and value and not _is_uuid(value):
            package.problem(row, column, value, "Der Verweis ist keine UUID.")
    return True


def _is_reference(resource: str, column: str) -> bool:
    return (
        column in REFERENCE_COLUMNS
        or (column == "parent_id" and resource == "taxonomy_term")
        or (column == "link_id" and resource == "attribute")
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class _Parser:
    """Typed values from a row; a value that does not parse is reported and gives None."""

    def __init__(self, package: _Package):
        self.package = package

    def text(self, row: _Row, name: str, column) -> str | None:
        value = row.get(name)
        if not value:
            return None
        if column.type.length is not None and len(value) > column.type.length:
            self.package.problem(
                row, name, value, f"Der Wert ist länger als {column.type.length} Zeichen."
            )
        return value

    def number(self, row: _Row, name: str, low: float, high: float) -> float | None:
        value = row.get(name)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist keine Zahl.")
            return None
        if not math.isfinite(number) or not low <= number <= high:
            self.package.problem(
                row, name, value, f"Der Wert liegt nicht zwischen {low:g} und {high:g}."
            )
            return None
        return number

    def integer(self, row: _Row, name: str) -> int | None:
        value = row.get(name)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist keine ganze Zahl.")
            return None
        if number < 0:
            self.package.problem(row, name, value, "Der Wert darf nicht negativ sein.")
            return None
        if number > MAX_COUNT:
            self.package.problem(
                row,
                name,
                _short(value),
                f"Der Wert ist größer als {MAX_COUNT:,}.".replace(",", "."),
            )
            return None
        return number

    def date(self, row: _Row, name: str) -> dt.date | None:
        value = row.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist kein Datum JJJJ-MM-TT.")
            return None

    def boolean(self, row: _Row, name: str) -> bool:
        value = row.get(name).lower()
        if value in ("", "false", "0"):
            return False
        if value in ("true", "1"):
            return True
        self.package.problem(row, name, row.get(name), "Erlaubt sind true und false.")
        return False


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
