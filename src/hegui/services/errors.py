"""Errors raised by the services (bilingual, from the hegui error tree)."""

from __future__ import annotations

from hegui.core.errors import HeguiError

__all__ = ["SigningKeyError", "StoreError"]


class StoreError(HeguiError):
    """The store could not be opened, migrated or written. Nothing is dropped silently: the caller gets this."""

    exit_code = 2


class SigningKeyError(HeguiError):
    """The audit checkpoint-signing key is missing or unreadable."""

    exit_code = 2
