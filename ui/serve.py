"""Start the dashboard's Streamlit server with this machine's addresses already known.

Streamlit looks up the machine's public address at checkip.amazonaws.com when a websocket
arrives from an origin it does not know (its origin check tries every address of the machine)
and probes a route to 8.8.8.8 for the internal one. ``app.py`` sets both addresses on the first
page run; a websocket that arrives before any page has run would still make Streamlit ask. This
launcher sets them in the server process before Streamlit starts, so the app never reaches out
(tests/browser/test_offline_browser.py).

    python -m ui.serve app.py [options of `streamlit run`]

``script/server``, ``script/serve-conference``, the container image and the browser tests start
the app this way.
"""

from __future__ import annotations

import sys

from streamlit import net_util
from streamlit.web import cli


def known_addresses() -> None:
    """No lookup of the external address, the loopback address as the internal one."""
    net_util._external_ip = net_util._external_ip or ""
    net_util._internal_ip = net_util._internal_ip or "127.0.0.1"


def main(arguments: list[str] | None = None) -> None:
    known_addresses()
    sys.argv = ["streamlit", "run", *(sys.argv[1:] if arguments is None else arguments)]
    cli.main()


if __name__ == "__main__":
    main()
