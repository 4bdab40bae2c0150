"""Errors raised by the services (bilingual, from the hegui error tree)."""

from __future__ import annotations

from hegui.core.errors import HeguiError

__all__ = ["CodedError", "SigningKeyError", "StoreError"]


class StoreError(HeguiError):
    """The store could not be opened, migrated or written. Nothing is dropped silently: the caller gets this."""

    exit_code = 2


class SigningKeyError(HeguiError):
    """The audit checkpoint-signing key is missing or unreadable."""

    exit_code = 2


class CodedError(HeguiError):
    """A request a service refuses: ``code`` names why (machine-readable), ``status`` is the HTTP status that fits
    (subclasses set their default in ``default_status``)."""

    exit_code = 2
    default_status = 400

    def __init__(self, code: str, en: str, zh: str, *, status: int | None = None) -> None:
        self.code = code
        self.status = self.default_status if status is None else status
        super().__init__(en, zh)
