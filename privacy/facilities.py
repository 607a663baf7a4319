"""Names of small organisations that locate a person: schools, GP practices, clinics, care homes, small
businesses (issue 22, round 2: "Oakridge Primary", "Millbrook Medical Practice", "Whitmore & Sons Roofing",
"elmcroft care home").

Method: a proper-name run followed by a head noun that names the kind of place (the classic "name + category
noun" pattern of rule-based named-entity grammars, e.g. GATE ANNIE's organisation rules). The head nouns are
:data:`FACILITY_HEADS`; the name part is one to four capitalised words (``&``, ``'s``, ``St``, ``of`` and
``C of E`` allowed inside). In lower-case text only the unambiguous heads (:data:`LOWER_CASE_HEADS`: "care home",
"medical practice", "primary school", ...) count, after one to three words that are not stop words. Either way
one word of the name must be a known name or not an ordinary English word ("Diabetes Clinic" is no one's).

Brands and big institutions can match too ("Amazon Web Services"); a domain's keep terms spare those.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from privacy.lexicon import is_common_word, known_names
from privacy.recognizers import recognizer_result

__all__ = ["FACILITY_HEADS", "LEGAL_FORMS", "LOWER_CASE_HEADS", "FacilityNameRecognizer"]

#: Head nouns (last words) of schools, health and care places, community places and small businesses.
FACILITY_HEADS: tuple[str, ...] = (
    # schools and childcare
    "Primary School",
    "Primary",
    "Junior School",
    "Infant School",
    "Secondary School",
    "High School",
    "School",
    "Academy",
    "College",
    "Nursery",
    "Pre-School",
    "Preschool",
    "Day Nursery",
    # health and care
    "Medical Practice",
    "Medical Centre",
    "Medical Center",
    "Health Centre",
    "Health Center",
    "Practice",
    "Surgery",
    "Private Clinic",
    "Clinic",
    "Dental Practice",
    "Dental Care",
    "Dental",
    "Dentistry",
    "Physiotherapy",
    "Physio",
    "Pharmacy",
    "Chemist",
    "Opticians",
    "Hospice",
    "Care Home",
    "Nursing Home",
    "Residential Home",
    "Rest Home",
    "Care Centre",
    "Day Centre",
    "Satellite Unit",
    "Retirement Village",
    # community
    "Community Food Bank",
    "Food Bank",
    "Community Centre",
    "Community Center",
    "Church",
    "Chapel",
    "Mosque",
    "Gurdwara",
    "Synagogue",
    "Scout Group",
    # small businesses
    "Ltd",
    "Limited",
    "LLP",
    "Services",
    "Roofing",
    "Plumbing",
    "Electrical",
    "Builders",
    "Joinery",
    "Grooming",
    "Bakery",
    "Cafe",
    "Café",
    "Garage",
    "Salon",
    "Barbers",
    "Fish & Chips",
    "Takeaway",
    "Tooling",
    "Engineering",
    "Motors",
    "Logistics",
    "Cleaning",
    "Landscaping",
    "Solicitors",
    "Accountants",
    "Estate Agents",
    "Trading",
    "Haulage",
    "Removals",
    "Construction",
    "Decorating",
    "Catering",
    "Lettings",
    "Lets",
    "Veterinary Surgery",
    "Vets",
    "Childminding",
    "Sixth Form",
    "Sixth Form College",
    "Grammar School",
    "Prep School",
    "Montessori",
)
#: Legal forms that make the capitalised run before them a registered company whatever its words ("Kestrel
#: Logistics Ltd", "Blue Harbour Limited"): no ordinary-word test for these.
LEGAL_FORMS = frozenset(["Ltd", "Limited", "LLP"])
#: Heads that name a place of care or schooling even in lower-case text.
LOWER_CASE_HEADS: tuple[str, ...] = (
    "care home",
    "nursing home",
    "residential home",
    "rest home",
    "medical practice",
    "medical centre",
    "health centre",
    "primary school",
    "food bank",
    "day centre",
)

_HEAD = "|".join(
    re.escape(head).replace(r"\ ", r"\s+") for head in sorted(FACILITY_HEADS, key=len, reverse=True)
)
_CAP_WORD = r"(?:St\.?|[A-Z][\w'\u2019-]*+|&|of|the|y|C\s+of\s+E)"
_FACILITY = re.compile(
    # a match starts only where a word starts (not after "-" or "'"), and words are taken whole (possessive
    # quantifiers): linear time on runs such as "A-A-A-…" (each start used to rescan the rest of the run)
    rf"(?<![\w&'\u2019-])(?P<name>(?:{_CAP_WORD})(?:\s+(?:{_CAP_WORD})){{0,3}})\s+(?P<head>(?i:{_HEAD}))(?![\w])"
)
_LOWER_HEAD = "|".join(
    re.escape(h).replace(r"\ ", r"\s+") for h in sorted(LOWER_CASE_HEADS, key=len, reverse=True)
)
_LOWER_FACILITY = re.compile(
    rf"(?<![\w&'\u2019-])(?P<name>[a-z][a-z'\u2019-]++(?:\s+[a-z][a-z'\u2019-]++){{0,2}})\s+(?P<head>{_LOWER_HEAD})\b"
)
#: Generic adjectives before a facility head that name no one's place ("Local Care Home", "the NHS clinic").
_GENERIC = frozenset(["local", "nearest", "new", "old", "private", "public", "nhs", "council", "registered"])
#: Words that end a lower-case facility name's run from the left: stop words and generic adjectives.
_LOWER_STOP = STOP_WORDS | _GENERIC
#: Words that cannot open a facility's name: those, and service and care words or greetings ("The", "Our"
#: open a sentence; "Financial Services", "Mental Health Services", "Dear …" are no one's address).
_NOT_NAME = _LOWER_STOP | frozenset(
    [
        "adult",
        "attended",
        "attends",
        "bank",
        "banking",
        "business",
        "card",
        "care",
        "children's",
        "childrens",
        "cleaning",
        "cloud",
        "community",
        "contact",
        "customer",
        "data",
        "day",
        "dear",
        "dental",
        "digital",
        "emergency",
        "family",
        "financial",
        "general",
        "gp",
        "health",
        "hello",
        "hi",
        "home",
        "junior",
        "legal",
        "medical",
        "mental",
        "mobile",
        "national",
        "nursing",
        "online",
        "payment",
        "payments",
        "personal",
        "premier",
        "primary",
        "professional",
        "residential",
        "secondary",
        "security",
        "senior",
        "social",
        "state",
        "student",
        "students",
        "support",
        "technical",
        "visit",
        "web",
    ]
)
_POSSESSIVE = re.compile(r"['\u2019]s$")


class FacilityNameRecognizer(EntityRecognizer):
    """``FACILITY_NAME`` (or ``LOCATION`` when that is what the policy asks for, as in medical) for a small
    organisation's name: a capitalised name run and a facility head noun (:data:`FACILITY_HEADS`), or, in
    lower case, a few words and an unambiguous head (:data:`LOWER_CASE_HEADS`). Leading determiners and
    generic words are not part of the name, and one name word (a known name or not an ordinary English word)
    must be there: "Oakridge Primary", "elmcroft care home", not "Diabetes Clinic" or "a nice care home";
    before a legal form (:data:`LEGAL_FORMS`) any capitalised run is a company name ("Kestrel Logistics Ltd").
    Score 0.6.
    """

    ENTITIES = ("FACILITY_NAME", "LOCATION")

    def __init__(self, common: frozenset[str]) -> None:
        """Args:
        common: Lower-case ordinary English words (:func:`privacy.lexicon.common_english_words`).
        """
        self._common = common
        super().__init__(
            supported_entities=list(self.ENTITIES), name="FacilityNameRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one result per facility name in ``text``."""
        entity = next((e for e in self.ENTITIES if e in entities), None)
        if entity is None:
            return []
        results = []
        for pattern in (_FACILITY, _LOWER_FACILITY):
            for match in pattern.finditer(text):
                words = list(re.finditer(r"\S+", match.group("name")))
                if (
                    pattern is _LOWER_FACILITY
                ):  # only the words after the last stop word: "back to her care home"
                    keep = len(words)
                    while keep and words[keep - 1].group() not in _LOWER_STOP:
                        keep -= 1
                    words = words[keep:]
                while words and _POSSESSIVE.sub("", words[0].group().lower()) in _NOT_NAME:
                    words.pop(0)
                if not words:
                    continue
                head = " ".join(match.group("head").split())
                if head not in LEGAL_FORMS and not any(self._name_word(w.group()) for w in words):
                    continue  # "Diabetes Clinic", "He Is Going To School": a name word must be there ("Oakridge")
                start = match.start("name") + words[0].start()
                results.append(
                    recognizer_result(
                        entity, start, match.end("head"), 0.6, "FacilityNameRecognizer", self.id
                    )
                )
        return results

    def _name_word(self, word: str) -> bool:
        """A known given name or surname, or a word that is not an ordinary English word."""
        clean = _POSSESSIVE.sub("", word).strip("&.,").lower()
        return bool(clean) and (clean in known_names() or not is_common_word(clean, self._common))
