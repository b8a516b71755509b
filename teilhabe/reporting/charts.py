"""Plotly figures in the app's style: German number format, calm colours, no external assets.

Every label, legend name and hover text that may come from data (names of municipalities,
providers, categories, events) passes ``reporting.text.html_text``: plotly reads a little HTML
in them.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from data_access.periods import month_start
from teilhabe.reporting.chart_style import (
    FIGURE_COLOURS,
    TEXT,
    TOPOJSON_URL,
    colour,
    line_look,
    styled,
)
from teilhabe.reporting.formatting import format_count, format_percent
from teilhabe.reporting.text import html_text

COLOURS = FIGURE_COLOURS  # one colour per figure across the app (teilhabe.reporting.chart_style)
# the column of a share chart -> the colour of its figure
SHARE_COLOURS = {"elb_share": COLOURS["elb"], "lzb_share": COLOURS["lzb"]}
# Offline-safe: no link to plotly's cloud, German number separators.
PLOTLY_CONFIG = {"displaylogo": False, "locale": "de", "topojsonURL": TOPOJSON_URL}
LAYOUT = {
    "separators": ",.",
    "margin": {"l": 8, "r": 24, "t": 16, "b": 8},
    "legend": {"orientation": "h"},
    "hovermode": "x unified",
}


def stock_trend(series: pl.DataFrame, events: pl.DataFrame) -> go.Figure:
    """ELB and LZB stock per month; network events as dotted vertical lines."""
    months = [month_start(m) for m in series["month"]]
    figure = go.Figure()
    for column, name in (
        ("elb", "ELB"),
        ("lzb", "LZB"),
        ("lzb_4y_plus", "LZB seit 4 Jahren und länger"),
    ):
        figure.add_trace(
            go.Scatter(
                x=months,
                y=series[column].to_list(),
                name=name,
                mode="lines",
                line={"color": COLOURS[column], "width": 3},
                hovertemplate="%{y:,.0f}",
            )
        )
    _event_markers(figure, events, top=max((v or 0) for v in series["elb"].to_list()) * 1.08)
    figure.update_layout(
        **LAYOUT,
        yaxis={"rangemode": "tozero", "tickformat": ",.0f"},
        xaxis={"tickformat": "%m/%Y", "hoverformat": "%m/%Y"},
        height=380,
    )
    return styled(figure)


def _event_markers(figure: go.Figure, events: pl.DataFrame, top: float) -> None:
    """Network events as dotted lines with a marker on top that names them on hover.

    Hover text instead of annotations: titles of neighbouring events would overlap.
    """
    if events.is_empty():
        return
    for day in events["date"]:
        figure.add_vline(x=day, line={"color": COLOURS["event"], "dash": "dot", "width": 1})
    figure.add_trace(
        go.Scatter(
            x=events["date"].to_list(),
            y=[top] * events.height,
            mode="markers",
            name="Netzwerkveranstaltung",
            marker={"symbol": "star", "size": 14, "color": COLOURS["event"]},
            text=[
                f"{d:%d.%m.%Y}: {html_text(t)}"
                for d, t in events.select("date", "title").iter_rows()
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    )


def rate_trend(
    series: pl.DataFrame, column: str, events: pl.DataFrame, name: str = "Integrationsquote"
) -> go.Figure:
    """A rate in percent per month; months without a rate are gaps, not zeros.

    Drawn in the colour of its figure (``rate_colour``)."""
    months = [month_start(m) for m in series["month"]]
    values = series[column].to_list()
    figure = go.Figure(
        go.Scatter(
            x=months,
            y=values,
            mode="lines",
            name=name,
            line={"color": rate_colour(column), "width": 3},
            hovertemplate="%{y:.1f} %<extra></extra>",
            connectgaps=False,
        )
    )
    top = max((v for v in values if v is not None), default=0) * 1.15
    _event_markers(figure, events, top=top)
    figure.update_layout(
        **LAYOUT,
        yaxis={"rangemode": "tozero", "ticksuffix": " %", "tickformat": ",.0f"},
        xaxis={"tickformat": "%m/%Y", "hoverformat": "%m/%Y"},
        height=380,
        showlegend=False,
    )
    return styled(figure)


def rate_colour(key: str) -> str:
    """The colour of a § 48a rate: the changes, entries and exits of a stock (K1E2 to K1E4 of
    the ELB, K3, K3E3, K3E4 of the LZB) are the stock's, the others the integrations'."""
    if key in ("elb_change", "elb_entry_rate", "elb_exit_rate"):
        return COLOURS["elb"]
    if key in ("lzb_change", "lzb_entry_rate", "lzb_exit_rate"):
        return COLOURS["lzb"]
    return COLOURS["integration_rate"]


def duration_bars(
    bands: pl.DataFrame, colour: str = COLOURS["lzb"], *, horizontal: bool = False
) -> go.Figure:
    """Counts per band (column ``band``, ``count``); a band without value is drawn empty and
    labelled "–". ``horizontal`` for many or long labels (first band on top)."""
    if horizontal:
        bands = bands.reverse()  # plotly draws the first bar at the bottom
    counts = bands["count"].to_list()
    labels = [html_text(band) for band in bands["band"].to_list()]
    heights = [c or 0 for c in counts]
    figure = go.Figure(
        go.Bar(
            x=heights if horizontal else labels,
            y=labels if horizontal else heights,
            orientation="h" if horizontal else "v",
            text=[format_count(c) for c in counts],
            textposition="outside",
            marker_color=colour,
            hovertemplate=("%{y}" if horizontal else "%{x}") + ": %{text}<extra></extra>",
        )
    )
    # room beside the longest bar for its value label
    values = {"tickformat": ",.0f", "range": [0, max(10, max(heights, default=0) * 1.15)]}
    groups = {"type": "category"}  # labels such as "2" are categories, not numbers
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        height=max(380, 40 * len(labels) + 80) if horizontal else 380,
        xaxis=values if horizontal else groups,
        yaxis=groups if horizontal else values,
        showlegend=False,
    )
    return styled(figure)


def group_bars(
    comparison: pl.DataFrame, overall: float | None, colour: str = COLOURS["integration_rate"]
) -> go.Figure:
    """A rate per group at the Stichtag (horizontal bars), the overall value as a dashed line.

    Groups without a value keep their row, drawn empty and labelled "–". The groups are categories
    even where they look like numbers ("1", "2", "3" Hemmnisse next to "keine").
    """
    ordered = comparison.reverse()  # plotly draws the first bar at the bottom
    values = ordered["now"].to_list()
    shown = [v for v in values if v is not None] + ([overall] if overall is not None else [])
    low, high = min(shown + [0.0]), max(shown + [0.0])
    span = max(high - low, 10.0)
    figure = go.Figure(
        go.Bar(
            y=[html_text(group) for group in ordered["group"].to_list()],
            x=[v or 0 for v in values],
            orientation="h",
            text=[format_percent(v) for v in values],
            # inside the bar's end where it fits (white on the bar colour): the dashed line of
            # the overall value then does not cross the labels
            textposition=[
                "inside" if v is not None and abs(v) >= 0.25 * span else "outside" for v in values
            ],  # a group without a value (an empty bar) keeps its "–" beside the axis
            insidetextanchor="end",
            insidetextfont={"color": "#ffffff"},
            outsidetextfont={"color": TEXT},
            marker_color=colour,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    if overall is not None:
        figure.add_vline(x=overall, line={"color": TEXT, "dash": "dash", "width": 2})
        figure.update_xaxes(title_text=f"gestrichelt: insgesamt {format_percent(overall)}")
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        height=max(260, 40 * ordered.height + 80),
        # room beside the longest bars (either side of zero) for their value labels
        xaxis={
            "ticksuffix": " %",
            "range": [low - 0.22 * span if low < 0 else 0, high + 0.22 * span if high > 0 else 0],
        },
        yaxis={"type": "category"},
        showlegend=False,
    )
    return styled(figure)


def kind_bars(
    counts: dict[str, int | None], colour: str = COLOURS["integration_rate"]
) -> go.Figure:
    """Integrations by kind; a count without value is drawn empty and labelled "–"."""
    figure = go.Figure(
        go.Bar(
            x=[html_text(kind) for kind in counts],
            y=[c or 0 for c in counts.values()],
            text=[format_count(c) for c in counts.values()],
            textposition="outside",
            marker_color=colour,
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    largest = max((c or 0 for c in counts.values()), default=0)
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        height=360,
        yaxis={"tickformat": ",.0f", "range": [0, max(10, largest * 1.15)]},
        xaxis={"type": "category"},
        showlegend=False,
    )
    return styled(figure)


def share_bars(frame: pl.DataFrame, columns: dict[str, str]) -> go.Figure:
    """Shares in percent per row of ``frame`` (column ``label``), one bar series per column.

    A share not shown is drawn empty and labelled "–". ELB and LZB keep their colours whatever
    the order of ``columns``.
    """
    ordered = frame.reverse()  # plotly draws the first bar at the bottom
    figure = go.Figure()
    for number, (column, name) in enumerate(columns.items()):
        bar_colour = SHARE_COLOURS.get(column, colour(number))
        values = ordered[column].to_list()
        figure.add_trace(
            go.Bar(
                y=[html_text(label) for label in ordered["label"].to_list()],
                x=[v or 0 for v in values],
                name=name,
                orientation="h",
                text=[format_percent(v) for v in values],
                textposition="outside",
                marker_color=bar_colour,
                hovertemplate=f"{name}: %{{text}}<extra>%{{y}}</extra>",
            )
        )
    largest = max((v or 0 for c in columns for v in frame[c].to_list()), default=0)
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        barmode="group",
        height=max(300, 48 * ordered.height + 80),
        # room for the labels outside the longest bar
        xaxis={"ticksuffix": " %", "range": [0, max(10.0, largest * 1.2)]},
        yaxis={"type": "category"},
    )
    figure.update_layout(legend_traceorder="reversed")  # in the order of the bars of a group
    return styled(figure)


def share_trend(series: pl.DataFrame, column: str) -> go.Figure:
    """A share in percent per month (x) and group (column ``label``), one line per group."""
    figure = go.Figure()
    for number, ((label,), rows) in enumerate(series.group_by("label", maintain_order=True)):
        figure.add_trace(
            go.Scatter(
                x=[month_start(m) for m in rows["month"]],
                y=rows[column].to_list(),
                name=html_text(label),
                mode="lines+markers",
                hovertemplate="%{y:.1f} %",
                connectgaps=False,
                **line_look(number),
            )
        )
    figure.update_layout(
        **LAYOUT,
        yaxis={"rangemode": "tozero", "ticksuffix": " %", "tickformat": ",.0f"},
        xaxis={"tickformat": "%m/%Y", "hoverformat": "%m/%Y"},
        height=460,
    )
    return styled(figure)


def heatmap(
    values: list[list[float | None]],
    columns: list[str],
    rows: list[str],
    *,
    value_name: str,
    column_name: str,
    row_name: str,
) -> go.Figure:
    """A matrix of percentages; cells without a value stay blank and are labelled "–"."""
    text = [[format_percent(v) for v in row] for row in values]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[html_text(column) for column in columns],
            y=[html_text(row) for row in rows],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12},
            colorscale="Blues",
            hoverongaps=False,
            colorbar={"ticksuffix": " %", "title": {"text": value_name}},
            hovertemplate=(
                f"{row_name}: %{{y}}<br>{column_name}: %{{x}}<br>{value_name}: %{{text}}"
                "<extra></extra>"
            ),
        )
    )
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        height=max(320, 52 * len(rows) + 160),
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -30 if len(columns) > 5 else 0},
    )
    return styled(figure)


def sankey(links: pl.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Flows (source, target, referrals); node ids are mapped to German labels."""
    nodes = sorted(set(links["source"].to_list()) | set(links["target"].to_list()))
    order = sorted(
        nodes, key=lambda n: (["barrier", "category", "outcome"].index(n.split(":")[0]), n)
    )
    index = {node: i for i, node in enumerate(order)}
    colour_of = {
        "barrier": COLOURS["lzb"],
        "category": COLOURS["reach"],
        "outcome": COLOURS["integration_rate"],
    }
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [html_text(labels.get(n, n)) for n in order],
                "color": [colour_of[n.split(":")[0]] for n in order],
                "pad": 14,
                "thickness": 16,
                "hovertemplate": "%{label}: %{value:,.0f} Zuweisungen<extra></extra>",
            },
            link={
                "source": [index[s] for s in links["source"]],
                "target": [index[t] for t in links["target"]],
                "value": links["referrals"].to_list(),
                "color": "rgba(91,107,122,0.25)",
                "hovertemplate": (
                    "%{source.label} → %{target.label}: %{value:,.0f} Zuweisungen<extra></extra>"
                ),
            },
        )
    )
    figure.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=560, separators=",.")
    return styled(figure)


def events_timeline(events: pl.DataFrame) -> go.Figure:
    """Network events on a time axis: marker size by attendees, providers in the hover."""
    figure = go.Figure(
        go.Scatter(
            x=events["date"].to_list(),
            y=events["attendees"].to_list(),
            mode="markers+lines",
            line={"color": COLOURS["event"], "dash": "dot", "width": 1},
            marker={
                "size": [max(12, (a or 0) / 5) for a in events["attendees"].to_list()],
                "color": COLOURS["reach"],
                "symbol": "star",
            },
            text=[
                f"<b>{d:%d.%m.%Y}: {html_text(t)}</b><br>{format_count(a)} Teilnehmende, "
                f"{len(p)} Träger und Behörden"
                for d, t, a, p in events.select(
                    "date", "title", "attendees", "providers"
                ).iter_rows()
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    figure.update_layout(
        **{**LAYOUT, "hovermode": "closest"},
        height=320,
        showlegend=False,
        xaxis={"tickformat": "%m/%Y"},
        yaxis={"title": {"text": "Teilnehmende"}, "rangemode": "tozero", "tickformat": ",.0f"},
    )
    return styled(figure)


def count_trend(series: pl.DataFrame) -> go.Figure:
    """Counts per month (x: ``month``) and group (``label``; ``value``), one line per group;
    values not shown are gaps."""
    figure = go.Figure()
    groups = series.sort("label", "month").group_by("label", maintain_order=True)
    for number, ((label,), rows) in enumerate(groups):
        figure.add_trace(
            go.Scatter(
                x=[month_start(m) for m in rows["month"]],
                y=rows["value"].to_list(),
                name=html_text(label),
                mode="lines+markers",
                hovertemplate="%{y:,.0f}",
                connectgaps=False,
                **line_look(number),
            )
        )
    figure.update_layout(
        **LAYOUT,
        yaxis={"rangemode": "tozero", "tickformat": ",.0f"},
        xaxis={"tickformat": "%m/%Y", "hoverformat": "%m/%Y"},
        height=460,
    )
    return styled(figure)
