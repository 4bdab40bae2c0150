"""Console page area `audit` (issue 10): to be built."""

from __future__ import annotations

from hegui.console.kit import ConsoleKit


def register(kit: ConsoleKit) -> None:
    """No routes yet."""
