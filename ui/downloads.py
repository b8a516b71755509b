"""Download buttons: every table as CSV and Excel ("–" where the page shows "–"), every chart
as PNG, and the PDF report for the current selection.

PNG and PDF are produced only when the button is clicked (a callable as ``data``, run by
Streamlit off the page script): rendering with kaleido takes 0.3 to 2 s per file, which no page
run should wait for. Both work offline (``teilhabe.reporting.images``, ``teilhabe.reporting.pdf``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import streamlit as st

from data_access.periods import month_key
from teilhabe.reporting import charts
from teilhabe.reporting.exports import Column, to_csv, to_xlsx
from teilhabe.reporting.formatting import format_as_of
from ui import data, tables
from ui.data import Dataset
from ui.filters import Selection, describe


def header_lines(title: str, dataset: Dataset, selection: Selection) -> list[str]:
    """What a table file says about itself: title, Stichtag, filters, data, confidentiality."""
    lines = [
        f"Teilhabe-Monitor – {title}",
        f"{dataset.jobcenter}; Stichtag {format_as_of(selection.as_of)}; "
        f"Datenstand {format_as_of(dataset.as_of)}",
        f"Auswahl: {describe(selection)}",
    ]
    if dataset.synthetic:
        lines.append("Demodaten: alle Personen und Zahlen sind synthetisch erzeugt.")
    lines.append(dataset.protection.note)
    return lines


def table_with_downloads(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    *,
    title: str,
    dataset: Dataset,
    selection: Selection,
    file_stem: str,
    key: str,
    height: Literal["auto", "content"] = "auto",
) -> None:
    """A table as the page shows it, with its CSV and Excel buttons: one spec for both.
    ``height``: "auto" shows at most ten rows (and scrolls), "content" every row."""
    st.dataframe(tables.shown(frame, columns), hide_index=True, key=key, height=height)
    table_downloads(
        frame, columns, title=title, dataset=dataset, selection=selection, file_stem=file_stem
    )


def table_downloads(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    *,
    title: str,
    dataset: Dataset,
    selection: Selection,
    file_stem: str,
) -> None:
    """Two small buttons under a table; the files hold exactly the values the table shows."""
    header = header_lines(title, dataset, selection)
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "CSV",
            data=to_csv(frame, columns, header),
            file_name=f"{file_stem}.csv",
            mime="text/csv",
            key=f"download_{file_stem}_csv",
            icon=":material/download:",
            on_click="ignore",
        )
        st.download_button(
            "Excel",
            data=to_xlsx(frame, columns, header, sheet=title),
            file_name=f"{file_stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"download_{file_stem}_xlsx",
            icon=":material/download:",
            on_click="ignore",
        )


# --- Charts as PNG ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageTables:
    """The tables of one page run with their downloads: the data set and selection named once."""

    dataset: Dataset
    selection: Selection

    def show(
        self, frame: pl.DataFrame, columns: list[Column], title: str, stem: str, key: str
    ) -> None:
        table_with_downloads(
            frame,
            columns,
            title=title,
            dataset=self.dataset,
            selection=self.selection,
            file_stem=stem,
            key=key,
        )

    def downloads(self, frame: pl.DataFrame, columns: list[Column], title: str, stem: str) -> None:
        """Only the buttons: for data shown as a chart, not as a table."""
        table_downloads(
            frame,
            columns,
            title=title,
            dataset=self.dataset,
            selection=self.selection,
            file_stem=stem,
        )


def chart_note(dataset: Dataset, selection: Selection) -> list[str]:
    """What a downloaded chart says under its title: Jobcenter, Stichtag, filters, protection."""
    first = f"{dataset.jobcenter} · Stichtag {format_as_of(selection.as_of)} · "
    first += f"Auswahl: {describe(selection)}"
    if dataset.synthetic:
        first += " · Demodaten"
    return [
        first,
        "Fallzahlen geringfügig verändert (Zufallsüberlagerung), 1 und 2 erscheinen nie; "
        "– = zu kleine Gruppe",
    ]


def chart_with_download(
    figure: go.Figure,
    key: str,
    file_stem: str,
    *,
    title: str | None = None,
    note: str | Sequence[str] | None = None,
) -> None:
    """The chart as on the pages (``st.plotly_chart``), and under it a "PNG" button.

    The image is rendered offline when the button is clicked, not on the page run; ``title``
    and ``note`` (e.g. ``chart_note(dataset, selection)``) are printed into the image only.
    Usage on a page, instead of ``st.plotly_chart(fig, key=..., config=charts.PLOTLY_CONFIG)``:
    ``downloads.chart_with_download(fig, "stock_trend", "bestaende", title="Entwicklung der
    Bestände", note=downloads.chart_note(dataset, chosen))``.
    """
    st.plotly_chart(figure, key=key, config=charts.PLOTLY_CONFIG)
    st.download_button(
        "PNG",
        data=_png_later(figure, title, tuple([note] if isinstance(note, str) else note or ())),
        file_name=f"{file_stem}.png",
        mime="image/png",
        key=f"download_{key}_png",
        icon=":material/image:",
        on_click="ignore",
        help="Das Diagramm als Bild (PNG) herunterladen",
    )


def _png_later(figure: go.Figure, title: str | None, note: tuple[str, ...]) -> Callable[[], bytes]:
    """A callable for ``st.download_button``: the PNG, rendered on click (cached)."""
    return lambda: _png(figure.to_json(), title, note)


@functools.lru_cache(maxsize=32)
def _png(figure_json: str, title: str | None, note: tuple[str, ...]) -> bytes:
    """PNG bytes of a figure, cached on its JSON: a second click costs nothing."""
    from teilhabe.reporting.images import figure_png  # kaleido: only when a PNG is asked for

    return figure_png(pio.from_json(figure_json), title=title, note=note)


# --- The PDF report --------------------------------------------------------------------------

_REPORTS: dict[tuple, bytes] = {}  # the last few reports, by what they show
_REPORTS_KEPT = 4
_REPORTS_LOCK = threading.Lock()


def report_download(dataset: Dataset, selection: Selection, *, key: str = "report_pdf") -> None:
    """One button "Bericht (PDF)": the report for the current selection, built on click.

    Title, Stichtag, filters, headline figures with the year before, key charts, table by
    municipality, definitions and confidentiality note (``teilhabe.reporting.pdf``). Where Chromium
    is missing the report comes without charts and says so.
    """
    from teilhabe.reporting.pdf import DatasetFacts

    engine, cases = data.report_inputs(dataset.version)  # in the page run: cached resources
    facts = DatasetFacts(dataset.jobcenter, dataset.as_of, dataset.synthetic)
    filter_text = describe(selection)
    wanted = (
        dataset.version,
        dataset.protection,
        facts,
        selection.as_of,
        selection.years,
        selection.filters,
        filter_text,
    )

    def build() -> bytes:
        from teilhabe.reporting.pdf import build_report

        with _REPORTS_LOCK:
            if wanted in _REPORTS:
                return _REPORTS[wanted]
        pdf = build_report(
            engine,
            cases,
            as_of=selection.as_of,
            protection=dataset.protection,
            filters=selection.filters,
            years=selection.years,
            filter_text=filter_text,
            facts=facts,
            charts="try",
        )
        with _REPORTS_LOCK:
            _REPORTS[wanted] = pdf
            while len(_REPORTS) > _REPORTS_KEPT:
                _REPORTS.pop(next(iter(_REPORTS)))
        return pdf

    st.download_button(
        "Bericht (PDF)",
        data=build,
        file_name=f"teilhabe-bericht-{month_key(selection.as_of)}.pdf",
        mime="application/pdf",
        key=key,
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        help="Bericht für Gremien mit der aktuellen Auswahl: Kennzahlen mit Vorjahr, "
        "Diagramme, Tabelle nach Gemeinden, Begriffe, Hinweis zur Geheimhaltung "
        "(wird beim Klick erzeugt, einige Sekunden).",
    )
