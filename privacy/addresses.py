"""Street addresses: a recognizer for postal addresses written in a message, a form or a letterhead.

Neither Presidio nor the small spaCy model finds street addresses (spaCy tags a city or a country at best, and
mistakes street names for people and postcodes for dates). This recognizer finds an address *block*: a street
line, then the lines that usually follow it (unit, city, region, country, postcode), whether they are separated
by newlines, commas or ``>`` quote marks. A street line is one of:

- a house number and a street with a street-type word: ``221B Baker Street``, ``20 Rue Hsine Eloued``,
  ``4241 Steinfelden 73`` (a number after the street, as written in most of Europe, also counts);
- a street name built with a street-type word or suffix and a number: ``Vesterskovvej 79``,
  ``ul. Zamkowa 33``, ``Via Roma 131``, ``Csabai kapu 39.``;
- a US military address: ``PSC 6477, Box 2981 / APO AE 83700``, ``USS Lorenzen / FPO AE 25990``;
- an intersection: ``the corner of Beiteveien 2 and Sieda Radial``;
- anything after an address cue ("my address is", "Address:", "located at", "lives at", "send it to", "meet
  me at", …) that contains a number or a street-type word, up to the end of the clause.

Street-type words and suffixes: the USPS street suffix abbreviations (Publication 28, appendix C1, common
ones) and the usual words of European languages (Straße/strasse, vej, vei, gata(n), gade, katu, tie, utca, út,
ulica/ul., via, rue, calle, avenida, rua, straat, laan, …). A lower-case street-type word right after a number
is a street only before a capitalised name ("12 rue de la Paix", "35108 ul. Zamkowa 33"), not in "the 2 drive
letters", "1 place only" or "the 4 way stop".

Entity ``STREET_ADDRESS``, score 0.6 (above the policies' 0.4 threshold, below checksum-validated identifiers).
A policy that lists ``LOCATION`` but not ``STREET_ADDRESS`` (the medical policy: HIPAA Safe Harbor identifier (B),
"all geographic subdivisions smaller than a State, including street address, city, county, precinct, zip code",
45 CFR 164.514(b)(2)(i)(B)) gets the same blocks as ``LOCATION``, one finding per line of the block, score 0.9: above the spaCy model's 0.85, so
that the whole block wins over its NER guesses inside the street line ("12 <PERSON_1>, <LOCATION_1>" for
"12 Harbor Lane, Salem", where the NER model calls "Harbor Lane" a person); the de-identifier resolves
overlaps of NER types by score (privacy.deidentify).
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.medical_terms import QUANTITY_AT
from privacy.recognizers import recognizer_result

__all__ = ["StreetAddressRecognizer"]

_STREET_WORDS = (
    "street|st|avenue|ave|av|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|square|sq|terrace|"
    "crescent|cres|close|highway|hwy|parkway|pkwy|circle|cir|trail|trl|alley|row|plaza|path|walk|green|greens|"
    "gardens|mews|loop|pass|crossroad|crossing|xing|radial|forges|forge|pike|point|pt|ridge|run|view|vista|"
    "hill|hills|heights|park|grove|junction|jct|port|rapids|springs|summit|trace|track|turnpike|valley|wharf|"
    "terrasse|straße|strasse|str|weg|gasse|platz|allee|ring|damm|ufer|chaussee|vej|vei|veien|gata|gatan|gade|"
    "gatvi|katu|tie|polku|kuja|tér|ter|utca|út|ut|körút|krt|ulica|ul|aleja|al|osiedle|os|via|viale|piazza|"
    "piazzale|corso|largo|vicolo|rue|avenue|chemin|impasse|allée|quai|cours|calle|avenida|avda|paseo|plaza|"
    "carrer|camino|carretera|ronda|rua|praça|travessa|largo|estrada|straat|laan|plein|gracht|dreef|kade|singel|"
    "steeg|pad|tee|maantee|puiestee|iela|gatve|prospekt|ulitsa|odos|leoforos"
)
_STREET_WORD = re.compile(rf"(?:{_STREET_WORDS})\.?", re.IGNORECASE)
#: Street names written as one word with a suffix: Vesterskovvej, Parijsstraat, Östbygatan, Harjukuja.
_STREET_SUFFIX = re.compile(
    r"\w{2,}(?:straße|strasse|str\.|weg|gasse|platz|allee|vej|vei|veien|gata|gatan|gade|katu|tie|polku|kuja|"
    r"straat|laan|plein|gracht|dreef|kade|singel|steeg|tee|iela|gatve|braut|brekka|stígur|vegur|gränd|backe|"
    r"stræde|torv|ringen|bakken|lia|svingen|åsen|haugen)$",
    re.IGNORECASE,
)
#: Words that open a street name in Romance and Slavic languages ("ul. Zamkowa 33", "Via Roma 131").
_STREET_PREFIXES = frozenset(
    ["ul", "via", "rue", "calle", "avenida", "rua", "viale", "piazza", "c/", "avda", "av"]
)
_NUMBER = re.compile(r"^\d{1,6}[A-Za-z]?[.,]?$|^\d{1,5}-\d{1,5}$")
_UNIT = re.compile(
    r"^(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|box|bldg|building|#\d+)\.?$", re.IGNORECASE
)
_MILITARY = re.compile(
    r"\b(?:(?:PSC|CMR|Unit)\s+\d{3,5},?\s+Box\s+\d{3,5}|US[A-Z]{1,3}\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
    r"[\s,>]+[AFD]PO\s+A[AEP]\s+\d{5}\b",
    re.IGNORECASE,
)
_CORNER = re.compile(r"\bthe corner of\s+", re.IGNORECASE)
#: Phrases naming an address: whatever place words follow are the address.
_ADDRESS_CUE = re.compile(
    r"(?:\b(?:my|the|new|billing|home|postal|mailing|shipping|delivery|primary|secondary|our|their|his|her)\s+"
    r"address(?:es)?(?:\s*:|\s+(?:is|was|to|with|of\s+[^,.?!\n]{1,60}?\s+is))?|\baddress(?:es)?\s*:|"
    r"\bhere they are:)\s*",
    re.IGNORECASE,
)
#: Phrases after which an address may follow: the words count when they hold a number or a street word.
_PLACE_CUE = re.compile(
    r"(?:\blocated at|\blives? (?:at|on)|\bliving at|\bmoved to|\bsend (?:it |them |this |a new one |the \w+ )?to|"
    r"\bsent to|\bship(?:ped)? to|\bdeliver(?:ed)? to|\bmeet (?:me|you|us) at|\btaxi to|\bstop at|"
    r"\bdrops? you off at|\breturn (?:it )?to|\bis at|\benter on|\bis on|\bit is|\bit's in|\bUser:)\s*",
    re.IGNORECASE,
)
#: Lower-case words allowed inside an address (particles, "and" of an intersection, unit words).
_PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "du",
        "des",
        "la",
        "le",
        "les",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "ten",
        "am",
        "an",
        "im",
        "nad",
        "pod",
        "sur",
        "sous",
        "upon",
        "on",
        "and",
        "y",
        "e",
        "i",
        "og",
        "och",
        "und",
        "et",
    ]
)
_SEPARATOR = re.compile(r"[ \t]*(?:\n[ \t>]*|>[ \t]*|,[ \t]*|\?{3}[ \t]*)+")
#: A street named without a number after "on"/"in"/"at": "shows on Isaac Lodge Street".
_NAMED_STREET = re.compile(
    r"\b(?:on|in|at|of)\s+(?P<street>(?:[A-Z][\w'\u2019-]*\s+){1,3}(?:Street|Road|Avenue|Lane|Boulevard|Drive|"
    r"Square|Crescent|Terrace|Highway|Parkway))\b"
)
_TOKEN = re.compile(r"[^\s,>]+")
_CLAUSE_END = re.compile(r"[.?!](?=\s|$)")
_MAX_SEGMENT_WORDS = 5


def _is_place_word(word: str) -> bool:
    """A word that can be part of a place, unit or postcode line: capitalised, upper case, a number, a unit
    word, a particle, or a bracketed qualifier ("(Greek)")."""
    bare = word.strip("().;:")
    if not bare:
        return False
    return (
        bare[0].isupper()
        or (bare[0].isdigit() and (bool(_NUMBER.match(bare)) or (len(bare) <= 8 and bare.count("-") <= 1)))
        or bare.lower() in _PARTICLES
        or bool(_UNIT.match(bare))
        or bool(_STREET_WORD.fullmatch(bare))
        or bare.lower() == "nan"  # the literal "nan" of missing fields in exported data
    )


class StreetAddressRecognizer(EntityRecognizer):
    """``STREET_ADDRESS`` for postal address blocks (see the module docstring for the rules and sources); the
    same blocks as ``LOCATION`` when only ``LOCATION`` is asked for (a policy without ``STREET_ADDRESS``)."""

    ENTITY = "STREET_ADDRESS"
    #: Asked for without ``STREET_ADDRESS``: an address block is a place smaller than a state (HIPAA (B)).
    PLACE_ENTITY = "LOCATION"
    #: Score of a ``STREET_ADDRESS`` block and of a ``LOCATION`` block (see the module docstring).
    SCORE = 0.6
    PLACE_SCORE = 0.9

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY, self.PLACE_ENTITY],
            name="StreetAddressRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one result per address block in ``text``: ``STREET_ADDRESS`` (score 0.6) if asked for, else
        ``LOCATION`` (score 0.9) if asked for, else nothing."""
        if self.ENTITY in entities:
            entity, score = self.ENTITY, self.SCORE
        elif self.PLACE_ENTITY in entities:
            entity, score = self.PLACE_ENTITY, self.PLACE_SCORE
        else:
            return []
        spans: list[tuple[int, int]] = []
        for match in _MILITARY.finditer(text):
            spans.append(self._extend(text, match.start(), match.end()))
        for match in _CORNER.finditer(text):
            end = self._words_end(text, match.end(), stop_at_lower=True)
            if end > match.end():
                spans.append((match.start(), end))
        for cue, explicit in ((_ADDRESS_CUE, True), (_PLACE_CUE, False)):
            for match in cue.finditer(text):
                span = self._after_cue(text, match.end(), explicit)
                if span is not None and (entity == self.ENTITY or explicit or _has_street_word(text, *span)):
                    # as LOCATION (clinical text), a number after "is on"/"is at" is a dose or a reading
                    # ("is on 40 mg", "BP is at 120/80"), a ward "moved to 2 West": only a street word counts
                    spans.append(span)
        spans.extend(self._street_lines(text))
        spans.extend(_back_to_house_number(text, *m.span("postcode")) for m in _postcodes(text))
        spans.extend(_lower_case_streets(text))
        spans.extend((m.start("street"), m.end("street")) for m in _NAMED_STREET.finditer(text))
        blocks = [
            (_unit_start(text, start), _unbracketed_end(text, start, end)) for start, end in _merge(spans)
        ]
        if entity == self.PLACE_ENTITY:
            blocks = [part for block in blocks for part in _segments(text, *block)]
        return [
            recognizer_result(entity, start, end, score, "StreetAddressRecognizer", self.id)
            for start, end in blocks
            if not QUANTITY_AT.match(text, start)  # "40 MG SC OD FOR 28 DAYS": a dose, not a house number
        ]

    def _street_lines(self, text: str) -> list[tuple[int, int]]:
        """House-number-first streets and street names with a number, each extended over the lines after it."""
        # "HOME (12 CHURCH STREET, …)": an opening bracket or quote is not part of the house number
        tokens = [
            (m.start() + len(m.group()) - len(m.group().lstrip("(\"'[")), m.end(), m.group().lstrip("(\"'["))
            for m in _TOKEN.finditer(text)
        ]
        tokens = [t for t in tokens if t[2]]
        spans = []
        for i, (start, stop, word) in enumerate(tokens):
            window = [t[2] for t in tokens[i : i + 7]]
            if _NUMBER.match(word) and not word.endswith(
                "."
            ):  # "IL 62704. Discharged March 9": a sentence end
                # "3485 615 Benedum Drive": a second number before the street (building + street number)
                skip = 2 if len(window) > 2 and _NUMBER.match(window[1]) else 1
                if len(window) > skip and self._street_follows(
                    window[skip:], after_comma=text[stop : stop + 1] == ","
                ):
                    spans.append(self._extend(text, start, self._line_end(text, tokens, i + skip)))
            elif (
                word[:1].isalpha()
                and (_STREET_SUFFIX.match(word.rstrip(".,")) or word.lower().rstrip(".") in _STREET_PREFIXES)
                and any(_NUMBER.match(w) for w in window[1:4])
            ):
                spans.append(self._extend(text, start, self._line_end(text, tokens, i + 1)))
        return spans

    @staticmethod
    def _street_follows(words: list[str], after_comma: bool = False) -> bool:
        """After a house number: up to four name words and then a street-type word or a second number
        ("Via Roma 131"), with the first word capitalised or a street prefix ("ul.", "rue"). After a number
        with a comma ("Scale 14, Apgar 9") only a street-type word counts: a list of scores is no street."""
        first = words[0].strip(".,")
        if not first or not first[0].isalpha() or not (first[0].isupper() or _STREET_WORD.fullmatch(first)):
            return False
        if first[0].islower():
            # "ul. Zamkowa", "rue de la Paix": a lower-case street word opens a street only before a name;
            # "the 2 drive letters", "1 place only", "the 4 way stop" are no streets
            name = next((w for w in words[1:4] if w.strip(".,").lower() not in _PARTICLES), "")
            if not name[:1].isupper():
                return False
        for j, word in enumerate(words[:5]):
            bare = word.rstrip(".,")
            if _STREET_WORD.fullmatch(bare) or _STREET_SUFFIX.match(bare):
                following = words[j + 1] if j + 1 < len(words) else ""
                # "St"/"Dr"/"Pl" before a capitalised word is a title or "Saint" ("St Mary"), not a street type
                if bare.lower() not in ("st", "dr", "pl") or not following[:1].isupper() or j > 0:
                    return True
            if bare.isdigit() and j > 0 and not after_comma:
                return True
            if not _is_place_word(word):
                return False
        return bool(_STREET_WORD.fullmatch(words[0].rstrip(".,")))

    @staticmethod
    def _line_end(text: str, tokens: list[tuple[int, int, str]], index: int) -> int:
        """End of the street line: the following place words up to a separator or a lower-case word."""
        end = tokens[index - 1][1]
        for start, stop, word in tokens[index : index + 8]:
            gap = text[end:start]
            if ("\n" in gap or ">" in gap or "," in gap) and not _NUMBER.match(word):
                break
            if not _is_place_word(word):
                break
            end = stop
            if (
                _CLAUSE_END.search(word[-1:])
                and not _UNIT.match(word.rstrip("."))
                and not _STREET_WORD.fullmatch(word.rstrip("."))
            ):
                end = stop - 1
                break
        return end

    def _extend(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Extend a street over following unit, city, region, country and postcode segments."""
        while True:
            sep = _SEPARATOR.match(text, end)
            if sep is None or sep.end() == end:
                break
            seg_end = self._words_end(text, sep.end(), stop_at_lower=True)
            words = text[sep.end() : seg_end].split()
            if not words or len(words) > _MAX_SEGMENT_WORDS:
                break
            end = seg_end
        return start, end

    @staticmethod
    def _words_end(text: str, start: int, stop_at_lower: bool) -> int:
        """End of the run of place words starting at ``start`` on one line (stops at a separator, a clause
        end or, with ``stop_at_lower``, a lower-case word that is not a particle)."""
        end = start
        for count, match in enumerate(_TOKEN.finditer(text, start), start=1):
            gap = text[end : match.start()]
            if count > 1 and ("\n" in gap or ">" in gap or "," in gap):
                break
            word = match.group()
            if stop_at_lower and not _is_place_word(word):
                break
            end = match.end()
            if (
                word.endswith(("?", "!"))
                or (
                    word.endswith(".")
                    and not _UNIT.match(word[:-1])
                    and not _STREET_WORD.fullmatch(word[:-1])
                    # a house number written with a period ("Csabai kapu 39.") goes on; a postcode ends the
                    # sentence ("IL 62704. Discharged March 9, 2024")
                    and not (word[:-1].isdigit() and len(word) <= 4)
                )
            ):
                end -= 1
                break
            if count >= 10:
                break
        while end > start and text[end - 1] in ".,;:":
            end -= 1
        return end

    def _after_cue(self, text: str, start: int, explicit: bool) -> tuple[int, int] | None:
        """The address after a cue: place words to the end of the clause; after a cue that does not name an
        address (``explicit`` False) only if they hold a number or a street word."""
        end = self._words_end(text, start, stop_at_lower=True)
        words = text[start:end].split()
        if not words or words[0].lower() in ("the", "a", "an", "my", "your"):
            return None
        streetish = any(
            any(c.isdigit() for c in w)
            or _STREET_WORD.fullmatch(w.strip(".,"))
            or _STREET_SUFFIX.match(w.strip(".,"))
            for w in words
        )
        if not streetish and not explicit:
            return None
        if not streetish:
            sep = _SEPARATOR.match(text, end)
            if sep is not None and sep.end() > end and text[sep.end() : sep.end() + 1].isdigit():
                return (
                    None  # "Billing address: Ana Lima\n 1593 Pagari 18": a name line; the street rule has it
                )
        return self._extend(text, start, end)


#: UK postcodes (Royal Mail's Postcode Address File format, as in BS 7666): an outward code (area of 1-2
#: letters, district of a digit and an optional digit or letter: A9, A99, AA9, AA99, A9A, AA9A) and an inward code
#: (a digit and two letters without C, I, K, M, O, V); GIR 0AA.
_POSTCODE = (
    r"(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9A-HJKPS-UW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r"[ \t]?[0-9][ABD-HJLNP-UW-Z]{2})"
)
_POSTCODE_UPPER = re.compile(rf"(?<![A-Za-z0-9-])(?P<postcode>{_POSTCODE})(?![A-Za-z0-9-])")
#: Lower-case or unspaced postcodes count after their label ("postcode m14 5tp", "post code: ec1a1bb").
_POSTCODE_LABELLED = re.compile(
    rf"\b(?:post\s?code|postal\s+code|post-code)s?\b(?:\s+(?:is|was|=))?[\s:#=-]*(?P<postcode>{_POSTCODE})"
    r"(?![A-Za-z0-9-])",
    re.IGNORECASE,
)


#: US ZIP codes (USPS: 5 digits, optional ZIP+4) and other countries' numeric postcodes after their label
#: ("zip 30309", "ZIP code: 10012-3301", "code postal 75011", "PLZ 10115").
_ZIP_LABELLED = re.compile(
    r"\b(?:zip(?:\s*code)?|postal\s+code|code\s+postal|postleitzahl|plz|cap)s?\b(?:\s+(?:is|was|=))?[\s:#=-]*"
    r"(?P<postcode>\d{5}(?:-\d{4})?|\d{4})(?![\w-])",
    re.IGNORECASE,
)


def _postcodes(text: str) -> list[re.Match[str]]:
    """UK postcodes in ``text``: upper case with a space between outward and inward code anywhere ("SW1A 2AA",
    "LS6 2QT"), any case or spacing after the word "postcode". An upper-case code without the space ("SW1A2AA")
    counts only after the label: alone it may be a part number. US ZIP codes and other numeric postcodes count
    after their label ("zip 30309", "code postal 75011")."""
    found = [m for m in _POSTCODE_UPPER.finditer(text) if re.search(r"\s", m.group("postcode"))]
    return found + list(_POSTCODE_LABELLED.finditer(text)) + list(_ZIP_LABELLED.finditer(text))


#: A house number as it opens an address line: "7", "41a", "5/2" (Scottish flat/stair), "12-14".
_HOUSE_NUMBER = re.compile(r"\d{1,5}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?")
#: At most this many words between a house number and the postcode it is read back from.
_MAX_WORDS_BEFORE_POSTCODE = 8


def _back_to_house_number(text: str, start: int, end: int) -> tuple[int, int]:
    """The postcode at ``text[start:end]`` extended back, on its own line, over the place words and commas
    before it to the house number that opens its address (at most :data:`_MAX_WORDS_BEFORE_POSTCODE` words):
    "7 Meadow Bank, Wakefield WF2 9NE", "5/2 Marchmont Crescent, Edinburgh EH9 1HD". Street-type words are not
    needed: the postcode is the evidence ("Meadow Bank", "Brompton House"). Unchanged when a word on the way is
    not a place word (lower case, a sentence end) or no house number comes first."""
    line_start = text.rfind("\n", 0, start) + 1
    words = list(_TOKEN.finditer(text, line_start, start))
    for count, match in enumerate(reversed(words), start=1):
        if count > _MAX_WORDS_BEFORE_POSTCODE:
            break
        word = match.group()
        if _HOUSE_NUMBER.fullmatch(word.rstrip(",")):
            return match.start(), end
        if not _is_place_word(word) or _CLAUSE_END.search(word[-1:]) or word.endswith(":"):
            break
    return start, end


#: A street typed in lower case ("14 elm grove", "300 king st w"): a house number, 1-3 words and a common English
#: street-type word, then (optionally) up to 3 town words and a UK postcode or US ZIP code.
_LOWER_STREET_WORDS = (
    r"street|st|road|rd|lane|ln|avenue|ave|drive|dr|close|grove|way|crescent|cres|terrace|place|pl|court|ct|"
    r"gardens|gdns|walk|row|hill|green|mews|square|sq|parade|rise|boulevard|blvd"
)
_LOWER_STREET = re.compile(
    r"(?<![\w/.:-])(?P<street>\d{1,5}[a-z]?\s+(?P<name>(?:[a-z][a-z'\u2019-]+\s+){1,3})"
    rf"(?:{_LOWER_STREET_WORDS})\b\.?(?:\s+(?:n|s|e|w|ne|nw|se|sw)\b)?)"
    r"(?P<rest>(?:,?\s+[a-z][a-z'\u2019-]+){0,3},?\s+(?:[a-z]{2}\s+)?"
    r"(?:\d{5}(?:-\d{4})?|[a-pr-uwyz][a-hk-y]?\d[a-z\d]?\s?\d[abd-hjlnp-uw-z]{2}|[a-z]\d[a-z]\s?\d[a-z]\d)(?![\w-]))?"
)
#: Measures and ordinary words that make "a 10 minute drive" or "the 2 side streets" no street.
_NOT_STREET_NAME = frozenset(
    {
        "minute",
        "minutes",
        "min",
        "mins",
        "mile",
        "miles",
        "hour",
        "hours",
        "hr",
        "hrs",
        "km",
        "metre",
        "metres",
        "meter",
        "meters",
        "foot",
        "feet",
        "yard",
        "yards",
        "step",
        "steps",
        "block",
        "blocks",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "time",
        "times",
        "way",
        "ways",
        "lane",
        "lanes",
        "the",
        "a",
        "an",
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "at",
        "for",
        "my",
        "your",
        "our",
        "his",
        "her",
        "their",
        "this",
        "that",
    }
)
_LOWER_CUE = re.compile(
    r"(?:\b(?:at|to|address(?:\s+is)?|addy(?:\s+is)?|is|from|lives?|living|moved|post(?:ed)?|send|ship)\b\s*:?"
    r"|[:,(])\s*$",
    re.IGNORECASE,
)


def _lower_case_streets(text: str) -> list[tuple[int, int]]:
    """Lower-case street lines (:data:`_LOWER_STREET`): after an address cue ("send it to", "address:", "lives
    at") or followed by a postcode; not when a name word is a measure ("a 10 minute drive")."""
    spans = []
    for match in _LOWER_STREET.finditer(text):
        if any(word in _NOT_STREET_NAME for word in match.group("name").split()):
            continue
        if match.group("rest") is None and not _LOWER_CUE.search(
            text, max(0, match.start() - 25), match.start()
        ):
            continue
        spans.append((match.start(), match.end()))
    return spans


#: A flat or unit written before the house number ("Flat 3, 27 Kings Road", "Apt 4B 11 Elm St"): part of the
#: same address, so one finding with it (a house number left alone is a leak of where someone lives).
_UNIT_BEFORE = re.compile(
    r"(?:\b(?:flat|apartment|apt|unit|suite|ste|room|studio|maisonette)\.?|#)\s*(?:[A-Za-z]?\d{1,4}[A-Za-z]?[,\s]\s*)?$",
    re.IGNORECASE,
)


#: Capitalised words that label an address rather than end a name ("Address Flat 9, …", "Home Flat 2, …").
_ADDRESS_LABELS = frozenset(["address", "addr", "home", "billing", "postal", "delivery", "correspondence"])


def _unit_start(text: str, start: int) -> int:
    """``start`` moved back over a flat or unit written right before it (:data:`_UNIT_BEFORE`), unless a
    capitalised word (a name) comes right before the unit."""
    unit = _UNIT_BEFORE.search(text, max(0, start - 24), start)
    if unit is None:
        return start
    before = re.search(r"(\S+)\s+$", text[max(0, unit.start() - 40) : unit.start()])
    if (
        before is not None
        and re.fullmatch(r"[A-Z][a-z'\u2019-]+", before.group(1))
        and before.group(1).lower() not in _ADDRESS_LABELS
    ):
        return start  # "Mrs. Barbara Yudina Apt. 675 …": the unit follows a name, which keeps its own finding
    return unit.start()


def _unbracketed_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over closing brackets that close nothing inside ``text[start:end]`` ("(12 Church
    Street, Whitby YO22 4AE)")."""
    while end > start and text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end):
        end -= 1
    return end


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of an address block (split at newlines, commas and quote marks): as ``LOCATION`` each line is
    its own finding, so that a line lost to an overlapping finding of another type (a date, a phone number)
    does not take the street or the town with it (Presidio drops the NER's "Springfield" inside the block)."""
    parts = []
    position = start
    for sep in _SEPARATOR.finditer(text, start, end):
        if sep.end() > sep.start():
            parts.append((position, sep.start()))
            position = sep.end()
    parts.append((position, end))
    return [(s, e) for s, e in parts if text[s:e].strip()]


def _has_street_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a street-type word or a street name with a street suffix."""
    return any(
        _STREET_WORD.fullmatch(w.strip(".,")) or _STREET_SUFFIX.match(w.strip(".,"))
        for w in text[start:end].split()
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
