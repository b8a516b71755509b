"""Text from data or from a URL is hostile: helpers that keep it text wherever it is written.

- ``spreadsheet_text``: a CSV cell that starts like a formula (``= + - @``, tab, carriage
  return) gets a leading apostrophe, so that Excel and LibreOffice show it as text instead of
  running it (OWASP "CSV injection"). Excel files are written with ``write_string`` and
  ``strings_to_formulas`` off instead.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """``value`` as a CSV cell: strings that would start a formula are prefixed with "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
