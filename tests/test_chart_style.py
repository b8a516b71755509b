"""Chart styling: category labels wrap to at most three lines and bars get room for them."""

from __future__ import annotations

import plotly.graph_objects as go

from teilhabe.reporting.chart_style import styled, wrap


def test_short_label_stays_one_line():
    assert wrap("Schuldnerberatung", 22) == "Schuldnerberatung"


def test_long_label_wraps_at_words():
    assert wrap("Beratung für Menschen mit psychischen Erkrankungen", 22) == (
        "Beratung für Menschen<br>mit psychischen<br>Erkrankungen"
    )


def test_escaped_entities_are_not_broken_apart():
    label = "&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt; " * 2
    for line in wrap(label, 12).split("<br>"):
        assert line.count("&") == line.count(";")  # whole entities only
    assert wrap(label, 12).replace("<br>", " ") == label.strip()


def test_horizontal_bars_grow_for_wrapped_labels():
    labels = [f"Kategorie {i} mit einem sehr langen Namen für Menschen" for i in range(8)]
    figure = go.Figure(go.Bar(x=list(range(8)), y=labels, orientation="h"))
    figure.update_layout(height=520)
    styled(figure, "slide")
    assert figure.data[0].y[0] == "Kategorie 0 mit einem<br>sehr langen Namen für<br>Menschen"
    # eight rows of three lines of 20 px type do not fit into 520 px
    assert figure.layout.height == round(8 * (3 * 20 * 1.3 + 8) + 120)


def test_horizontal_bars_with_short_labels_keep_their_height():
    figure = go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h"))
    figure.update_layout(height=520)
    styled(figure, "slide")
    assert figure.layout.height == 520
