"""Errors of the privacy package."""

__all__ = ["PrivacyError", "UnknownPolicyError", "VaultError"]


class PrivacyError(Exception):
    """Base error of the privacy package."""


class UnknownPolicyError(PrivacyError):
    """A PII policy name that is not defined in ``privacy/policies.yaml``."""


class VaultError(PrivacyError):
    """The session vault cannot be opened, decrypted or written."""
