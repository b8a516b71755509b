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

from teilhabe.peer_codes import SHORT_NAMES
from teilhabe.reporting.chart_style import FIGURE_COLOURS, MUTED_TEXT, styled
from teilhabe.reporting.formatting import format_percent
from teilhabe.reporting.text import html_text

OWN_COLOUR = FIGURE_COLOURS["integration_rate"]
RANGE_COLOUR = "#b8c2cc"
MARKERS = {  # column -> (symbol, colour, size)
    "type_mean": ("line-ns-open", "#4a5561", 22),  # a tick: stays visible around a circle
    "land": ("square", "#1f5f8b", 10),
    "germany": ("triangle-up", "#7a3b69", 11),
    "own": ("circle", OWN_COLOUR, 14),
}
PANEL_HEIGHT = 120  # px per Kennzahl: title, line, ticks
PANEL_GAP = 44  # px between panels: the ticks of the one above


def peer_chart(
    rows: pl.DataFrame, *, comparison_type: str | None, land_name: str, own_name: str
) -> go.Figure:
    """``rows`` as ``teilhabe.peers.COMPARISON_SCHEMA``; one panel per row, its name written
    inside the panel above the line (a subplot title would collide with the ticks above it)."""
    count = max(rows.height, 1)
    height = PANEL_HEIGHT * count + 60
    figure = make_subplots(rows=count, cols=1, vertical_spacing=PANEL_GAP / height)
    names = {
        "type_mean": f"Vergleichstyp {comparison_type}: Mittelwert"
        if comparison_type
        else "Vergleichstyp: Mittelwert",
        "land": land_name or "Land",
        "germany": "Deutschland",
        "own": own_name,
    }
    for number, row in enumerate(rows.iter_rows(named=True), start=1):
        _panel(figure, number, row, names)
    figure.update_yaxes(visible=False, range=[-1, 2.2], fixedrange=True)
    figure.update_xaxes(ticksuffix=" %", tickformat=",.1f", gridcolor="#e6e9ed", fixedrange=True)
    figure.update_layout(
        separators=",.",
        margin={"l": 8, "r": 24, "t": 16, "b": 8},
        legend={"orientation": "h"},
        hovermode="closest",
        plot_bgcolor="#ffffff",
        height=height,
    )
    return styled(figure)


def _panel(figure: go.Figure, number: int, row: dict, names: dict[str, str]) -> None:
    """One Kennzahl: title, range, markers; the axis padded so that no marker sits on its edge."""
    first = number == 1
    values = [row[c] for c in ("type_min", "type_max", *MARKERS) if row[c] is not None]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.12, 0.5)
    figure.update_xaxes(range=[low - pad, high + pad], row=number, col=1)
    figure.add_annotation(
        text=html_text(f"{row['code']} {SHORT_NAMES.get(row['code'], row['label'])}"),
        xref=f"x{number if number > 1 else ''} domain",
        yref=f"y{number if number > 1 else ''}",
        x=0,
        y=1.0,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"color": MUTED_TEXT},
    )
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
                marker={
                    "symbol": symbol,
                    "color": colour,
                    "size": size,
                    "line": {"color": colour, "width": 3},
                },
                name=html_text(names[column]),
                legendgroup=column,
                showlegend=first,
                hovertemplate=html_text(f"{names[column]}: {format_percent(row[column])}")
                + "<extra></extra>",
            ),
            row=number,
            col=1,
        )
