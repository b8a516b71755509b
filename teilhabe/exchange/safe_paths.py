"""Paths and JSON from outside are hostile: checks that turn them into one German sentence.

A path given on the command line or named inside a package may be too long, hold a NUL byte
or a line break, loop through symbolic links, be a folder where a file is expected (or a
device, a FIFO), or be unreadable. ``check_file``, ``check_folder`` and ``check_output_file``
find that before anything is read or written and raise ``UnusablePath`` with a German
message; ``shown_path`` gives the path as one short line for such messages.

``load_json`` reads JSON text within limits: no NaN/Infinity, no nesting deeper than the
decoder manages; a violation is a ``ValueError`` with a German message.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

SHOWN_PATH_CHARS = 120  # a path in a message is shortened to this many characters
NAME_MAX_BYTES = 255  # longest file name on Linux file systems (ext4, xfs, tmpfs)
PATH_MAX_BYTES = 4096  # longest path the kernel accepts (PATH_MAX)

_REASONS = {
    errno.ENOENT: "Die Datei oder der Ordner existiert nicht",
    errno.ENOTDIR: "Ein Teil des Pfades ist kein Ordner",
    errno.EACCES: "Keine Berechtigung",
    errno.EPERM: "Keine Berechtigung",
    errno.ENAMETOOLONG: "Der Name ist zu lang",
    errno.ELOOP: "Symbolische Links verweisen im Kreis",
    errno.EISDIR: "Das ist ein Ordner",
    errno.ENOSPC: "Kein Speicherplatz mehr frei",
    errno.EROFS: "Das Dateisystem ist schreibgeschützt",
    errno.EIO: "Ein-/Ausgabefehler des Datenträgers",
    errno.EEXIST: "Die Datei existiert bereits",
}


class UnusablePath(ValueError):
    """A path that cannot be used; the message is one German sentence naming it."""


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` as one short line: control characters escaped, long paths shortened in the
    middle with "…"."""
    text = os.fspath(path)
    text = "".join(
        ch if ch.isprintable() else ascii(ch)[1:-1] if ch != "\0" else "\\0" for ch in text
    )
    if len(text) > SHOWN_PATH_CHARS:
        half = (SHOWN_PATH_CHARS - 1) // 2
        text = f"{text[:half]}…{text[-half:]}"
    return text


def os_reason(error: OSError | RuntimeError) -> str:
    """Why an operating-system call failed, in German (without a final full stop)."""
    if not isinstance(error, OSError):  # pathlib's "Symlink loop" (Python < 3.13)
        return _REASONS[errno.ELOOP]
    return _REASONS.get(error.errno or 0) or (
        f"Fehler des Betriebssystems ({errno.errorcode.get(error.errno or 0, error.errno)})"
    )


def check_path_text(path: str | os.PathLike[str], what: str = "die Datei") -> Path:
    """``path`` as a ``Path`` unless it holds a NUL byte or is longer than any file system
    accepts (``what`` in the accusative, for the message on an empty path)."""
    text = os.fspath(path)
    if not text:
        raise UnusablePath(f"Es wurde kein Pfad für {what} angegeben.")
    path = Path(text)
    if "\0" in text:
        raise UnusablePath(
            f"Der Pfad {shown_path(path)} enthält ein Nullzeichen; so kann keine Datei heißen."
        )
    try:
        encoded = os.fsencode(text)
    except UnicodeError:
        raise UnusablePath(
            f"Der Pfad {shown_path(path)} enthält Zeichen, die das Dateisystem nicht kennt."
        ) from None
    if len(encoded) >= PATH_MAX_BYTES:
        raise UnusablePath(
            f"Der Pfad {shown_path(path)} ist zu lang ({_count(len(encoded))} Bytes; "
            f"höchstens {_count(PATH_MAX_BYTES - 1)} sind möglich)."
        )
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX_BYTES:
        raise UnusablePath(
            f"Der Pfad {shown_path(path)} enthält einen zu langen Namen ({len(longest)} "
            f"Bytes; höchstens {NAME_MAX_BYTES} sind möglich)."
        )
    return path


def _count(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return path.stat()  # follows symbolic links, as opening the file would
    except FileNotFoundError:
        raise UnusablePath(f"{what} {shown_path(path)} existiert nicht.") from None
    except (OSError, RuntimeError) as error:
        raise UnusablePath(
            f"{what} {shown_path(path)} lässt sich nicht öffnen: {os_reason(error)}."
        ) from None


def check_file(path: str | os.PathLike[str], what: str = "Die Datei") -> Path:
    """``path`` as a ``Path`` if it names a readable regular file; else ``UnusablePath``.

    ``what`` names the file in the message, e.g. "Die Datei" or "Die Zuordnungsdatei".
    """
    path = check_path_text(path, "die Datei")
    info = _stat(path, what)
    if stat.S_ISDIR(info.st_mode):
        raise UnusablePath(f"{what} {shown_path(path)} ist ein Ordner; erwartet wird eine Datei.")
    if not stat.S_ISREG(info.st_mode):
        raise UnusablePath(
            f"{what} {shown_path(path)} ist keine gewöhnliche Datei (sondern z. B. ein Gerät "
            "oder eine Pipe)."
        )
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise UnusablePath(
            f"{what} {shown_path(path)} lässt sich nicht lesen: {os_reason(error)}."
        ) from None
    return path


def check_folder(path: str | os.PathLike[str], what: str = "Der Pfad") -> Path:
    """``path`` as a ``Path`` if it names a folder whose entries can be listed."""
    path = check_path_text(path, "den Ordner")
    info = _stat(path, what)
    if not stat.S_ISDIR(info.st_mode):
        hint = "; ein ZIP-Archiv bitte vorher entpacken" if path.suffix.lower() == ".zip" else ""
        raise UnusablePath(f"{shown_path(path)} ist kein Ordner{hint}.")
    try:
        os.listdir(path)
    except OSError as error:
        raise UnusablePath(
            f"{what} {shown_path(path)} lässt sich nicht lesen: {os_reason(error)}."
        ) from None
    return path


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` if a file can obviously be written there: a valid name, not a
    folder, in an existing folder. (Whether writing then succeeds is known only when writing.)
    The message reads "<path> kann nicht geschrieben werden: <reason>."."""
    path = check_path_text(path, "die Zieldatei")

    def refused(reason: str) -> UnusablePath:
        return UnusablePath(f"{shown_path(path)} kann nicht geschrieben werden: {reason}.")

    try:
        if path.is_dir() or path.name in ("", ".", ".."):
            raise refused("Das ist ein Ordner")
        if not path.absolute().parent.is_dir():
            raise refused("Der Ordner existiert nicht")
    except (OSError, RuntimeError) as error:
        raise refused(os_reason(error)) from None
    return path


def load_json(text: str | bytes, what: str) -> object:
    """Parse JSON text; NaN, Infinity and nesting too deep for the decoder are refused with a
    ``ValueError`` naming ``what`` (e.g. "datapackage.json")."""

    def constant(name: str) -> object:
        raise ValueError(f"{what}: {name} ist in JSON nicht erlaubt.")

    try:
        return json.loads(text, parse_constant=constant)
    except RecursionError:
        raise ValueError(f"{what}: Die JSON-Daten sind zu tief verschachtelt.") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{what}: Kein gültiges JSON (Zeile {error.lineno}, Spalte {error.colno})."
        ) from None
