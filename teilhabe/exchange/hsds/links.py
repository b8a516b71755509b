"""References between the files of a package, the taxonomies (categories and barriers), the
rows kept as they came (HSDS ids, fields and files the model has no column for), and what every
step of the check shares (``_Work``, our id of a row).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from data_access.models import (
    ServiceCategory,
)
from teilhabe.definitions import SERVICE_CATEGORIES
from teilhabe.exchange.hsds.directory import Boundaries, _Catalogues, _Directory
from teilhabe.exchange.hsds.export import (
    _csv_value,
    _location_rows,
    _provider_rows,
    _service_description,
    _service_row,
)
from teilhabe.exchange.hsds.package import (
    MODELLED,
    OTHER_RESOURCES,
    REFERENCE_COLUMNS,
    _is_reference,
    _is_uuid,
    _Package,
    _Parser,
    _Row,
)
from teilhabe.exchange.hsds.schema import (
    BARRIER_TAXONOMY,
    CATEGORY_TAXONOMY,
    CODE_SEPARATOR,
    RESOURCE_BY_NAME,
    hsds_id,
)


@dataclass
class _Kept:
    """What the model has no column for, per organisation, location or service: the fields of
    its HSDS rows (``fields[resource]``) and whole rows of other files (``rows[resource]``)."""

    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))


def _check_references(package: _Package) -> None:
    """Every reference names a row of the file it points to (where that file is in the
    package), in every file of the package, also those the model does not use."""
    ids = {name: {row.id for row in rows} for name, rows in package.rows.items()}
    for name, rows in package.rows.items():
        for row in rows:
            for column, value in row.values.items():
                target = REFERENCE_COLUMNS.get(column)
                if column == "parent_id" and name == "taxonomy_term":
                    target = "taxonomy_term"
                if column == "link_id" and name == "attribute":
                    entity = row.get("link_entity")
                    if entity and entity not in ids:
                        package.problem(
                            row,
                            "link_entity",
                            entity,
                            "Unbekannte Objektart; erlaubt: "
                            + ", ".join(sorted(RESOURCE_BY_NAME) + list(OTHER_RESOURCES))
                            + ".",
                        )
                        continue
                    target = entity
                if (
                    target is None
                    or not value
                    or not _is_uuid(value)
                    or target in package.unusable
                    or value in ids[target]
                ):
                    continue
                package.problem(
                    row,
                    column,
                    value,
                    f"Verweis ins Leere: {package.file(target)} hat keine Zeile mit dieser id.",
                )


def _check_taxonomies(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    parse: _Parser,
    wanted: _Directory,
) -> tuple[dict[str, str], set[str]]:
    """The category terms (term UUID -> code) and the ids of all terms of our two taxonomies;
    fills the wanted categories and their barriers.

    Barrier terms are only checked: the barrier catalogue is shared and not imported, and the
    barrier attributes of services follow from their category. Foreign taxonomies are kept with
    the services that use them.
    """
    kind_of = _our_taxonomies(package)
    known_categories = set(known.categories) | {c.code for c in SERVICE_CATEGORIES}
    terms: dict[str, dict[str, str]] = {CATEGORY_TAXONOMY: {}, BARRIER_TAXONOMY: {}}
    first_line: dict[tuple[str, str], int] = {}
    own_terms: set[str] = set()
    for row in package.rows["taxonomy_term"]:
        kind = kind_of.get(row.get("taxonomy_id"))
        if kind is None:
            continue  # a term of another taxonomy: kept with the services using it
        own_terms.add(row.id)
        package.used.add(("taxonomy_term", row.id))
        code = row.get("code")
        if not code:
            package.problem(row, "code", "", "Pflichtfeld ist leer.")
        elif (kind, code) in first_line:
            package.problem(
                row,
                "code",
                code,
                "Der Code kommt in der Taxonomie doppelt vor "
                f"(auch in Zeile {first_line[kind, code]}).",
            )
        else:
            first_line[kind, code] = row.line
            terms[kind][row.id] = code
            if kind == BARRIER_TAXONOMY:
                _check_barrier(package, catalogues, row, "code", code)
            else:
                _check_category_term(package, catalogues, known_categories, parse, wanted, row)
    # our barrier attributes are derived from the category: not kept
    for row in package.rows["attribute"]:
        if row.get("taxonomy_term_id") in own_terms:
            package.used.add(("attribute", row.id))
    return terms[CATEGORY_TAXONOMY], own_terms


def _our_taxonomies(package: _Package) -> dict[str, str]:
    """Taxonomy UUID -> CATEGORY_TAXONOMY or BARRIER_TAXONOMY, each once (our own package must
    have both)."""
    kind_of: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in package.rows["taxonomy"]:
        code = row.get("teilhabe_code")
        if not code:
            continue
        if code not in (CATEGORY_TAXONOMY, BARRIER_TAXONOMY):
            package.problem(
                row,
                "teilhabe_code",
                code,
                f"Unbekannte Taxonomie; erlaubt: {CATEGORY_TAXONOMY}, {BARRIER_TAXONOMY}.",
            )
        elif code in seen:
            package.problem(
                row,
                "teilhabe_code",
                code,
                f"Die Taxonomie kommt doppelt vor (auch in Zeile {seen[code]}).",
            )
        else:
            seen[code] = row.line
            kind_of[row.id] = code
            package.used.add(("taxonomy", row.id))
    if "taxonomy" not in package.unusable and package.own:
        for code in (CATEGORY_TAXONOMY, BARRIER_TAXONOMY):
            if code not in seen:
                package.problem(
                    package.file("taxonomy"), "teilhabe_code", code, "Diese Taxonomie fehlt."
                )
    return kind_of


def _check_barrier(
    package: _Package, catalogues: _Catalogues, row: _Row, column: str, code: str
) -> bool:
    """Whether a barrier code is in the database's catalogue (else a problem)."""
    if code in catalogues.barriers:
        return True
    package.problem(
        row, column, code, "Unbekanntes Hemmnis (nicht im Hemmniskatalog der Datenbank)."
    )
    return False


def _check_category_term(
    package: _Package,
    catalogues: _Catalogues,
    known_categories: set[str],
    parse: _Parser,
    wanted: _Directory,
    row: _Row,
) -> None:
    """A term of our category taxonomy: a known category with at least one known barrier."""
    code = row.get("code")
    if code not in known_categories:
        package.problem(
            row,
            "code",
            code,
            "Unbekannte Leistungskategorie; bekannt sind: "
            + ", ".join(sorted(known_categories))
            + ".",
        )
        return
    wanted.categories[code] = parse.text(row, "name", ServiceCategory.label) or ""
    addressed = [
        b.strip() for b in row.get("teilhabe_barrier_codes").split(CODE_SEPARATOR) if b.strip()
    ]
    if not addressed:
        package.problem(
            row,
            "teilhabe_barrier_codes",
            "",
            "Eine Leistungskategorie adressiert mindestens ein Hemmnis.",
        )
    for barrier in addressed:
        if _check_barrier(package, catalogues, row, "teilhabe_barrier_codes", barrier):
            wanted.category_barriers.add((code, barrier))


Owners = tuple[dict[str, str], dict[str, str], dict[str, str]]  # provider, location, service


def _keep_other_rows(
    package: _Package,
    provider_of: dict[str, str],
    location_owner: dict[str, str],
    service_of: dict[str, str],
    own_terms: set[str],
    kept: dict[tuple[str, str], _Kept],
) -> None:
    """Rows the model has no table for (and further phones, addresses, service_at_location,
    foreign taxonomy terms) are kept with the service, location's organisation or organisation
    they belong to, to be written back on export. A row is kept only if every row it refers to
    is exported too; the others are reported as left out."""
    owners = (provider_of, location_owner, service_of)
    candidates = _candidates(package, owners, own_terms)
    exported = {row_id for _, row_id in package.used}
    exported |= set(provider_of) | set(location_owner) | set(service_of)
    exported |= {row.id for _, row, _ in candidates}
    _drop_dangling(package, candidates, exported)
    seen: set[tuple[tuple[str, str], str, str]] = set()
    for name, row, owner in candidates:
        if (owner, name, row.id) not in seen:
            seen.add((owner, name, row.id))
            # empty cells left out: a file written back has more columns than the original
            kept[owner].rows[name].append({k: v for k, v in row.values.items() if v})
    for name, count in sorted(package.left_out.items()):
        package.warn(
            package.file(name),
            None,
            None,
            f"{count} Zeile(n) nicht übernommen: sie gehören zu keiner übernommenen "
            "Organisation oder Leistung oder verweisen auf nicht übernommene Zeilen.",
        )


Candidate = tuple[str, _Row, tuple[str, str]]  # (resource, row, owner)


def _candidates(package: _Package, owners: Owners, own_terms: set[str]) -> list[Candidate]:
    """The rows not yet used with the owner they would be kept with; the others are left out.
    A foreign term of an attribute comes with it (and its parents and taxonomy)."""
    provider_of, location_owner, service_of = owners
    sal_service = {
        row.id: service_of[row.get("service_id")]
        for row in package.rows["service_at_location"]
        if row.get("service_id") in service_of
    }
    candidates: list[Candidate] = []
    for name, rows in package.rows.items():
        if name in ("organization", "service", "location", "taxonomy", "taxonomy_term"):
            continue
        for row in rows:
            if (name, row.id) in package.used or _exported_link(name, row, service_of):
                continue
            owner = _owner(name, row, provider_of, location_owner, service_of, sal_service)
            if owner is None:
                _left_out(package, name, row)
                continue
            candidates.append((name, row, owner))
            if name == "attribute":
                candidates.extend(_foreign_terms(package, row, owner, own_terms))
    return candidates


def _exported_link(name: str, row: _Row, service_of: dict[str, str]) -> bool:
    """Whether the row is the one service_at_location our export writes."""
    return (
        name == "service_at_location"
        and row.get("service_id") in service_of
        and row.id == hsds_id("service_at_location", service_of[row.get("service_id")])
    )


def _foreign_terms(
    package: _Package, row: _Row, owner: tuple[str, str], own_terms: set[str]
) -> list[Candidate]:
    """The foreign term an attribute names, its parents and their taxonomies."""
    terms, taxonomies = package.by_id("taxonomy_term"), package.by_id("taxonomy")
    found: list[Candidate] = []
    term = terms.get(row.get("taxonomy_term_id"))
    while term is not None and term.id not in own_terms:
        found.append(("taxonomy_term", term, owner))
        if term.get("taxonomy_id") in taxonomies:
            found.append(("taxonomy", taxonomies[term.get("taxonomy_id")], owner))
        term = terms.get(term.get("parent_id"))
    return found


def _drop_dangling(package: _Package, candidates: list[Candidate], exported: set[str]) -> None:
    """Leave out the candidates whose references would dangle in the export, until none does."""
    changed = True
    while changed:
        changed = False
        for item in list(candidates):
            name, row, _ = item
            if any(
                _is_reference(name, column) and value and value not in exported
                for column, value in row.values.items()
            ):
                candidates.remove(item)
                exported.discard(row.id)
                _left_out(package, name, row)
                changed = True


def _left_out(package: _Package, name: str, row: _Row) -> None:
    package.left_out[name] = package.left_out.get(name, 0) + 1


def _owner(
    name: str,
    row: _Row,
    provider_of: dict[str, str],
    location_owner: dict[str, str],
    service_of: dict[str, str],
    sal_service: dict[str, str],
) -> tuple[str, str] | None:
    if name == "attribute":
        entity, link = row.get("link_entity"), row.get("link_id")
        if entity == "service" and link in service_of:
            return ("service", service_of[link])
        if entity == "organization" and link in provider_of:
            return ("provider", provider_of[link])
        if entity == "location" and link in location_owner:
            return ("provider", location_owner[link])
        return None
    if row.get("service_id"):
        sid = service_of.get(row.get("service_id"))
        return ("service", sid) if sid else None
    if row.get("service_at_location_id"):
        sid = sal_service.get(row.get("service_at_location_id"))
        return ("service", sid) if sid else None
    if row.get("location_id"):
        pid = location_owner.get(row.get("location_id"))
        return ("provider", pid) if pid else None
    if row.get("organization_id"):
        pid = provider_of.get(row.get("organization_id"))
        return ("provider", pid) if pid else None
    return None


def _store_kept(
    wanted: _Directory,
    catalogues: _Catalogues,
    known: _Directory,
    kept: dict[tuple[str, str], _Kept],
) -> None:
    """The kept fields and rows as JSON in the ``hsds`` columns; fields equal to what the
    export writes anyway are left out (so our own package round-trips without any)."""
    after = _Directory(  # the categories as the database will have them after the import
        categories={**known.categories, **wanted.categories},
        category_barriers=wanted.category_barriers
        | {(c, b) for c, b in known.category_barriers if c not in wanted.categories},
    )
    addressed: dict[str, list[str]] = defaultdict(list)
    for category, barrier in sorted(after.category_barriers):
        addressed[category].append(barrier)
    labels = {code: b["label"] for code, b in catalogues.barriers.items()}
    for (kind, key), item in kept.items():
        if kind == "provider" and key in wanted.providers:
            generated = _provider_rows(key, wanted.providers[key], catalogues.municipalities, {})
        elif kind == "location" and key in wanted.locations:
            location = wanted.locations[key]
            generated = _location_rows(
                key, location, hsds_id("organization", str(location["provider_id"])), {}
            )
        elif kind == "service" and key in wanted.services:
            service = wanted.services[key]
            description = _service_description(service, after, addressed, labels)
            generated = {"service": _service_row(key, service, {}, {}, description)}
        else:
            continue
        fields: dict[str, dict[str, str]] = {}
        for resource, values in item.fields.items():
            row = generated.get(resource, {})
            different = {
                name: value
                for name, value in values.items()
                if value != _csv_value(row.get(name))
                and not (name == "status" and resource == "service")
            }
            if different:
                fields[resource] = different
        content: dict[str, object] = {}
        if fields:
            content["fields"] = fields
        if item.rows:
            content["rows"] = {name: rows for name, rows in sorted(item.rows.items())}
        text = json.dumps(content, ensure_ascii=False, sort_keys=True) if content else None
        {"provider": wanted.providers, "location": wanted.locations, "service": wanted.services}[
            kind
        ][key]["hsds"] = text


def _unmodelled(resource: str, row: _Row, *, also: Iterable[str] = ()) -> dict[str, str]:
    skip = MODELLED.get(resource, set()) | set(also)
    return {k: v for k, v in row.values.items() if k not in skip}


@dataclass
class _Work:
    """What every step of checking a package shares: the package, the database's catalogues
    and directory, the parser, the directory being built and what is kept per owner."""

    package: _Package
    catalogues: _Catalogues
    known: _Directory
    parse: _Parser
    wanted: _Directory = field(default_factory=_Directory)
    # ("provider"|"service"|"location", id) -> the package's fields and rows we keep for it
    kept: dict[tuple[str, str], _Kept] = field(default_factory=lambda: defaultdict(_Kept))
    boundaries: Boundaries = field(default_factory=dict)


def _natural_id(
    work: _Work, row: _Row, model_id: object, what: str, first_line: dict[str, int]
) -> str | None:
    """Our id of an organisation or service (``teilhabe_id``, else the HSDS id); None (and a
    problem naming ``what`` it is) when it came before in the file."""
    column = "teilhabe_id" if row.get("teilhabe_id") else "id"
    natural_id = row.get(column)
    work.parse.text(row, column, model_id)
    if natural_id in first_line:
        work.package.problem(
            row,
            column,
            natural_id,
            f"Die {what} kommt doppelt vor (auch in Zeile {first_line[natural_id]}).",
        )
        return None
    first_line[natural_id] = row.line
    return natural_id
