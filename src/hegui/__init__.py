"""hegui (合规): compliance for generative-AI services under China's rules.

``from hegui import Moderator`` is the stable Python API. Importing hegui loads no data and touches no files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Action", "Decision", "Moderator", "RiskLevel", "Stage", "__version__"]

if TYPE_CHECKING:
    from hegui.api import Moderator
    from hegui.core.types import Action, Decision, RiskLevel, Stage


def __getattr__(name: str) -> Any:
    if name == "Moderator":
        from hegui.api import Moderator

        return Moderator
    if name in ("Action", "Decision", "RiskLevel", "Stage"):
        from hegui.core import types

        return getattr(types, name)
    raise AttributeError(f"module 'hegui' has no attribute {name!r}")
