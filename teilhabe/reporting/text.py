"""Text from data or from a URL is hostile: it is shown as text, never as markup or a link.

- ``markdown_text`` for ``st.markdown``, captions, notices and toasts: every character Markdown
  (or Streamlit's extensions: ``:red[...]`` colours, ``$...$`` LaTeX) could read as markup is
  escaped with a backslash, so ``[Jetzt anmelden](https://evil.example)`` stays those
  characters. Escapes do not stop GitHub-flavoured Markdown from turning a bare address
  (``https://…``, ``www.…``, ``name@host.example``) into a link — it finds them in the text after
  the escapes are read —, so an invisible word joiner (U+2060) is put where such an address
  would start: the text looks the same and is no link.
- ``html_text`` for plotly's labels, hover texts, legend names, titles and Sankey nodes, which
  understand a little HTML (``<a href>``, ``<b>``, ``<span style>``, ``<br>``). Quotes become
  numeric references, the only ones plotly decodes besides ``&amp; &lt; &gt;``.
"""

from __future__ import annotations

import html
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")
WORD_JOINER = "\u2060"
# where GFM's autolink literals begin: a scheme's "://", "www." and the "@" of an e-mail address
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=\\?:)|(?<=http)(?=\\?:)|(?<=www)(?=\\?\.)|(?<=@)")


def markdown_text(value: object) -> str:
    """``value`` as plain text inside Markdown (no formatting, no link, no HTML)."""
    text = "" if value is None else str(value)
    escaped = _MARKDOWN.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))
    return _AUTOLINK.sub(WORD_JOINER, escaped)


def html_text(value: object) -> str:
    """``value`` as plain text inside plotly's HTML subset."""
    escaped = html.escape("" if value is None else str(value), quote=False)
    return escaped.replace('"', "&#34;").replace("'", "&#39;")
