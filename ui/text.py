"""Text from data or from a URL is hostile: it is shown as text, never as markup or a link.

- ``markdown_text`` for ``st.markdown``, captions, notices and toasts: every character Markdown
  (or Streamlit's extensions) could read as markup is escaped with a backslash, so
  ``[Jetzt anmelden](https://evil.example)`` stays those characters and no address becomes a
  link of its own.
- ``html_text`` for plotly's hover texts, labels and legend names, which understand a little
  HTML (``<a href>``, ``<span style>``).
"""

from __future__ import annotations

import html
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def markdown_text(value: object) -> str:
    """``value`` as plain text inside Markdown (no formatting, no link, no HTML)."""
    text = "" if value is None else str(value)
    return _MARKDOWN.sub(r"\\\1", text.replace("\n", " "))


def html_text(value: object) -> str:
    """``value`` as plain text inside plotly's HTML subset."""
    return html.escape("" if value is None else str(value), quote=True)
