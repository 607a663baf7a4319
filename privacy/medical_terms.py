"""Medical and technical terms the NER model reads as names or places (over-redaction, issue 22 round 2).

- **Drug names by their INN stem**: International Nonproprietary Names share stems by pharmacological class
  (WHO, *The use of stems in the selection of International Nonproprietary Names (INN) for pharmaceutical
  substances*, WHO/EMP/RHT/TSN/2018.1): "Losartan" (-sartan), "Nitrofurantoin" (-toin), "Tramadol" (-adol).
  :func:`is_drug_name` tests a word against the stems of :data:`INN_STEMS` (only stems of four letters or more,
  which no common given name or surname ends with; known names are excluded all the same).
- **Eponymous scales, signs and diseases**: a name followed by up to two more capitalised words and a clinical
  head noun ("Apgar score", "Epworth Sleepiness Scale", "Glasgow Coma Scale", "Barrett's oesophagus"):
  :data:`EPONYM_AFTER`.
- **Quantities**: a dose or a duration ("40 MG", "28 DAYS", "2.5 ml") is never a name or a place:
  :data:`QUANTITY`.
- **Code**: a camelCase word ("maxSurge") or a word followed by a camelCase member or a call ("Grant.isActive",
  "Mark.toJSON") is an identifier: :func:`is_code_identifier`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from privacy.lexicon import given_names, surnames

__all__ = [
    "EPONYM_AFTER",
    "INN_STEMS",
    "QUANTITY",
    "QUANTITY_AT",
    "is_code_identifier",
    "is_drug_name",
    "is_drug_phrase",
]

#: WHO INN stems (suffixes) of four letters or more, from the WHO stem book (2018) classes most seen in
#: prescribing; stems that end common names are left out ("-caine": Caine, "-sone", "-idone", "-relin"):
#: sartans, statins, beta blockers, dihydropyridines, proton-pump inhibitors, penicillins,
#: cephalosporins, macrolides, quinolones, tetracyclines, azole antifungals, antivirals, benzodiazepines,
#: SSRIs, triptans, gliptins, gliflozins, glitazones, heparins, xabans, opioid analgesics (-adol), hydantoins,
#: bisphosphonates, H2 antagonists, profens, leukotriene antagonists, beta agonists, kinase inhibitors,
#: platins, taxanes, anthracyclines, butyrophenones, tricyclics, gabapentinoids, cholinesterase inhibitors.
INN_STEMS: tuple[str, ...] = (
    "sartan",
    "prilat",
    "vastatin",
    "statin",
    "olol",
    "dipine",
    "prazole",
    "cillin",
    "mycin",
    "micin",
    "floxacin",
    "cycline",
    "conazole",
    "ciclovir",
    "azepam",
    "azolam",
    "oxetine",
    "triptan",
    "gliptin",
    "gliflozin",
    "glitazone",
    "parin",
    "xaban",
    "adol",
    "toin",
    "dronate",
    "tidine",
    "profen",
    "lukast",
    "terol",
    "tinib",
    "formin",
    "semide",
    "thiazide",
    "setron",
    "gatran",
    "penem",
    "platin",
    "taxel",
    "rubicin",
    "trexate",
    "fungin",
    "barbital",
    "peridol",
    "pramine",
    "triptyline",
    "zosin",
    "gabalin",
    "stigmine",
    "morphine",
    "codone",
)
_STEMS = tuple(stem for stem in INN_STEMS if len(stem) >= 4)

#: What follows an eponym in a clinical term: up to two title-case words (case-sensitive: "SEEN IN" of an
#: all-caps note is not one), then the head noun.
EPONYM_AFTER = re.compile(
    r"(?:['\u2019]s?)?(?-i:\s+[A-Z][a-z][\w-]*)?(?-i:\s+[A-Z][a-z][\w-]*)?\s+(?:disease|syndrome|disorder|sign|test|law|"
    r"reflex|palsy|an(?:a)?emia|lymphoma|sarcoma|tumou?r|ulcer|procedure|operation|maneuver|manoeuvre|scale|"
    r"score|criteria|classification|grade|stage|phenomenon|effect|o?esophagus|node|cells?|duct|fracture|hernia|"
    r"cyst|index|position|formula|triad|pouch|questionnaire|inventory|tool|rule|equation)\b",
    re.IGNORECASE,
)

#: A dose, a strength or a duration, alone: "40 MG", "2.5 ml", "28 DAYS", "6 weeks", "3.5%".
QUANTITY = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|\u00b5g|ug|g|kg|ml|l|iu|units?|mmol(?:/l)?|mmhg|days?|weeks?|wks?|months?|"
    r"years?|yrs?|hours?|hrs?|h|mins?|minutes?|tabs?|tablets?|caps?|capsules?|sachets?|puffs?|drops?|%)",
    re.IGNORECASE,
)

#: A quantity opening a longer span, as a whole word ("40 MG SC OD …"; not "40 Grove Road").
QUANTITY_AT = re.compile(rf"(?:{QUANTITY.pattern})(?![\w/])", re.IGNORECASE)

_CAMEL = re.compile(r"\b[a-z]+[A-Z]\w*")
_MEMBER_AFTER = re.compile(r"\.(?:[a-z_]+[A-Z]\w*|[a-z_]\w*\s*\()")
#: Surname particles written joined to the name ("deVries", "leBlanc", "vanDyke"): a name, not camelCase.
_JOINED_PARTICLE = re.compile(r"(?:de|le|la|di|da|du|des|del|della|dos|van|von|ter|ten|mc|mac|st|al|el)[A-Z]")


def is_drug_name(word: str) -> bool:
    """Whether ``word`` (one word, any case) ends with a WHO INN stem of four letters or more
    (:data:`INN_STEMS`) and is not a known given name or surname ("Losartan", "TRAMADOL"; not "Ayesha")."""
    lower = word.lower().strip(".,;:()'\u2019")
    if len(lower) < 6 or not lower.isalpha():
        return False
    if lower in given_names() or lower in surnames():
        return False
    return lower.endswith(_STEMS)


def is_drug_phrase(words: list[str], is_common: Callable[[str], bool]) -> bool:
    """Whether a name span's ``words`` hold a drug name (:func:`is_drug_name`) and otherwise only words that
    ``is_common`` accepts as ordinary, not name words ("Switch Tramadol", "TRAMADOL"; not "Sartan Smith")."""
    drugs = [w for w in words if is_drug_name(w)]
    return bool(drugs) and all(is_drug_name(w) or is_common(w) for w in words)


def is_code_identifier(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a code identifier: a camelCase word ("maxSurge"; not a joined surname
    particle: "deVries") or a word followed by a lower-case member that is camelCase or called
    ("Grant.isActive", "Mark.toJSON", "Grant.serialize()"; not "Shah.See(attached)")."""
    span = text[start:end]
    return (bool(_CAMEL.fullmatch(span)) and not _JOINED_PARTICLE.match(span)) or bool(
        _MEMBER_AFTER.match(text, end)
    )
