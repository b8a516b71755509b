"""Writing the provider directory as an HSDS package (``export_hsds``): byte-identical files for
the same directory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from sqlalchemy import Engine

from teilhabe.definitions import PROVIDER_KINDS
from teilhabe.exchange.hsds.directory import _Catalogues, _Directory, _load
from teilhabe.exchange.hsds.package import HsdsError
from teilhabe.exchange.hsds.schema import (
    BARRIER_LINK,
    BARRIER_TAXONOMY,
    CATEGORY_LINK,
    CATEGORY_TAXONOMY,
    CODE_SEPARATOR,
    RESOURCE_BY_NAME,
    RESOURCES,
    STATES,
    _descriptor,
    hsds_id,
)
from teilhabe.exchange.safe_paths import (
    UnusablePath,
    check_path_text,
    os_reason,
    shown_path,
)

# --- Export ----------------------------------------------------------------------------------


def export_hsds(engine: Engine, folder: Path, *, today: dt.date | None = None) -> dict[str, int]:
    """Write the provider directory to ``folder`` as an HSDS tabular data package.

    Writes every file of ``RESOURCES`` (a header even where there are no rows) and
    ``datapackage.json``; other files in the folder are left alone. ``today`` decides the HSDS
    status of services (inactive once ``active_to`` has passed). Returns the rows per file.
    """
    with engine.connect() as connection:
        directory, catalogues = _load(connection)
    tables = _hsds_tables(directory, catalogues, today or dt.date.today())
    columns: dict[str, list[str]] = {}
    try:
        folder = check_path_text(folder, "den Zielordner")
        if folder.exists() and not folder.is_dir():
            raise UnusablePath(f"{shown_path(folder)} ist kein Ordner.")
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in tables.items():
            if name not in RESOURCE_BY_NAME and not rows:
                continue
            columns[name] = _columns(name, rows)
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns[name])
                for row in rows:
                    writer.writerow([_csv_value(row.get(column)) for column in columns[name]])
        text = json.dumps(_descriptor(columns), ensure_ascii=False, indent=2) + "\n"
        (folder / "datapackage.json").write_text(text, encoding="utf-8")
    except UnusablePath as error:
        raise HsdsError(str(error)) from None
    except OSError as error:
        raise HsdsError(
            f"Das HSDS-Paket kann nicht nach „{shown_path(folder)}“ geschrieben werden: "
            f"{os_reason(error)}."
        ) from None
    return {name: len(rows) for name, rows in tables.items()}


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class HsdsExtra(TypedDict, total=False):
    """What a package had beyond the model, kept in an ``hsds`` column (JSON): fields of the
    row's HSDS objects (resource -> field -> value) and further rows (resource -> rows)."""

    fields: dict[str, dict[str, str]]
    rows: dict[str, list[dict[str, object]]]


def _hsds_of(values: Mapping[str, object]) -> HsdsExtra:
    text = values.get("hsds")
    extra: HsdsExtra = json.loads(str(text)) if text else {}
    return extra


def _with(row: dict[str, object], fields: dict[str, dict[str, str]], resource: str):
    """A generated row with the fields a package had for it written back over it."""
    return {**row, **fields.get(resource, {})}


def _provider_rows(
    pid: str,
    p: dict[str, object],
    municipalities: dict[str, str],
    fields: dict[str, dict[str, str]],
) -> dict[str, dict[str, object]]:
    """The organization, main location, address and phone rows of one provider."""
    organization = fields.get("organization", {}).get("id") or hsds_id("organization", pid)
    location = fields.get("location", {}).get("id") or hsds_id("location", pid)
    place = p["city"] or municipalities.get(str(p["municipality_ags"]), "")
    rows = {
        "organization": _with(
            {
                "id": organization,
                "name": p["name"],
                "description": f"{PROVIDER_KINDS.get(str(p['kind']), p['kind'])} in {place}",
                "email": p["email"],
                "website": p["website"],
                "teilhabe_id": pid,
                "teilhabe_kind": p["kind"],
            },
            fields,
            "organization",
        ),
        "location": _with(
            {
                "id": location,
                "location_type": "physical",
                "organization_id": organization,
                "name": p["name"],
                "latitude": p["lat"],
                "longitude": p["lon"],
                "teilhabe_municipality_ags": p["municipality_ags"],
            },
            fields,
            "location",
        ),
    }
    if p["street"] or p["postcode"] or p["city"] or "address" in fields:
        rows["address"] = _with(_address(hsds_id("address", pid), location, p), fields, "address")
    if p["phone"]:
        rows["phone"] = _with(
            {
                "id": hsds_id("phone", pid),
                "organization_id": organization,
                "number": p["phone"],
                "type": "voice",
            },
            fields,
            "phone",
        )
    return rows


def _address(address: str, location: str, p: dict[str, object]) -> dict[str, object]:
    return {
        "id": address,
        "location_id": location,
        "address_1": p["street"],
        "city": p["city"],
        "state_province": STATES.get(str(p["municipality_ags"])[:2]),
        "postal_code": p["postcode"],
        "country": "DE",
        "address_type": "physical",
    }


def _location_rows(
    lid: str, location: dict[str, object], organization: str, fields: dict[str, dict[str, str]]
) -> dict[str, dict[str, object]]:
    """The rows of a further location of a provider: location and address."""
    rows = {
        "location": _with(
            {
                "id": lid,
                "location_type": "physical",
                "organization_id": organization,
                "name": location["name"],
                "latitude": location["lat"],
                "longitude": location["lon"],
                "teilhabe_municipality_ags": location["municipality_ags"],
            },
            fields,
            "location",
        )
    }
    if location["street"] or location["postcode"] or location["city"] or "address" in fields:
        rows["address"] = _with(_address(hsds_id("address", lid), lid, location), fields, "address")
    return rows


def _service_row(
    sid: str,
    s: dict[str, object],
    fields: dict[str, dict[str, str]],
    organizations: dict[str, str],
    description: str | None,
    today: dt.date | None = None,
) -> dict[str, object]:
    active_to = s["active_to"]
    return _with(
        {
            "id": hsds_id("service", sid),
            "organization_id": organizations.get(str(s["provider_id"]))
            or hsds_id("organization", str(s["provider_id"])),
            "name": s["name"],
            "description": description,
            "status": "inactive"
            if today is not None and isinstance(active_to, dt.date) and active_to < today
            else "active",
            "teilhabe_id": sid,
            "teilhabe_capacity": s["capacity"],
            "teilhabe_labour_market_measure": bool(s["labour_market_measure"]),
            "teilhabe_active_from": s["active_from"],
            "teilhabe_active_to": active_to,
        },
        fields,
        "service",
    )


def _service_description(
    s: dict[str, object], directory: _Directory, addressed: dict, barrier_labels: dict
) -> str:
    category = str(s["category_code"])
    barriers = addressed.get(category, [])
    description = f"Leistungskategorie: {directory.categories.get(category, category)}"
    if barriers:
        labels = ", ".join(barrier_labels.get(b, b) for b in barriers)
        description += f"; adressierte Hemmnisse: {labels}"
    return description


Rows = list[dict[str, object]]
Kept = list[dict[str, list[dict[str, object]]]]  # rows kept from imported packages, in order


def _hsds_tables(directory: _Directory, catalogues: _Catalogues, today: dt.date) -> dict[str, Rows]:
    """The HSDS rows of each file (resource name -> rows), in a fixed order. What a package
    had beyond the model (``hsds`` columns) is written back: ids, fields, further rows."""
    barrier_labels = {code: b["label"] for code, b in catalogues.barriers.items()}
    addressed: dict[str, list[str]] = defaultdict(list)
    for category, barrier in sorted(directory.category_barriers):
        addressed[category].append(barrier)
    tables: dict[str, Rows] = {r.name: [] for r in RESOURCES}
    kept_rows: Kept = []
    organizations, main_location = _provider_tables(
        directory, catalogues.municipalities, tables, kept_rows
    )
    service_ids: dict[str, str] = {}
    for sid, s in sorted(directory.services.items()):
        extra = _hsds_of(s)
        row = _service_row(
            sid,
            s,
            extra.get("fields", {}),
            organizations,
            _service_description(s, directory, addressed, barrier_labels),
            today,
        )
        service_ids[sid] = str(row["id"])
        tables["service"].append(row)
        if "service_at_location" not in extra.get("rows", {}):
            tables["service_at_location"].append(
                {
                    "id": hsds_id("service_at_location", sid),
                    "service_id": service_ids[sid],
                    "location_id": main_location.get(str(s["provider_id"]))
                    or hsds_id("location", str(s["provider_id"])),
                }
            )
        category = str(s["category_code"])
        tables["attribute"].extend(
            _service_attributes(sid, service_ids[sid], category, addressed.get(category, []))
        )
        kept_rows.append(extra.get("rows", {}))
    tables["service_area"].extend(
        {
            "id": hsds_id("service_area", sid, ags),
            "service_id": service_ids.get(sid) or hsds_id("service", sid),
            "name": catalogues.municipalities.get(ags),
            "extent": ags,
            "extent_type": "text",
        }
        for sid, ags in sorted(directory.service_areas)
    )
    tables["taxonomy"] = [dict(row) for row in TAXONOMY_ROWS]  # a copy: kept rows are added
    tables["taxonomy_term"].extend(_terms(directory, catalogues, addressed, barrier_labels))
    for rows in kept_rows:  # rows kept from imported packages, each id once
        for resource, items in rows.items():
            table = tables.setdefault(resource, [])
            ids = {str(r.get("id")) for r in table}
            table.extend(r for r in items if str(r.get("id")) not in ids)
    return tables


def _provider_tables(
    directory: _Directory, municipalities: dict[str, str], tables: dict[str, Rows], kept_rows: Kept
) -> tuple[dict[str, str], dict[str, str]]:
    """Add the rows of every provider and its further locations; returns provider id ->
    organization UUID and provider id -> its main location's UUID."""
    organizations: dict[str, str] = {}
    main_location: dict[str, str] = {}
    further: dict[str, list[tuple[str, dict[str, object]]]] = defaultdict(list)
    for lid, location in sorted(
        directory.locations.items(), key=lambda item: (item[1]["provider_id"], item[1]["position"])
    ):
        further[str(location["provider_id"])].append((lid, location))
    for pid, p in sorted(directory.providers.items()):
        extra = _hsds_of(p)
        rows = _provider_rows(pid, p, municipalities, extra.get("fields", {}))
        organizations[pid] = str(rows["organization"]["id"])
        main_location[pid] = str(rows["location"]["id"])
        for resource in ("organization", "location", "address", "phone"):
            if resource in rows:
                tables[resource].append(rows[resource])
        for lid, location in further.get(pid, []):
            kept = _hsds_of(location)
            more = _location_rows(lid, location, organizations[pid], kept.get("fields", {}))
            tables["location"].append(more["location"])
            if "address" in more:
                tables["address"].append(more["address"])
            kept_rows.append(kept.get("rows", {}))
        kept_rows.append(extra.get("rows", {}))
    return organizations, main_location


def _service_attributes(sid: str, service: str, category: str, barriers: list[str]) -> Rows:
    """The links of a service (HSDS UUID ``service``) to its category and its barriers."""
    links = [(CATEGORY_LINK, category, _category_term(category))]
    links += [(BARRIER_LINK, barrier, _barrier_term(barrier)) for barrier in barriers]
    return [
        {
            "id": hsds_id("attribute", sid, link_type, code),
            "link_id": service,
            "link_type": link_type,
            "link_entity": "service",
            "taxonomy_term_id": term,
        }
        for link_type, code, term in links
    ]


def _category_term(code: str) -> str:
    return hsds_id("taxonomy_term", CATEGORY_TAXONOMY, code)


def _barrier_term(code: str) -> str:
    return hsds_id("taxonomy_term", BARRIER_TAXONOMY, code)


TAXONOMY_ROWS: Rows = [
    {
        "id": hsds_id("taxonomy", CATEGORY_TAXONOMY),
        "name": "Leistungskategorien des Teilhabe-Monitors",
        "description": "Arten von Leistungen im Netzwerk; jede Kategorie adressiert ein oder "
        "mehrere Vermittlungshemmnisse (Spalte teilhabe_barrier_codes ihrer Begriffe).",
        "teilhabe_code": CATEGORY_TAXONOMY,
    },
    {
        "id": hsds_id("taxonomy", BARRIER_TAXONOMY),
        "name": "Vermittlungshemmnisse des Teilhabe-Monitors",
        "description": "Hemmniskatalog: Umstände, die die Aufnahme von Arbeit oder Ausbildung "
        "erschweren.",
        "teilhabe_code": BARRIER_TAXONOMY,
    },
]


def _terms(
    directory: _Directory,
    catalogues: _Catalogues,
    addressed: dict[str, list[str]],
    barrier_labels: dict[str, str],
) -> Rows:
    """The terms of our two taxonomies: the categories (with the barriers they address), then
    the barrier catalogue."""
    terms: Rows = []
    for code, label in sorted(directory.categories.items()):
        barriers = addressed.get(code, [])
        terms.append(
            {
                "id": _category_term(code),
                "code": code,
                "name": label,
                "description": "Adressierte Hemmnisse: "
                + (", ".join(barrier_labels.get(b, b) for b in barriers) or "keine"),
                "taxonomy_id": hsds_id("taxonomy", CATEGORY_TAXONOMY),
                "language": "de",
                "teilhabe_barrier_codes": CODE_SEPARATOR.join(barriers),
            }
        )
    for code, barrier in sorted(catalogues.barriers.items()):
        terms.append(
            {
                "id": _barrier_term(code),
                "code": code,
                "name": barrier["label"],
                "description": barrier["description"],
                "taxonomy_id": hsds_id("taxonomy", BARRIER_TAXONOMY),
                "language": "de",
                "teilhabe_key_factor": barrier["key_factor"],
            }
        )
    return terms


def _columns(resource: str, rows: list[dict[str, object]]) -> list[str]:
    """A file's columns: ours for the resource, then any further ones its rows have."""
    known = RESOURCE_BY_NAME[resource].columns if resource in RESOURCE_BY_NAME else ["id"]
    more = dict.fromkeys(k for row in rows for k in row if k not in known)
    if resource in RESOURCE_BY_NAME:
        return [*known, *sorted(more)]
    return [*known, *more]
