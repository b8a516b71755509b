"""The importable tables of the network: providers, their services and network events."""

from __future__ import annotations

import datetime as dt

from data_access.models import (
    NetworkEvent,
    NetworkEventProvider,
    Provider,
    Service,
    ServiceArea,
)
from teilhabe.definitions import (
    PROVIDER_KINDS,
)
from teilhabe.exchange import rules
from teilhabe.exchange.specs import (
    ColumnSpec,
    LinkSpec,
    TableSpec,
    _ags,
    _district_reference,
    _latitude,
    _longitude,
)

PROVIDER = TableSpec(
    "provider",
    "Anbieter",
    Provider,
    ("id",),
    (
        ColumnSpec(
            "id",
            "Anbieter-ID",
            required=True,
            aliases=("id", "provider_id", "träger id", "träger-id"),
            example="A-001",
        ),
        ColumnSpec(
            "name",
            "Name",
            required=True,
            aliases=("anbieter", "träger", "bezeichnung", "name des anbieters"),
            example="Beispiel-Bildungswerk gGmbH",
        ),
        ColumnSpec(
            "kind",
            "Art",
            "code",
            required=True,
            aliases=("kind", "art des anbieters", "trägerart", "typ"),
            codes=PROVIDER_KINDS,
            example="Bildungsträger",
        ),
        ColumnSpec("street", "Straße", aliases=("street", "anschrift"), example="Hauptstraße 1"),
        ColumnSpec(
            "postcode",
            "PLZ",
            aliases=("postcode", "postleitzahl"),
            digits=5,
            example="89522",
        ),
        ColumnSpec("city", "Ort", aliases=("city", "stadt"), example="Heidenheim an der Brenz"),
        _ags("municipality_ags"),
        _latitude(required=False),
        _longitude(required=False),
        ColumnSpec(
            "email",
            "E-Mail",
            kind="email",
            aliases=("email", "mail"),
            example="info@example.org",
            note="Eine E-Mail-Adresse wie info@beispiel.de.",
        ),
        ColumnSpec(
            "phone",
            "Telefon",
            aliases=("phone", "telefonnummer", "tel"),
            example="07321 000000",
        ),
        ColumnSpec(
            "website",
            "Website",
            kind="url",
            aliases=("website", "internet", "homepage", "webseite", "url"),
            example="https://www.example.org",
            note="Adresse mit http:// oder https://.",
        ),
    ),
    description="Träger, Beratungsstellen und Behörden im Netzwerk.",
    row_checks=(rules.coordinates_together,),
)


SERVICE = TableSpec(
    "service",
    "Leistungen",
    Service,
    ("id",),
    (
        ColumnSpec(
            "id",
            "Leistungs-ID",
            required=True,
            aliases=("id", "service_id", "angebots id"),
            example="L-001",
        ),
        ColumnSpec(
            "provider_id",
            "Anbieter-ID",
            required=True,
            aliases=("provider_id", "träger id"),
            reference=("provider", "id"),
            example="A-001",
        ),
        ColumnSpec(
            "name",
            "Leistung",
            required=True,
            aliases=("name", "bezeichnung", "angebot"),
            example="Schuldnerberatung für Arbeitsuchende",
        ),
        ColumnSpec(
            "category_code",
            "Leistungskategorie",
            "code",
            required=True,
            aliases=("category_code", "kategorie"),
            catalogue="service_category",
            example="Schuldnerberatung",
        ),
        ColumnSpec(
            "capacity",
            "Plätze",
            "integer",
            aliases=("capacity", "kapazität", "anzahl plätze"),
            low=0,
            high=1_000_000,
            example=40,
        ),
        ColumnSpec(
            "labour_market_measure",
            "Arbeitsmarktmaßnahme",
            "boolean",
            aliases=("labour_market_measure", "maßnahme", "aktive arbeitsmarktmaßnahme"),
            default=False,
            example=False,
            note="ja: aktive Arbeitsmarktmaßnahme im Sinne der Kennzahl K3E2.",
        ),
        ColumnSpec(
            "active_from",
            "Angeboten ab",
            "date",
            required=True,
            aliases=("active_from", "gültig ab", "beginn", "von"),
            example=dt.date(2010, 1, 1),
        ),
        ColumnSpec(
            "active_to",
            "Angeboten bis",
            "date",
            aliases=("active_to", "gültig bis", "ende", "bis"),
            example=None,
            note="Leer: unbefristet.",
        ),
        ColumnSpec(
            "areas",
            "Versorgungsgebiet",
            "list",
            aliases=("areas", "service_area", "gemeinden", "versorgungsgebiet ags"),
            reference=("municipality", "ags"),
            digits=8,
            example=["08135019"],
            note="Gemeindeschlüssel der Gemeinden, für die die Leistung offen ist, "
            "getrennt durch Komma; ersetzt die bisherigen Gemeinden der Leistung.",
        ),
    ),
    links={"areas": LinkSpec(ServiceArea, "service_id", "municipality_ags")},
    description="Leistungen der Anbieter mit Kategorie, Zeitraum und Versorgungsgebiet.",
)


NETWORK_EVENT = TableSpec(
    "network_event",
    "Netzwerkveranstaltungen",
    NetworkEvent,
    ("date", "title"),
    (
        ColumnSpec(
            "date",
            "Datum",
            "date",
            required=True,
            aliases=("date", "veranstaltungsdatum"),
            example=dt.date(2013, 9, 24),
        ),
        ColumnSpec(
            "title",
            "Titel",
            required=True,
            aliases=("title", "veranstaltung", "name"),
            example="2. Netzwerkkonferenz",
        ),
        _district_reference("Darf fehlen, wenn die Datenbank nur einen Kreis kennt."),
        ColumnSpec(
            "attendees",
            "Teilnehmende",
            "integer",
            aliases=("attendees", "teilnehmer", "teilnehmerzahl", "anzahl teilnehmende"),
            low=0,
            high=1_000_000,
            example=150,
        ),
        ColumnSpec(
            "location",
            "Ort",
            aliases=("location", "veranstaltungsort"),
            example="Heidenheim an der Brenz",
        ),
        ColumnSpec(
            "providers",
            "Anbieter-IDs",
            "list",
            aliases=("providers", "teilnehmende anbieter", "anbieter"),
            reference=("provider", "id"),
            example=["A-001"],
            note="IDs der teilnehmenden Anbieter, getrennt durch Komma; ersetzt die "
            "bisherigen Teilnehmenden der Veranstaltung.",
        ),
    ),
    file_defaults=rules.event_district,
    links={"providers": LinkSpec(NetworkEventProvider, "event_id", "provider_id")},
    description="Netzwerkkonferenzen und andere Veranstaltungen des Netzwerks.",
)
