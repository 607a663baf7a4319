"""The loaded domains and their PII policies: what every flow looks a domain up in.

A domain is a folder of configuration and data (``domains/<name>/domain.yaml`` and the files it names; see
:mod:`domains`). Its ``privacy:`` block is its PII policy (:class:`privacy.PiiPolicy`). Before a message is
routed no domain is known yet, so the *routing policy* applies: every domain's entities at once, each with the
strictest operator any domain gives it per sink (:meth:`privacy.PiiPolicy.union`), and every domain's
``keep_terms``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property

from domains import DomainConfig
from pipelines.core.errors import AssistantError
from privacy import PiiPolicy

__all__ = ["DomainRegistry"]


class DomainRegistry(Mapping[str, DomainConfig]):
    """The domains by name (a read-only mapping, in folder order) with their validated PII policies.

    Every policy is validated when the registry is built, so a broken ``privacy:`` block fails at start-up,
    not in the middle of a turn.

    Raises:
        PrivacyError: (on construction) A domain's ``privacy:`` block is not a valid policy.
    """

    def __init__(self, configs: Mapping[str, DomainConfig]) -> None:
        self._configs = dict(configs)
        self._policies = {name: PiiPolicy.from_mapping(name, c.privacy) for name, c in self._configs.items()}

    def __getitem__(self, name: str) -> DomainConfig:
        return self._configs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._configs)

    def __len__(self) -> int:
        return len(self._configs)

    def domain(self, name: str) -> DomainConfig:
        """The domain called ``name``.

        Raises:
            AssistantError: Unknown domain (the message lists the known ones).
        """
        try:
            return self._configs[name]
        except KeyError:
            raise AssistantError(f"unknown domain {name!r}; known: {', '.join(self._configs)}") from None

    def policy(self, name: str) -> PiiPolicy:
        """The PII policy of domain ``name`` (its ``privacy:`` block).

        Raises:
            AssistantError: Unknown domain.
        """
        self.domain(name)
        return self._policies[name]

    @cached_property
    def routing_policy(self) -> PiiPolicy:
        """The policy applied before a domain is known (see the module docstring)."""
        return PiiPolicy.union(self._policies.values())

    @cached_property
    def routing_keep_terms(self) -> tuple[str, ...]:
        """Every domain's keep_terms, sorted, used before a domain is known."""
        return tuple(sorted({term for config in self._configs.values() for term in config.keep_terms}))

    def message_policy(self, domain: str | None = None) -> tuple[PiiPolicy, tuple[str, ...]]:
        """``(policy, keep_terms)`` for a user message: ``domain``'s, or, before a domain is known (None), the
        routing policy and every domain's keep terms.

        Raises:
            AssistantError: Unknown domain.
        """
        if domain is None:
            return self.routing_policy, self.routing_keep_terms
        return self.policy(domain), self.domain(domain).keep_terms
