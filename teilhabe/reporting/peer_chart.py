"""The comparison chart: per Kennzahl one small panel with the range (min–max) and mean of the
Vergleichstyp, the Land, Germany and the own Jobcenter on the same axis.

One panel per Kennzahl, each with its own axis: a rate near 25 % and a change near −3 % on a
shared axis would squash the one that matters. Labels from data (the Vergleichstyp) are escaped
with ``reporting.text.html_text``.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from teilhabe.reporting.chart_style import FIGURE_COLOURS, MUTED_TEXT, styled
from teilhabe.reporting.formatting import format_percent
from teilhabe.reporting.text import html_text

OWN_COLOUR = FIGURE_COLOURS["integration_rate"]
RANGE_COLOUR = "#b8c2cc"
MARKERS = {  # column -> (symbol, colour, size)
    "type_mean": ("diamond", "#4a5561", 11),
    "land": ("square", "#1f5f8b", 10),
    "germany": ("triangle-up", "#7a3b69", 11),
    "own": ("circle", OWN_COLOUR, 14),
}
PANEL_HEIGHT = 74


def peer_chart(
    rows: pl.DataFrame, *, comparison_type: str | None, land_name: str, own_name: str
) -> go.Figure:
    """``rows`` as ``teilhabe.peers.COMPARISON_SCHEMA``; one panel per row."""
    count = max(rows.height, 1)
    figure = make_subplots(
        rows=count,
        cols=1,
        vertical_spacing=min(0.5 / count, 0.12),
        subplot_titles=[html_text(f"{r['code']} {r['label']}") for r in rows.iter_rows(named=True)],
    )
    names = {
        "type_mean": f"Vergleichstyp {comparison_type}: Mittelwert"
        if comparison_type
        else "Vergleichstyp: Mittelwert",
        "land": land_name or "Land",
        "germany": "Deutschland",
        "own": own_name,
    }
    for number, row in enumerate(rows.iter_rows(named=True), start=1):
        first = number == 1
        if row["type_min"] is not None and row["type_max"] is not None:
            figure.add_trace(
                go.Scatter(
                    x=[row["type_min"], row["type_max"]],
                    y=[0, 0],
                    mode="lines",
                    line={"color": RANGE_COLOUR, "width": 10},
                    name=html_text("Vergleichstyp: Spannweite (min.–max.)"),
                    legendgroup="range",
                    showlegend=first,
                    hovertemplate=html_text(
                        f"Spannweite {format_percent(row['type_min'])} bis "
                        f"{format_percent(row['type_max'])} ({row['type_count']} Jobcenter)"
                    )
                    + "<extra></extra>",
                ),
                row=number,
                col=1,
            )
        for column, (symbol, colour, size) in MARKERS.items():
            if row[column] is None:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[row[column]],
                    y=[0],
                    mode="markers",
                    marker={"symbol": symbol, "color": colour, "size": size},
                    name=html_text(names[column]),
                    legendgroup=column,
                    showlegend=first,
                    hovertemplate=html_text(f"{names[column]}: {format_percent(row[column])}")
                    + "<extra></extra>",
                ),
                row=number,
                col=1,
            )
    figure.update_yaxes(visible=False, range=[-1, 1])
    figure.update_xaxes(ticksuffix=" %", tickformat=",.1f", gridcolor="#e6e9ed", zeroline=True)
    figure.update_annotations(font={"color": MUTED_TEXT}, xanchor="left", x=0)
    figure.update_layout(
        separators=",.",
        margin={"l": 8, "r": 24, "t": 40, "b": 8},
        legend={"orientation": "h"},
        hovermode="closest",
        height=PANEL_HEIGHT * count + 90,
    )
    return styled(figure)
