"""Checking a file for one table before anything is written: columns, values, codes,
duplicates, references and the table's own checks; every problem with file, row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from data_access.models import (
    Barrier,
    Base,
    District,
    ServiceCategory,
)
from teilhabe.exchange.basics import LOOKUP_CHUNK, _chunks, _count, _date_text
from teilhabe.exchange.parsing import (
    _compact,
    _digits,
    _Invalid,
    _text,
    parse_boolean,
    parse_date,
    parse_email,
    parse_integer,
    parse_number,
    parse_url,
)
from teilhabe.exchange.report import Problem
from teilhabe.exchange.source import SourceFile
from teilhabe.exchange.specs import (
    BARRIER_LABELS,
    CATEGORY_LABELS,
    ColumnSpec,
    TableSpec,
    latest_date,
)
from teilhabe.exchange.tables import IDENTIFYING_HEADERS, _norm

# --- Checking --------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, object]  # parsed values of the columns the file has
    raw: dict[str, str | None]
    defaults: dict[str, object] = field(default_factory=dict)  # for new rows only
    ok: bool = True

    def get(self, name: str) -> object:
        return self.values[name] if name in self.values else self.defaults.get(name)

    def key(self, spec: TableSpec) -> tuple:
        return tuple(self.get(k) for k in spec.key)


@dataclass
class _Checked:
    spec: TableSpec
    source: SourceFile
    columns: dict[str, str]  # column name -> header as in the file
    rows: list[_Row]
    problems: list[Problem]
    notes: list[str]

    def problem(self, row: _Row | None, column: str | None, message: str, *, value=None) -> None:
        if row is not None:
            row.ok = False
        if value is None and row is not None and column is not None:
            value = row.raw.get(column)
        shown = None
        if column is not None:
            shown = self.columns.get(column) or self.spec.column(column).header
        self.problems.append(
            Problem(
                self.source.name,
                row.line if row is not None else self.source.header_row,
                shown,
                None if value is None else str(value),
                message,
            )
        )


@dataclass(frozen=True)
class _Catalogues:
    """Codes the file may use that live in the database (or, while it has none, the shared
    catalogue, which the import then writes)."""

    barrier: dict[str, str]
    service_category: dict[str, str]
    districts: tuple[str, ...]

    def codes(self, catalogue: str | None) -> dict[str, str]:
        """Code -> label of the catalogue a code column names ("barrier", "service_category")."""
        return {"barrier": self.barrier, "service_category": self.service_category}[str(catalogue)]


def _catalogues(connection: Connection) -> _Catalogues:
    barriers = dict(connection.execute(select(Barrier.code, Barrier.label)).all())
    categories = dict(connection.execute(select(ServiceCategory.code, ServiceCategory.label)).all())
    districts = tuple(connection.execute(select(District.key).order_by(District.key)).scalars())
    return _Catalogues(barriers or BARRIER_LABELS, categories or CATEGORY_LABELS, districts)


def _check(connection: Connection, spec: TableSpec, source: SourceFile) -> _Checked:
    checked = _Checked(spec, source, {}, [], list(source.problems), list(source.notes))
    if not source.header:
        return checked
    catalogues = _catalogues(connection)
    positions = _map_header(checked)
    if not source.rows and not checked.problems:
        checked.problem(None, None, "Die Datei enthält keine Datenzeilen.")
    # what a row gets where the file has no value: for new rows where the column is missing,
    # and for every row where a cell of a column that cannot be empty (NOT NULL) is blank
    fallback = {c.name: c.default for c in spec.columns if c.default is not None}
    if spec.file_defaults is not None:
        spec.file_defaults(checked, catalogues, positions.keys(), fallback)
    context = _Context(
        positions,
        [spec.column(name) for name in positions],
        catalogues,
        fallback,
        None if spec.real_example else _example_values(checked, catalogues),
    )
    checked.rows.extend(_check_line(checked, context, line, cells) for line, cells in source.rows)
    if context.restored:
        checked.notes.append(_restored_note(context.restored))
    _check_duplicates(checked)
    _check_references(connection, checked)
    for check in spec.file_checks:
        check(connection, checked)
    # file problems first, then row by row (stable: within a row in the order found)
    checked.problems.sort(key=lambda p: -1 if p.row is None else p.row)
    return checked


@dataclass
class _Context:
    """What checking each row of a file needs: where the columns are, the catalogues, the
    values for blank or missing cells, the template's example row (None: a real one), and the
    keys found with their leading zero lost (line, header, value, key)."""

    positions: dict[str, int]
    columns: list[ColumnSpec]
    catalogues: _Catalogues
    fallback: dict[str, object]
    example: dict[str, object] | None
    restored: list[tuple[int, str, str, str]] = field(default_factory=list)


def _check_line(checked: _Checked, context: _Context, line: int, cells: list[str | None]) -> _Row:
    """One data row of the file, parsed and checked."""
    raw = {
        name: cells[position] if position < len(cells) else None
        for name, position in context.positions.items()
    }
    row = _Row(line, {}, raw)
    blank = [
        column.name for column in context.columns if _check_cell(checked, context, row, column)
    ]
    _fill(checked, context, row, blank)
    _check_row(checked, row)
    if context.example is not None and _is_example(row, context.example, checked.spec.key):
        checked.problem(
            row,
            None,
            "Das ist die Beispielzeile der Vorlage; bitte durch eigene Daten ersetzen oder "
            "löschen.",
        )
    return row


def _check_cell(checked: _Checked, context: _Context, row: _Row, column: ColumnSpec) -> bool:
    """Parse one cell into ``row.values``; whether it is blank in a column that needs a value
    (NOT NULL) and is not required (then a fallback fills it)."""
    value = row.raw[column.name]
    if value is None:
        if column.required:
            checked.problem(row, column.name, "Pflichtfeld ist leer.", value="")
        row.values[column.name] = [] if column.kind == "list" else None
        return not column.required and _not_null(checked.spec, column.name)
    numeric = (row.line, context.positions[column.name]) in checked.source.numeric
    try:
        parsed = _parse(checked.spec, column, value, context.catalogues, numeric=numeric)
    except _Invalid as error:
        checked.problem(row, column.name, str(error))
        return False
    row.values[column.name] = parsed
    if column.digits and numeric and _compact(value) != parsed:
        context.restored.append((row.line, checked.columns[column.name], value, str(parsed)))
    return False


def _fill(checked: _Checked, context: _Context, row: _Row, blank: list[str]) -> None:
    """Fallback values for the row's blank cells (a problem where there is none) and, for a
    new row, for the columns the file does not have."""
    for name in blank:
        if name in context.fallback:
            row.values[name] = _value_of(context.fallback[name], row.values)
        else:
            checked.problem(row, name, "Pflichtfeld ist leer.", value="")
    for name, default in context.fallback.items():
        if name not in context.positions:
            row.defaults[name] = _value_of(default, row.values)


def _restored_note(restored: list[tuple[int, str, str, str]]) -> str:
    shown = "; ".join(
        f"Zeile {line}, Spalte {header}: {value} → {key}"
        for line, header, value, key in restored[:10]
    )
    more = f" und {len(restored) - 10} weitere" if len(restored) > 10 else ""
    return (
        f"{len(restored)} Schlüssel als Zahl gespeichert, die führende Null fehlte "
        f"(8 Ziffern erwartet) und wurde ergänzt: {shown}{more}. Bitte prüfen."
    )


def _example_values(checked: _Checked, catalogues: _Catalogues) -> dict[str, object]:
    """The template's example row as the checks parse it (column -> value), after the
    table's row checks (which may convert values, e.g. a month text into its index)."""
    spec = checked.spec
    values: dict[str, object] = {}
    for column in spec.columns:
        if column.example is None:
            continue
        try:
            values[column.name] = _parse(spec, column, _example_text(column.example), catalogues)
        except _Invalid:
            continue
    scratch = _Checked(spec, checked.source, dict(checked.columns), [], [], [])
    row = _Row(0, values, {name: _example_text(value) for name, value in values.items()})
    for check in spec.row_checks:
        check(scratch, row)
    return row.values


def _is_example(row: _Row, example: dict[str, object], key: Iterable[str]) -> bool:
    """Whether a row is the template's example row: every column of the file that has an
    example holds it (at least two such columns, the key among them)."""
    shared = [name for name in example if name in row.values]
    if len(shared) < 2 or not {k for k in key if k in example} <= set(shared):
        return False
    return all(row.values[name] == example[name] for name in shared)


def _not_null(spec: TableSpec, name: str) -> bool:
    return name in spec.table.c and not spec.table.c[name].nullable


def _value_of(default: object, values: dict[str, object]) -> object:
    return default(values) if callable(default) else default


def _map_header(checked: _Checked) -> dict[str, int]:
    """Column name -> position in the file; unknown columns are noted, required ones checked."""
    spec, source = checked.spec, checked.source
    names = _column_names(spec)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    identifying: list[str] = []
    keys = [_norm(header) for header in source.header]
    filled = _filled_without_header(keys, source)
    for position, header in enumerate(source.header):
        key = keys[position]
        name = names.get(key)
        if name is None:
            if key and spec.personal and key in IDENTIFYING_HEADERS:
                identifying.append(header)
            elif key or position in filled:
                ignored.append(header or f"(ohne Überschrift, Spalte {position + 1})")
        elif name in positions:
            checked.problem(
                None,
                None,
                f"Die Spalten „{source.header[positions[name]]}“ und „{header}“ meinen dasselbe "
                f"({spec.column(name).header}); bitte eine davon entfernen.",
            )
        else:
            positions[name] = position
            checked.columns[name] = header
    for column in spec.columns:
        if column.required and column.name not in positions:
            checked.problem(None, column.name, "Die Pflichtspalte fehlt.")
    _note_left_out(checked, ignored, identifying)
    return positions


def _column_names(spec: TableSpec) -> dict[str, str]:
    """Normalised name, header or alias -> column name."""
    names: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.name, column.header, *column.aliases):
            names.setdefault(_norm(alias), column.name)
    return names


def _filled_without_header(keys: list[str], source: SourceFile) -> set[int]:
    """The positions of columns without a header that hold a value somewhere: one pass over the
    rows (not one per column), so that a file with thousands of such columns is mapped in
    linear time."""
    blank = {position for position, key in enumerate(keys) if not key}
    filled: set[int] = set()
    for _, cells in source.rows if blank else ():
        filled.update(p for p in blank - filled if p < len(cells) and cells[p])
        if len(filled) == len(blank):
            break
    return filled


def _note_left_out(checked: _Checked, ignored: list[str], identifying: list[str]) -> None:
    if ignored:
        checked.notes.append(
            "Nicht übernommen (unbekannte Spalten): " + ", ".join(f"„{h}“" for h in ignored) + "."
        )
    if identifying:
        checked.notes.append(
            "Nicht übernommen: "
            + ", ".join(f"„{h}“" for h in identifying)
            + " – der Teilhabe-Monitor speichert keine Namen oder Anschriften von Personen."
        )


def _parse(
    spec: TableSpec,
    column: ColumnSpec,
    value: str,
    catalogues: _Catalogues,
    *,
    numeric: bool = False,
) -> object:
    kind = column.kind
    if kind in ("email", "url"):
        text = parse_email(value) if kind == "email" else parse_url(value)
        return _text(text, spec.max_length(column.name))
    if kind in ("integer", "number"):
        number = parse_integer(value) if kind == "integer" else parse_number(value)
        _check_range(column, number)
        return number
    if kind == "date":
        return _parse_date(column, value)
    if kind == "boolean":
        return parse_boolean(value)
    if kind == "code":
        return _code(column, value, catalogues)
    if kind == "list":
        return _parse_list(column, value, numeric=numeric)
    if column.digits:
        return _digits(value, column.digits, column.header, numeric=numeric)
    return _text(value, spec.max_length(column.name))


def _parse_date(column: ColumnSpec, value: str) -> dt.date:
    day = parse_date(value)
    latest = column.latest or latest_date()
    if not column.earliest <= day <= latest:
        raise _Invalid(
            f"Das Datum liegt nicht zwischen {_date_text(column.earliest)} und "
            f"{_date_text(latest)}."
        )
    if column.not_in_future and day > dt.date.today():
        raise _Invalid("Das Datum liegt in der Zukunft.")
    return day


def _parse_list(column: ColumnSpec, value: str, *, numeric: bool) -> list[str]:
    """Several values of one cell (separated by comma, semicolon, bar or space), sorted, each
    once."""
    items = [item for item in re.split(r"[,;|\s]+", value) if item]
    assert column.reference is not None  # a list column always refers to a table
    table, key = column.reference
    limit = getattr(Base.metadata.tables[table].c[key].type, "length", None)
    parsed = [
        _digits(item, column.digits, column.header, numeric=numeric)
        if column.digits
        else _text(item, limit)
        for item in items
    ]
    return sorted(set(parsed))


def _check_range(column: ColumnSpec, number: float) -> None:
    high = column.high() if callable(column.high) else column.high
    low = column.low
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Invalid(
            f"Der Wert liegt nicht zwischen {_number_text(low)} und {_number_text(high)}."
        )


def _number_text(value: float | None) -> str:
    if value is None:
        return "…"
    if float(value).is_integer():
        return str(int(value)) if abs(value) < 10_000 else _count(int(value))
    return f"{value}".replace(".", ",")


_LOOKUPS: dict[tuple[int, int], tuple[object, object, dict[str, str]]] = {}


def _code_lookup(column: ColumnSpec, codes: Mapping[str, str]) -> dict[str, str]:
    """Normalised code, label or synonym -> code; built once per column and code list (not
    once per cell: that made the check of a big file take minutes)."""
    key = (id(column), id(codes))
    cached = _LOOKUPS.get(key)
    if cached is not None and cached[0] is column and cached[1] is codes:
        return cached[2]
    lookup = {_norm(code): code for code in codes}
    lookup.update({_norm(label): code for code, label in codes.items()})
    lookup.update({_norm(word): code for word, code in column.synonyms.items() if code in codes})
    if len(_LOOKUPS) > 64:  # the catalogues are read anew for each import
        _LOOKUPS.clear()
    _LOOKUPS[key] = (column, codes, lookup)  # kept alive with it: the ids stay unique
    return lookup


def _code(column: ColumnSpec, value: str, catalogues: _Catalogues) -> str:
    codes = column.codes if column.codes is not None else catalogues.codes(column.catalogue)
    code = _code_lookup(column, codes).get(_norm(value))
    if code is None or not _norm(value):
        allowed = ", ".join(f"{code} ({label})" for code, label in codes.items())
        raise _Invalid(f"Unbekannter Wert; erlaubt: {allowed}.")
    return code


def _check_row(checked: _Checked, row: _Row) -> None:
    """Rules between the columns of one row."""
    for start, end in (
        ("start_date", "end_date"),
        ("active_from", "active_to"),
        ("recorded_on", "resolved_on"),
    ):
        first, last = row.values.get(start), row.values.get(end)
        if isinstance(first, dt.date) and isinstance(last, dt.date) and last < first:
            message = {
                "end_date": "Das Ende liegt vor dem Beginn.",
                "active_to": "„Angeboten bis“ liegt vor „Angeboten ab“.",
                "resolved_on": "„Behoben am“ liegt vor „Erfasst am“.",
            }[end]
            checked.problem(row, end, message)
    for check in checked.spec.row_checks:
        check(checked, row)


def _check_duplicates(checked: _Checked) -> None:
    spec = checked.spec
    if any(k not in checked.columns and k != "month" for k in spec.key):
        return  # a key column is missing; reported already
    first: dict[tuple, int] = {}
    for row in checked.rows:
        key = row.key(spec)
        if any(part is None for part in key):
            continue
        if key in first:
            shown = spec.key[0] if spec.key[0] != "month" else "date"
            if spec.duplicate is not None:  # the table says it in its own words
                spec.duplicate(checked, row, first[key])
                continue
            # as written in the file where the row has the key's cells
            value = " / ".join(
                str(row.raw[k])
                if row.raw.get(k) is not None
                else (_date_text(p) if isinstance(p, dt.date) else str(p))
                for k, p in zip(spec.key, key, strict=True)
            )
            checked.problem(
                row,
                shown,
                f"Der Schlüssel ({spec.key_label}) kommt in der Datei doppelt vor "
                f"(auch in Zeile {first[key]}).",
                value=value,
            )
        else:
            first[key] = row.line


REFERENCE_MESSAGES = {
    "municipality": "Unbekannte Gemeinde (AGS nicht in der Datenbank; zuerst die Gemeinden "
    "importieren).",
    "district": "Unbekannter Kreis (nicht in der Datenbank; zuerst die Kreise importieren).",
    "provider": "Unbekannter Anbieter (nicht in der Datenbank; zuerst die Anbieter importieren).",
    "service": "Unbekannte Leistung (nicht in der Datenbank; zuerst die Leistungen importieren).",
    "client": "Unbekannte Person (nicht in der Datenbank; zuerst die Personen importieren).",
}


def _check_references(connection: Connection, checked: _Checked) -> None:
    for column in checked.spec.columns:
        if column.reference is None:
            continue
        wanted = {item for row in checked.rows for item in _items(row.get(column.name))}
        if not wanted:
            continue
        table, key = column.reference
        known = _existing(connection, table, key, wanted)
        if known == wanted:
            continue
        for row in checked.rows:
            for item in _items(row.get(column.name)):
                if item not in known:
                    checked.problem(row, column.name, REFERENCE_MESSAGES[table], value=item)


def _items(value: object) -> list:
    """The values of a cell: those of a list, else the one (none for an empty cell)."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _existing(connection: Connection, table: str, key: str, values: Iterable) -> set:
    column = Base.metadata.tables[table].c[key]
    found: set = set()
    for chunk in _chunks(sorted(values), LOOKUP_CHUNK):
        found.update(connection.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _example_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.date):
        return _date_text(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
