"""Download buttons for every table: CSV and Excel, with "*" where the page shows "*"."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st

from data_access.confidentiality import footnote
from teilhabe.exports import Column, to_csv, to_xlsx
from teilhabe.formatting import format_as_of
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
    lines.append(footnote(dataset.threshold))
    return lines


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
