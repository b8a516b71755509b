"""Run Python with an audit hook that records and refuses every attempt to reach another machine.

Usage::

    python tests/browser/netwatch.py LOGFILE -m streamlit run app.py ...
    python tests/browser/netwatch.py LOGFILE -c "python code"

The hook (``sys.addaudithook``) sees every name lookup (``socket.getaddrinfo``,
``gethostbyname``, ``gethostbyaddr``) and every ``connect``/``sendto``/``sendmsg`` of a socket in
this process, whichever library makes it. A lookup of a name other than localhost or a connection
to an address that is not loopback is appended to LOGFILE as one JSON line (event, address, the
Python stack) and refused with ``PermissionError``, so nothing leaves the machine even in the
test. The first line of LOGFILE is ``{"armed": pid}``, written before the program starts, so a
reader can tell "no attempt" from "hook never ran".

Not seen: connections made inside C libraries that bypass Python's socket module (libpq of
psycopg, for example) and child processes (e.g. the Chromium that kaleido starts for PNGs).
"""

from __future__ import annotations

import ipaddress
import json
import os
import runpy
import socket
import sys
import threading
import traceback

LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
LOOKUP_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"}
SEND_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg"}


def is_local_host(host: object) -> bool:
    """True for no host, localhost names and loopback or unspecified (bind-all) addresses."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _watch(log_path: str) -> None:
    lock = threading.Lock()
    busy = threading.local()

    def record(event: str, address: object) -> None:
        entry = {
            "event": event,
            "address": repr(address),
            "stack": traceback.format_stack(limit=12)[:-2],
        }
        with lock, open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def hook(event: str, args: tuple) -> None:
        if getattr(busy, "active", False):
            return
        if event in LOOKUP_EVENTS:
            host, address = args[0], args[0]
        elif event in SEND_EVENTS:
            sock, address = args[0], args[-1]
            if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
                return  # Unix sockets and the like stay on the machine
            if not isinstance(address, tuple) or not address:
                return  # sendmsg on a connected socket: its connect was already checked
            host = address[0]
        else:
            return
        if is_local_host(host):
            return
        busy.active = True
        try:
            record(event, address)
        finally:
            busy.active = False
        raise PermissionError(f"netwatch: {event} {address!r} refused (no network in this run)")

    with open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps({"armed": os.getpid()}) + "\n")
    sys.addaudithook(hook)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] not in ("-m", "-c"):
        sys.exit("usage: netwatch.py LOGFILE (-m MODULE | -c CODE) [ARGS...]")
    log_path, mode, target, *rest = argv
    _watch(log_path)
    if mode == "-c":
        sys.argv = ["-c", *rest]
        exec(compile(target, "<netwatch -c>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = [target, *rest]
        sys.path.insert(0, os.getcwd())  # as `python -m` does: modules of the working folder
        runpy.run_module(target, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
