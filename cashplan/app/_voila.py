"""The code-free app's server: Voila, with its token and the Host check of Jupyter servers.

Voila turns off jupyter_server's Host-header check (``allow_remote_access``);
served on a loopback address, a page in the CFO's browser could then reach the
app through DNS rebinding and record edits. Here the check stays on unless the
app is served on another address (``cashplan app --ip``), and the browser is
opened on the URL with the token (``cashplan app`` makes one per run).
"""

from __future__ import annotations

import ipaddress
import sys
import webbrowser
from typing import Any

from voila.app import Voila

__all__ = ["CashplanVoila", "is_loopback"]


def is_loopback(ip: str) -> bool:
    """Whether ``ip`` serves this machine only (``127.0.0.1``, ``::1``, ``localhost``).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


class CashplanVoila(Voila):
    """Voila keeping the Host check on a loopback address; the browser opened with the token."""

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        settings["allow_remote_access"] = not is_loopback(self.ip)
        settings["local_hostnames"] = ["localhost"]
        return settings

    def launch_browser(self) -> None:
        webbrowser.open(f"{self.connection_url}?token={self.token}")


if __name__ == "__main__":
    sys.exit(CashplanVoila.launch_instance())
