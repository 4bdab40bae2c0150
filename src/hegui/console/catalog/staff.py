"""Console messages for the `staff` pages: key -> (zh-CN, English)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {}
