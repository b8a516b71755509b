"""The PDF report for officials: one file to take into a committee meeting.

Contents, in this order: title, Jobcenter, Stichtag, Datenstand and the active filters (with the
"Demodaten" note for synthetic data); the headline figures (ELB, LZB, LZB ≥ 4 Jahre and the
§ 48a figures K1E2, K1E3, K1E4, K2, K2E3, K2E4, K3, K3E1 to K3E4) with their value a year
before and the change; the network in brief; the key charts of the Übersicht and Integration
pages (the app's own plotly figures, rendered offline by ``reporting.images``); a table by
municipality (ELB, LZB and K2 at the Stichtag and a year before); the definitions used; the
confidentiality note, also in the footer of every page. Every number comes from the data layer
already protected (``teilhabe.protection``; "–" where a rate of too small a group is not
shown); German number and date formats throughout.

Font: a TrueType font with the German umlauts, "≥" and "–" from the system, if one is found at a
known path (DejaVu Sans from Debian's ``fonts-dejavu-core``, which fontconfig pulls in, or
Liberation Sans); none is shipped. Without one the report falls back to fpdf2's core font
Helvetica, which has only Latin-1: then "≥" becomes ">=", "–" "-", and so on
(``LATIN1_REPLACEMENTS``); umlauts and "ß" are Latin-1 and stay.

No Streamlit here: the CLI (``teilhabe report``) and the app (``ui.downloads``) both call
``build_report``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import plotly.graph_objects as go
import polars as pl
from sqlalchemy import Engine

from teilhabe import definitions, figures
from teilhabe.cases import Cases
from teilhabe.definitions import LZB_BAND_COLUMNS, land_code, land_name
from teilhabe.exchange import boundaries
from teilhabe.protection import Protection
from teilhabe.reporting import (
    charts as app_charts,  # plotly only, no Streamlit (tests/test_report.py checks)
)
from teilhabe.reporting import images
from teilhabe.reporting.formatting import (
    NOT_SHOWN,
    format_as_of,
    format_change,
    format_count,
    format_date,
    format_percent,
)
from teilhabe.reporting.glossary import GLOSSARY
from teilhabe.reporting.pdf_document import BLUE, GREY, LIGHT, ReportPDF, report_font, table
from teilhabe.selection import PLACE_LEVELS, Filters, describe_filters, describe_unit, place_level

logger = logging.getLogger(__name__)

TITLE = "Teilhabe-Monitor – Bericht"
SYNTHETIC_NOTE = (
    "Demodaten: Alle Personen, Zahlen und Träger sind synthetisch erzeugt; die Namen der Träger "
    "sind erfunden. Die Eckwerte zum September 2013 folgen einem Pressebericht über die "
    "2. Netzwerkkonferenz des Jobcenters Heidenheim."
)
CHART_WIDTH = 800  # layout pixels across the 180 mm of the page: plotly's 12 px are 8 pt
CHARTS_MISSING_NOTE = "Die Diagramme konnten auf diesem Rechner nicht erzeugt werden"

# The headline figures: key, abbreviation, name, kind (count or rate in percent).
HEADLINE: tuple[tuple[str, str, str, str], ...] = (
    ("elb", "ELB", "Erwerbsfähige Leistungsberechtigte", "count"),
    ("lzb", "LZB", "Langzeitleistungsbeziehende", "count"),
    ("lzb_4y_plus", "LZB ≥ 4 Jahre", "LZB seit 4 Jahren und länger im Bezug", "count"),
    *((key, code, name, "rate") for key, (code, name) in definitions.KENNZAHLEN.items()),
)
# Glossary entries the report uses, in the order they are printed.
DEFINITIONS = (
    "as_of",
    "elb",
    "lzb",
    "lzb_4y_plus",
    "lzb_duration",
    "benefit_need",
    "elb_change",
    "elb_entry_rate",
    "elb_exit_rate",
    "integration_rate",
    "continuity_rate",
    "integration_rate_single_parents",
    "lzb_change",
    "integration_rate_lzb",
    "activation_rate_lzb",
    "lzb_entry_rate",
    "lzb_exit_rate",
    "providers",
    "network_events",
)
# Columns of the table by municipality: (key of the figure, header, kind).
MUNICIPALITY_COLUMNS = (
    ("elb", "ELB", "count"),
    ("lzb", "LZB", "count"),
    ("integration_rate", "K2", "rate"),
)
# LZB stock column -> the label of its duration band
DURATION_BANDS = {
    LZB_BAND_COLUMNS[band]: label for band, label in definitions.DURATION_BANDS.items()
}


# --- What the report shows -------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetFacts:
    """What the report says about the data set (the app's ``ui.data.Dataset`` has the same)."""

    jobcenter: str  # the Jobcenter's name, or how many Jobcenters the data cover
    data_as_of: int  # month index of the Datenstand
    synthetic: bool


def dataset_facts(engine: Engine, filters: Filters | None = None) -> DatasetFacts:
    """The facts as the app shows them in every page header: with several Jobcenters in the
    data the unit chosen by ``filters`` (``selection.describe_unit``)."""
    jobcenters = figures.jobcenters(engine=engine)
    latest = figures.data_as_of(engine=engine)
    if latest is None:
        raise ValueError("Die Datenbank enthält keine Leistungsdaten.")
    return DatasetFacts(
        jobcenter=describe_unit(filters or Filters(), jobcenters),
        data_as_of=latest,
        synthetic=figures.dataset_info(engine=engine).get("synthetic") == "true",
    )


@dataclass(frozen=True)
class ReportContent:
    """Every number and text of the report, already protected (None = "–", not shown)."""

    as_of: int
    first_month: int  # first month of the trend charts
    protection: Protection
    filters: Filters
    filter_text: str
    facts: DatasetFacts
    now: figures.HeadlineFigures  # at the Stichtag
    year_before: figures.HeadlineFigures  # twelve months earlier
    series: pl.DataFrame  # figure_series from first_month to as_of
    municipalities: pl.DataFrame  # name, then <figure>_now / <figure>_before per figure
    totals: dict[str, object]  # the same keys for the "Insgesamt" row
    boundaries: str = ""  # source and attribution of the municipality boundaries ("" if none)
    # the places of the table: the chosen unit's municipalities, else its Jobcenters or Länder
    place_level: str = "municipality"


def report_content(
    engine: Engine,
    cases: Cases,
    *,
    as_of: int,
    protection: Protection,
    filters: Filters | None = None,
    years: int = 5,
    filter_text: str | None = None,
    facts: DatasetFacts | None = None,
) -> ReportContent:
    """Gather the report's figures from the data layer (the same calls as the pages)."""
    filters = filters or Filters()
    names = figures.municipality_names(engine=engine)
    jobcenters = figures.jobcenters(engine=engine)
    if filter_text is None:
        filter_text = describe_filters(filters, names, jobcenters)
    level = place_level(filters, jobcenters)
    labels = {
        "municipality": names,
        "jobcenter": jobcenters,
        "land": {land_code(key): land_name(land_code(key)) for key in jobcenters},
    }[level]
    facts = facts or dataset_facts(engine, filters)
    now = figures.headline_figures(
        engine=engine, cases=cases, as_of=as_of, protection=protection, filters=filters
    )
    year_before = figures.headline_figures(
        engine=engine, cases=cases, as_of=as_of - 12, protection=protection, filters=filters
    )
    # as on the Übersicht: the chosen period, not before receipt of 4 years can be counted
    earliest = figures.first_complete_month(engine=engine, years=4) or as_of
    first_month = min(as_of, max(as_of - 12 * years + 1, earliest))
    series = figures.figure_series(
        cases=cases, first=first_month, last=as_of, protection=protection, filters=filters
    )
    municipalities, totals = _by_place(
        cases,
        level,
        as_of=as_of,
        protection=protection,
        filters=filters,
        names=labels,
        now=now,
        year_before=year_before,
    )
    return ReportContent(
        as_of=as_of,
        first_month=first_month,
        protection=protection,
        filters=filters,
        filter_text=filter_text,
        facts=facts,
        now=now,
        year_before=year_before,
        series=series,
        municipalities=municipalities,
        totals=totals,
        boundaries=_boundary_source(engine),
        place_level=level,
    )


def _boundary_source(engine: Engine) -> str:
    """The official boundaries' source with its attribution, as under the app's map."""
    stored = boundaries.load_boundaries(engine)
    official = stored[~stored["schematic"]]
    if official.empty:
        return ""
    names = sorted({s.split(boundaries.SOURCE_SEPARATOR, 1)[0] for s in official["source"]})
    return f"{', '.join(names)}, {boundaries.attribution(official['source'])}"


def _by_place(
    cases: Cases,
    by: str,
    *,
    as_of: int,
    protection: Protection,
    filters: Filters,
    names: dict[str, str],
    now: figures.HeadlineFigures,
    year_before: figures.HeadlineFigures,
) -> tuple[pl.DataFrame, dict[str, object]]:
    """ELB, LZB and K2 per place (``by``: municipality, jobcenter or land) now and a year
    before, and the total row.

    The totals are the headline figures (published as a whole, so the municipalities need not
    add up exactly to them), as next to every breakdown in the app.
    """
    keys = [key for key, _, _ in MUNICIPALITY_COLUMNS]
    groups = figures.breakdown_series(
        cases=cases,
        by=by,
        months=[as_of - 12, as_of],
        protection=protection,
        filters=filters,
    ).rename({by: "place"})
    table = (
        groups.filter(pl.col("month") == as_of)
        .select("place", *[pl.col(k).alias(f"{k}_now") for k in keys])
        .join(
            groups.filter(pl.col("month") == as_of - 12).select(
                "place", *[pl.col(k).alias(f"{k}_before") for k in keys]
            ),
            on="place",
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("place").replace_strict(names, default=pl.col("place")).alias("name"))
        .sort("name")
        .select("place", "name", *[f"{k}_{w}" for k in keys for w in ("now", "before")])
    )
    totals: dict[str, object] = {}
    for when, headline in (("now", now), ("before", year_before)):
        for key in keys:
            totals[f"{key}_{when}"] = headline.value(key)
    return table, totals


def key_figures(content: ReportContent) -> list[tuple[str, go.Figure]]:
    """The key charts with their headings: the app's own plotly figures (``reporting.charts``)."""
    events = content.now.network_events
    now = content.now
    bands = pl.DataFrame(
        {"band": list(DURATION_BANDS.values()), "count": [now.value(k) for k in DURATION_BANDS]},
        schema={"band": pl.String, "count": pl.Int64},
    )
    comparison = content.municipalities.select(
        pl.col("name").alias("group"), pl.col("integration_rate_now").alias("now")
    ).sort("now", descending=True, nulls_last=True)
    by_place = app_charts.group_bars(comparison, overall=now.integration_rate)
    return [
        ("Entwicklung der Bestände", app_charts.stock_trend(content.series, events)),
        (
            "Integrationsquote (K2)",
            app_charts.rate_trend(content.series, "integration_rate", events),
        ),
        ("LZB nach Dauer des laufenden Bezugs", app_charts.duration_bars(bands)),
        (
            f"Integrationsquote (K2) nach {PLACE_LEVELS[content.place_level]}",
            by_place,
        ),
    ]


def build_report(
    engine: Engine,
    cases: Cases,
    *,
    as_of: int,
    protection: Protection,
    filters: Filters | None = None,
    years: int = 5,
    filter_text: str | None = None,
    facts: DatasetFacts | None = None,
    charts: Literal["include", "omit", "try"] = "include",
    created: dt.date | None = None,
) -> bytes:
    """The PDF report as bytes.

    ``charts``: "include" renders the key charts (``images.ChartRenderError`` if that fails),
    "omit" leaves them out, "try" leaves them out with a note in the report if they cannot be
    rendered. ``filter_text`` defaults to the wording of the app (``describe_filters``),
    ``facts`` to the database's, ``created`` to today.
    """
    content = report_content(
        engine,
        cases,
        as_of=as_of,
        protection=protection,
        filters=filters,
        years=years,
        filter_text=filter_text,
        facts=facts,
    )
    pictures: list[tuple[str, bytes]] = []
    note = None
    if charts != "omit":
        chosen = key_figures(content)
        try:
            pictures = list(
                zip(
                    [title for title, _ in chosen],
                    images.figure_pngs(
                        [figure for _, figure in chosen], width=CHART_WIDTH, target="pdf"
                    ),
                    strict=True,
                )
            )
        except images.ChartRenderError as error:
            if charts == "include":
                raise
            logger.warning("Bericht ohne Diagramme: %s", error)
            note = f"{CHARTS_MISSING_NOTE}."
    return render_pdf(content, pictures, chart_note=note, created=created)


def render_pdf(
    content: ReportContent,
    pictures: Sequence[tuple[str, bytes]] = (),
    *,
    chart_note: str | None = None,
    created: dt.date | None = None,
) -> bytes:
    """Lay out the report (A4) from its content and chart images (title, PNG bytes)."""
    as_of_text = format_as_of(content.as_of)
    pdf = ReportPDF(
        report_font(),
        footer_text=f"{TITLE} · {content.facts.jobcenter} · Stichtag {as_of_text}",
        note=content.protection.note,
    )
    pdf.set_title(f"{TITLE}, Stichtag {as_of_text}")
    pdf.set_author(content.facts.jobcenter)
    pdf.set_subject(f"Kennzahlen nach § 48a SGB II; Auswahl: {content.filter_text}")
    pdf.set_creator("Teilhabe-Monitor")
    pdf.set_lang("de-DE")
    pdf.add_page()
    _title(pdf, content, created or dt.date.today())
    _headline_table(pdf, content)
    _network(pdf, content)
    _charts(pdf, pictures, chart_note)
    _municipality_table(pdf, content)
    _definitions(pdf, content)
    _sources(pdf, content)
    return bytes(pdf.output())


def _sources(pdf: ReportPDF, content: ReportContent) -> None:
    """Where the municipalities' boundaries come from (the attribution BKG data ask for)."""
    if content.boundaries:
        pdf.heading("Quellen")
        pdf.paragraph(
            "Gemeinden mit ihren amtlichen Gemeindeschlüsseln (AGS); Gemeindegrenzen der "
            f"Netzwerkkarte: {content.boundaries}.",
            size=9,
        )


def _title(pdf: ReportPDF, content: ReportContent, created: dt.date) -> None:
    pdf.use(20, bold=True, colour=BLUE)
    pdf.cell(0, 11, TITLE, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.use(12, bold=True)
    pdf.cell(0, 7, content.facts.jobcenter, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows = [
        ("Stichtag", format_as_of(content.as_of)),
        ("Datenstand", format_as_of(content.facts.data_as_of)),
        ("Auswahl", content.filter_text),
        ("Verläufe", f"{_month_label(content.first_month)} bis {_month_label(content.as_of)}"),
        ("Erstellt am", format_date(created)),
    ]
    for label, value in rows:
        pdf.use(9.5, bold=True)
        pdf.cell(28, 5.2, f"{label}:")
        pdf.use(9.5)
        pdf.multi_cell(0, 5.2, value, align="L", new_x="LMARGIN", new_y="NEXT")
    if content.facts.synthetic:
        pdf.ln(2)
        pdf.set_fill_color(*LIGHT)
        pdf.use(8.5, colour=GREY)
        pdf.multi_cell(
            0, 4.2, SYNTHETIC_NOTE, fill=True, padding=2, align="L", new_x="LMARGIN", new_y="NEXT"
        )


def _month_label(month: int) -> str:
    return f"{month % 12 + 1:02d}/{month // 12}"


def _headline_table(pdf: ReportPDF, content: ReportContent) -> None:
    pdf.heading(f"Kennzahlen zum Stichtag {format_as_of(content.as_of)}")
    headings = (
        "Kennzahl",
        "Bezeichnung",
        format_as_of(content.as_of),
        format_as_of(content.as_of - 12),
        "Veränderung",
    )
    rows = []
    for key, short, name, kind in HEADLINE:
        now, before = content.now.value(key), content.year_before.value(key)
        if kind == "count":
            counts = (_as_count(now), _as_count(before))
            rows.append(
                (
                    short,
                    name,
                    format_count(counts[0]),
                    format_count(counts[1]),
                    _count_change(*counts),
                )
            )
        else:
            rows.append(
                (
                    short,
                    name,
                    format_percent(now),
                    format_percent(before),
                    _rate_change(now, before),
                )
            )
    table(pdf, headings, rows, widths=(24, 70, 24, 24, 38), numeric_from=2)
    pdf.use(8, colour=GREY)
    pdf.multi_cell(
        0,
        3.8,
        "Quoten in Prozent; ihre Veränderung in Prozentpunkten. Die Spalten nennen den Stichtag "
        "und denselben Monat ein Jahr zuvor. Definitionen am Ende des Berichts.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _as_count(value: float | None) -> int | None:
    return None if value is None else int(value)


def _count_change(now: int | None, before: int | None) -> str:
    if now is None or before is None:
        return NOT_SHOWN
    change = now - before
    text = f"{'+' if change > 0 else ''}{format_count(change)}"
    if before:
        relative = change / before * 100
        text += f" ({format_change(relative)}\u00a0%)"
    return text


def _rate_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return NOT_SHOWN
    change = round(now, 1) - round(before, 1)
    return f"{format_change(change, 1)} Prozentpunkte"


def _network(pdf: ReportPDF, content: ReportContent) -> None:
    pdf.heading("Netzwerk")
    now = content.now
    pdf.paragraph(
        f"{format_count(now.providers)} Träger und Behörden im Netzwerk, "
        f"{format_count(now.municipalities)} Gemeinden im Zuständigkeitsgebiet."
    )
    events = now.network_events
    if events.is_empty():
        pdf.paragraph("Bis zum Stichtag sind keine Netzwerkveranstaltungen erfasst.")
        return
    pdf.ln(1)
    rows = [
        (format_date(day), title, format_count(attendees), format_count(providers))
        for day, title, attendees, providers in events.select(
            "date", "title", "attendees", "providers"
        ).iter_rows()
    ]
    table(
        pdf,
        ("Datum", "Netzwerkveranstaltung", "Teilnehmende", "Träger und Behörden"),
        rows,
        widths=(24, 96, 28, 32),
        numeric_from=2,
    )


def _charts(pdf: ReportPDF, pictures: Sequence[tuple[str, bytes]], note: str | None) -> None:
    if not pictures and not note:
        return
    pdf.add_page()
    pdf.heading("Diagramme")
    if note:
        pdf.paragraph(note, colour=GREY)
    width = pdf.epw
    for title, png in pictures:
        from PIL import Image  # fpdf2's own dependency

        with Image.open(io.BytesIO(png)) as image:
            height = width * image.height / image.width
        pdf.keep(height + 10)
        pdf.use(11, bold=True)
        pdf.cell(0, 7, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(png), w=width, h=height)
        pdf.ln(3)


def _municipality_table(pdf: ReportPDF, content: ReportContent) -> None:
    # the table on one page if it fits on one
    heading = {"municipality": "Gemeinden", "jobcenter": "Jobcentern", "land": "Ländern"}
    pdf.heading(
        f"Nach {heading[content.place_level]}",
        follows=min(6.2 * (content.municipalities.height + 2) + 12, 200),
    )
    now_label, before_label = _month_label(content.as_of), _month_label(content.as_of - 12)
    headings = [PLACE_LEVELS[content.place_level]]
    kinds = []
    for _, header, kind in MUNICIPALITY_COLUMNS:
        headings += [f"{header}\n{now_label}", f"{header}\n{before_label}"]
        kinds += [kind, kind]
    columns = [f"{key}_{w}" for key, _, _ in MUNICIPALITY_COLUMNS for w in ("now", "before")]

    def cells(values: Sequence[Any]) -> list[str]:  # a frame's row: ints, floats or None
        return [
            format_count(v) if kind == "count" else format_percent(v)
            for v, kind in zip(values, kinds, strict=True)
        ]

    rows = [
        (name, *cells(values))
        for name, *values in content.municipalities.select("name", *columns).iter_rows()
    ]
    rows.append(("Insgesamt", *cells([content.totals[c] for c in columns])))
    table(pdf, headings, rows, widths=(48, 22, 22, 22, 22, 22, 22), numeric_from=1, last_bold=True)
    pdf.use(8, colour=GREY)
    pdf.multi_cell(
        0,
        3.8,
        f"ELB und LZB am Stichtag ({format_as_of(content.as_of)}) und ein Jahr zuvor "
        f"({format_as_of(content.as_of - 12)}); K2 = Integrationsquote der zwölf Monate bis "
        "dahin. Wohnort der Personen; es gelten die Filter der Auswahl.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _definitions(pdf: ReportPDF, content: ReportContent) -> None:
    pdf.heading("Begriffe")
    keys = list(DEFINITIONS)
    if content.filters.barriers:
        keys.append("barrier_group")
    for key in keys:
        term, definition = GLOSSARY[key]
        if pdf.get_y() > pdf.page_break_trigger - 18:  # term and definition together
            pdf.add_page()
        pdf.use(9, bold=True)
        pdf.multi_cell(0, 4.4, term, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.paragraph(definition, size=9)
        pdf.ln(1.2)
    pdf.heading("Geheimhaltung")
    pdf.paragraph(content.protection.note, size=9)
    pdf.paragraph(
        "Verfahren: Zufallsüberlagerung mit Zellschlüsseln (Cell-Key-Methode, wie im Zensus "
        "2022): dieselbe Personengruppe erhält auf jeder Seite, in jeder Auswahl und in jeder "
        "Datei denselben Wert, so dass sich aus dem Vergleich zweier Werte keine einzelne "
        "Person errechnen lässt.",
        size=9,
    )
