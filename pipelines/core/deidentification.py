"""De-identification under the domains' policies: user messages, model output, documents and log lines.

One :class:`privacy.Deidentifier` (Presidio with this product's recognizers) serves every flow; this module
chooses the policy and keep terms (:class:`~pipelines.core.domains.DomainRegistry`) and the sink:

- a user message goes to the model (``prompt`` sink) and to memory (``memory`` sink), through the session's
  vault (:meth:`DomainDeidentifier.deidentify_message`);
- model output (reasoning, answers) is scanned without adding to the vault (:meth:`DomainDeidentifier.scrub`);
- document text goes to the index (``index`` sink; :meth:`DomainDeidentifier.redact`);
- a log line gets the routing policy's ``logs`` operator (:meth:`DomainDeidentifier.scrub_log_text`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.core.domains import DomainRegistry
from privacy import Deidentifier, Redaction, Vault

__all__ = ["DomainDeidentifier", "scratch_vault"]


def scratch_vault(name: str) -> Vault:
    """A vault that is never saved: placeholders numbered for one call or one batch (a CLI run, a routing
    check). ``name`` is its session id, which keys the session's date shift (:func:`privacy.session_date_offset`)."""
    return Vault(session_id=name)


class DomainDeidentifier:
    """Applies a domain's PII policy (or the routing policy before routing) to text. Thread-safe."""

    def __init__(self, deidentifier: Deidentifier, domains: DomainRegistry) -> None:
        """Args:
        deidentifier: The shared de-identifier (analyzer and operator secret).
        domains: The domains whose policies apply.
        """
        self.deidentifier = deidentifier
        self.domains = domains

    def pseudonymize(
        self,
        text: str,
        vault: Vault | None,
        domain: str | None = None,
        extra_keep: Iterable[str] = (),
    ) -> Redaction:
        """De-identify a user message for the prompt sink with ``domain``'s policy (None: the routing policy).

        Args:
            text: The raw message.
            vault: The session vault that numbers the placeholders; None = :func:`scratch_vault` ("throwaway").
            domain: The domain, or None before routing.
            extra_keep: More terms never treated as PII in this call.

        Raises:
            AssistantError: Unknown domain.
        """
        policy, keep_terms = self.domains.message_policy(domain)
        return self.deidentifier.deidentify(
            text, policy, "prompt", vault or scratch_vault("throwaway"), (*keep_terms, *extra_keep)
        )

    def deidentify_message(
        self, text: str, vault: Vault, domain: str | None = None
    ) -> tuple[Redaction, Redaction]:
        """De-identify a user message once for both the prompt and the memory sink.

        Returns:
            ``(for the prompt, for memory)``: the policy may give the two sinks different operators.

        Raises:
            AssistantError: Unknown domain.
        """
        policy, keep_terms = self.domains.message_policy(domain)
        findings = self.deidentifier.find_for(text, policy, ("prompt", "memory"), keep_terms, vault)
        return (
            self.deidentifier.deidentify(text, policy, "prompt", vault, keep_terms, findings),
            self.deidentifier.deidentify(text, policy, "memory", vault, keep_terms, findings),
        )

    def scrub(self, text: str, vault: Vault, domain: str | None = None) -> Redaction:
        """De-identify model output (reasoning, an answer) without adding to the vault: the session's own values
        become their placeholders, anything else found becomes ``<TYPE>`` (:meth:`privacy.Deidentifier.scrub`).

        Raises:
            AssistantError: Unknown domain.
        """
        policy, keep_terms = self.domains.message_policy(domain)
        return self.deidentifier.scrub(text, policy, vault, keep_terms)

    def redact(self, text: str, domain: str, extra_keep: Iterable[str] = ()) -> Redaction:
        """De-identify document text (or a file name) for ``domain``'s index sink (usually ``<TYPE>``).

        Raises:
            AssistantError: Unknown domain.
        """
        policy = self.domains.policy(domain)
        keep = (*self.domains.domain(domain).keep_terms, *extra_keep)
        return self.deidentifier.redact(text, policy, keep)

    def scrub_log_text(self, text: str, keep: Iterable[str] = ()) -> str:
        """A log message with the routing policy's ``logs`` operator (hash or drop) applied to every finding;
        every domain's keep_terms and ``keep`` are kept."""
        return self.deidentifier.deidentify(
            text,
            self.domains.routing_policy,
            "logs",
            None,
            (*self.domains.routing_keep_terms, *keep),
        ).text
