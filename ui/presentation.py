"""Presentation mode: full-screen slides for a conference hall.

Large type, high contrast, no sidebar or developer chrome (hidden with local CSS, nothing loaded
from elsewhere). The global filters stay in force: they are still set in the (hidden) sidebar
from the link, and each slide names them.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from teilhabe.reporting.chart_style import styled

# Local CSS only: hides the chrome and scales the type up for the back of the room.
STYLE = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stHeaderActionElements"], footer { display: none !important; }
.stMainBlockContainer, [data-testid="stMainBlockContainer"] {
    max-width: 100% !important; padding: 1.5rem 3rem 1rem 3rem !important;
}
h1 { font-size: 3.2rem !important; color: #10212f !important; }
h2 { font-size: 2.2rem !important; color: #10212f !important; }
[data-testid="stMetricValue"] { font-size: 4.2rem !important; color: #10212f !important; }
[data-testid="stMetricLabel"] p { font-size: 1.6rem !important; color: #10212f !important; }
[data-testid="stMetricDelta"] { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
    font-size: 1.15rem !important; color: #33414e !important; opacity: 1 !important;
}
/* the extra keys of presenter clickers (PageUp/PageDown): buttons without a place on screen */
.st-key-clicker_keys { display: none !important; }
</style>
"""


def hide_chrome() -> None:
    st.html(STYLE)


def big(figure: go.Figure, height: int = 560) -> go.Figure:
    """The figure in the slide style: type large enough for a hall, margins for the labels."""
    return styled(figure, "slide", height=height)
