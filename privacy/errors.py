"""Errors of the privacy package."""

__all__ = ["PrivacyError", "VaultError"]


class PrivacyError(Exception):
    """Base error of the privacy package."""


class VaultError(PrivacyError):
    """The session vault cannot be opened, decrypted or written."""
