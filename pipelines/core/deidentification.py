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

import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import replace

from pipelines.core.domains import DomainRegistry
from privacy import Deidentifier, Finding, Redaction, Vault, given_names, surnames, typed_spellings

__all__ = ["DomainDeidentifier", "scratch_vault"]

#: Separators of words in a file name.
_SEPARATORS = re.compile(r"[_\-.+]+")


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

        When the vault was opened for a turn (``vault.next_turn``, set by
        :meth:`pipelines.conversation.sessions.Conversations.open_vault`), the places where the message spells a
        known value otherwise than the vault ("Anna" for "Anna Smith") are kept in the vault for that turn
        (:func:`privacy.typed_spellings`), so the stored question is shown again as typed; a second call for
        the same turn (after routing) replaces them.

        Returns:
            ``(for the prompt, for memory)``: the policy may give the two sinks different operators.

        Raises:
            AssistantError: Unknown domain.
        """
        policy, keep_terms = self.domains.message_policy(domain)
        findings = self.deidentifier.find_for(text, policy, ("prompt", "memory"), keep_terms, vault)
        prompt = self.deidentifier.deidentify(text, policy, "prompt", vault, keep_terms, findings)
        memory = self.deidentifier.deidentify(text, policy, "memory", vault, keep_terms, findings)
        if vault.next_turn is not None:
            vault.keep_spellings(vault.next_turn, memory.text, typed_spellings(text, memory, vault))
        return prompt, memory

    def reusing_analysis(self) -> AbstractContextManager[None]:
        """A block in which text analysed again reuses its spaCy analysis (a turn's question: routing policy,
        then the domain's; :meth:`privacy.Deidentifier.reusing_analysis`)."""
        return self.deidentifier.reusing_analysis()

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

    def redact_file_name(self, name: str, domain: str) -> Redaction:
        """De-identify a file name for ``domain``'s index sink, keeping its extension.

        File names are typed in lower case with separators (``john_smith_passport.pdf``), where the NER model
        finds no name; so the name is also read with its words capitalised and its separators as spaces (the
        same offsets), and the people found there are de-identified too.

        Raises:
            AssistantError: Unknown domain.
        """
        stem, dot, suffix = name.rpartition(".")
        base = stem or suffix
        policy = self.domains.policy(domain)
        keep = self.domains.domain(domain).keep_terms
        engine = self.deidentifier
        merged = engine.find_for(base, policy, "index", keep)
        words = _SEPARATORS.sub(lambda m: " " * len(m.group()), base).title()
        people: list[
            Finding
        ] = []  # the persons of this reading, neighbours joined ("Priya" + "Raghunathan Cv")
        for person in (f for f in engine.find_for(words, policy, "index", keep) if f.entity_type == "PERSON"):
            if people and not words[people[-1].end : person.start].strip():
                people[-1] = replace(people[-1], end=person.end)
            else:
                people.append(person)
        for person in people:
            # a person only this reading finds must have a word that is a known given name or surname
            # ("mortgage_calculator.xlsx" reads "Mortgage Calculator Xlsx": no one)
            names = set(words[person.start : person.end].lower().split())
            if not (names & given_names() or names & surnames()):
                continue
            overlapping = [f for f in merged if f.start < person.end and person.start < f.end]
            if all(f.entity_type == "PERSON" for f in overlapping):  # a name read whole: one span for it all
                start = min([person.start, *(f.start for f in overlapping)])
                end = max([person.end, *(f.end for f in overlapping)])
                merged = [f for f in merged if f not in overlapping]
                merged.append(replace(person, start=start, end=end))
        redaction = engine.deidentify(
            base, policy, "index", None, keep, sorted(merged, key=lambda f: f.start)
        )
        return Redaction(text=redaction.text + (dot + suffix if stem else ""), findings=redaction.findings)

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
