"""Parsing the text of one cell into a value: numbers, dates, booleans, e-mail addresses, URLs,
text without control characters.
"""

from __future__ import annotations

import datetime as dt
import math
import re

# --- Parsing values --------------------------------------------------------------------------


class _Invalid(Exception):
    """A value does not parse; the message says why, in German."""


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# bidirectional controls: they make a name read differently from what it is ("Trojan Source")
BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)
HOST = re.compile(
    r"(?:[A-Za-z0-9\u00c0-\uffff](?:[A-Za-z0-9\u00c0-\uffff-]{0,61}[A-Za-z0-9\u00c0-\uffff])?\.)+"
    r"[A-Za-z\u00c0-\uffff]{2,63}"
)
GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?")
TRUE = {"ja", "j", "true", "wahr", "1", "x", "yes", "y"}
FALSE = {"nein", "n", "false", "falsch", "0", "no"}


def _compact(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f']", "", text)


def parse_integer(text: str) -> int:
    value = _compact(text)
    if GROUPED.fullmatch(value):
        value = value.replace(".", "")  # German thousands: 49.526
    elif re.fullmatch(r"[+-]?\d+[.,]0+", value):
        value = re.split(r"[.,]", value)[0]  # 1975,0 / 1975.0 as spreadsheets write numbers
    if not re.fullmatch(r"[+-]?\d{1,15}", value):
        raise _Invalid("Der Wert ist keine ganze Zahl.")
    return int(value)


def parse_number(text: str) -> float:
    value = _compact(text)
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")  # 1.234,5
        else:
            value = value.replace(",", "")  # 1,234.5
    elif "," in value:
        if value.count(",") > 1:
            raise _Invalid("Der Wert ist keine Zahl.")
        value = value.replace(",", ".")  # decimal comma: 48,68
    elif value.count(".") > 1 and GROUPED.fullmatch(value):
        value = value.replace(".", "")
    if not NUMBER.fullmatch(value):
        raise _Invalid("Der Wert ist keine Zahl.")
    number = float(value)
    if not math.isfinite(number):
        raise _Invalid("Der Wert ist keine Zahl.")
    return number


def parse_date(text: str) -> dt.date:
    value = text.strip()
    if match := ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := GERMAN_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise _Invalid("Der Wert ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _Invalid("Dieses Datum gibt es nicht.") from None


def parse_boolean(text: str) -> bool:
    value = text.strip().casefold()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise _Invalid("Erlaubt sind ja und nein.")


def _digits(text: str, digits: int, header: str, *, numeric: bool = False) -> str:
    """A key of exactly ``digits`` digits as written. Only a number cell (Excel, Parquet) that
    lost its leading zero gets it back (8135019 for 08135019); the caller notes that."""
    value = _compact(text)
    if numeric and re.fullmatch(r"\d+[.,]0", value):
        value = value[:-2]  # a key stored as a number cell: 8135019.0
    if numeric and re.fullmatch(r"\d+", value) and len(value) == digits - 1:
        value = "0" + value  # the leading zero a spreadsheet drops: 8135019 for 08135019
    if not re.fullmatch(rf"\d{{{digits}}}", value):
        raise _Invalid(f"{header}: genau {digits} Ziffern erwartet.")
    return value


def parse_email(text: str) -> str:
    value = text.strip().removeprefix("mailto:")
    if not EMAIL.fullmatch(value) or ".." in value or value.startswith("."):
        raise _Invalid("Keine gültige E-Mail-Adresse (Form: name@beispiel.de).")
    return value


def parse_url(text: str) -> str:
    from urllib.parse import urlsplit

    value = text.strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not HOST.fullmatch(host)
        or re.search(r"\s", value)
        or parts.username
        or parts.password
    ):
        raise _Invalid("Keine gültige Website; erlaubt sind Adressen mit http:// oder https://.")
    return value


def _text(text: str, limit: int | None) -> str:
    if CONTROL.search(text):
        raise _Invalid("Der Wert enthält unzulässige Steuerzeichen.")
    if BIDI.search(text):
        raise _Invalid(
            "Der Wert enthält Steuerzeichen für die Schreibrichtung; sie lassen Namen anders "
            "erscheinen, als sie sind."
        )
    if limit is not None and len(text) > limit:
        raise _Invalid(f"Der Wert ist länger als {limit} Zeichen.")
    return text
