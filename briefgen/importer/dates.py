"""Dates in French and English news text: absolute ones ("18 juin 2023", "June 18"), relative ones
("dimanche", "last Tuesday", "hier") resolved against the article's date.

News prose uses a small closed set of forms, so they are matched here by pattern on text folded
to lowercase without accents. A bare weekday is the coming one when its sentence speaks of the
future ("doit", "will", a French future tense), the past one otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..slugs import fold

MONTHS = {
    **dict.fromkeys(("janvier", "january", "jan"), 1),
    **dict.fromkeys(("fevrier", "february", "feb"), 2),
    **dict.fromkeys(("mars", "march", "mar"), 3),
    **dict.fromkeys(("avril", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "july", "jul"), 7),
    **dict.fromkeys(("aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "september", "sept", "sep"), 9),
    **dict.fromkeys(("octobre", "october", "oct"), 10),
    **dict.fromkeys(("novembre", "november", "nov"), 11),
    **dict.fromkeys(("decembre", "december", "dec"), 12),
}
WEEKDAYS = {
    **dict.fromkeys(("lundi", "monday"), 0),
    **dict.fromkeys(("mardi", "tuesday"), 1),
    **dict.fromkeys(("mercredi", "wednesday"), 2),
    **dict.fromkeys(("jeudi", "thursday"), 3),
    **dict.fromkeys(("vendredi", "friday"), 4),
    **dict.fromkeys(("samedi", "saturday"), 5),
    **dict.fromkeys(("dimanche", "sunday"), 6),
}
SHIFTS = {
    "la veille": -1,
    "the day before": -1,
    "the previous day": -1,
    "le lendemain": 1,
    "the next day": 1,
    "the following day": 1,
    "avant-hier": -2,
    "hier": -1,
    "yesterday": -1,
    "aujourd'hui": 0,
    "today": 0,
    "demain": 1,
    "tomorrow": 1,
    "apres-demain": 2,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(WEEKDAYS)
_SHIFT = "|".join(re.escape(s) for s in sorted(SHIFTS, key=len, reverse=True))

ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
DAY_MONTH = re.compile(rf"\b(1er|\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?(?:,?\s+(\d{{4}}))?\b")
MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?")
WEEKDAY = re.compile(
    rf"\b(?:(last|next|this|on|ce|cette)\s+)?({_WEEKDAY})\b(?:\s+(dernier|prochain|passe|qui vient))?"
)
SHIFT = re.compile(rf"(?<![\w-])({_SHIFT})(?![\w-])")
# Tense cues, per language (an English "a summit" is no French "a reçu"). The French ones are read
# on the text with its accents, where "a reçu" is a past tense and "à Paris" is not.
FUTURE = {
    "fr": re.compile(
        r"\b(?:doit|doivent|devrait|devraient|va|vont|sera|seront|aura|auront|prévue?s?|prévoit|attendue?s?"
        r"|\w+(?:era|eront|ira|iront|endra|endront|erait|eraient|irait|iraient|endrait|endraient))\b"
    ),
    "en": re.compile(
        r"\b(?:will|shall|is expected|are expected|is due|are due|is scheduled|are scheduled|scheduled"
        r"|plans? to|is set to|are set to|is to|are to|is going to|are going to|ahead of|upcoming)\b|\w'll\b"
    ),
}
PAST = {
    "fr": re.compile(
        r"\b(?:a|ont|avait|avaient|est|sont|était|s'est|se sont)\s+(?:\w+\s+)?"
        r"\w+(?:é|ée|és|ées|i|is|it|u|us)\b"
    ),
    "en": re.compile(
        r"\b(?:had|has|have|was|were|did|met|said|told|held|spoke|went|came|took|gave|made|left|sat|saw"
        r"|began)\b|\b\w{3,}ed\b"
    ),
}


@dataclass(frozen=True, slots=True)
class Found:
    """A date phrase: where it is in the folded text, what it says, and how it was read."""

    start: int
    end: int
    day: dt.date
    written: str
    how: str  # "absolute", "relative", "weekday, coming", "weekday, past"


def norm(text: str) -> str:
    """`slugs.fold` with typographic apostrophes made plain: "aujourd’hui" -> "aujourd'hui"."""
    return fold(text.replace("’", "'").replace("ʼ", "'"))


def parse_day(text: str, lang: str = "", year: int | None = None) -> dt.date | None:
    """One date written on its own ("2023-06-18T10:00Z", "18 juin 2023", "June 18, 2023")."""
    folded = norm(text)
    iso = ISO.search(folded)
    if iso:
        return _day(int(iso[1]), int(iso[2]), int(iso[3]))
    for found in absolute_dates(folded, lang, year):
        return found.day
    return None


def absolute_dates(folded: str, lang: str, year: int | None) -> list[Found]:
    """Dates with a day and a month; a date without a year takes `year` (none without it)."""
    found: list[Found] = []
    for match in ISO.finditer(folded):
        day = _day(int(match[1]), int(match[2]), int(match[3]))
        if day:
            found.append(Found(match.start(), match.end(), day, match[0], "absolute"))
    for match in NUMERIC.finditer(folded):
        first, second = int(match[1]), int(match[2])
        d, m = (second, first) if lang == "en" and first <= 12 else (first, second)
        day = _day(int(match[3]), m, d)
        if day:
            found.append(Found(match.start(), match.end(), day, match[0], "absolute"))
    for match in DAY_MONTH.finditer(folded):
        number = 1 if match[1] == "1er" else int(match[1])
        y = int(match[3]) if match[3] else year
        day = _day(y, MONTHS[match[2]], number) if y else None
        if day:
            found.append(Found(match.start(), match.end(), day, match[0], "absolute"))
    for match in MONTH_DAY.finditer(folded):
        if match[1] == "may" and lang == "en" and _is_modal(folded, match.start()):
            continue
        y = int(match[3]) if match[3] else year
        day = _day(y, MONTHS[match[1]], int(match[2])) if y else None
        if day and not any(f.start <= match.start() < f.end for f in found):
            found.append(Found(match.start(), match.end(), day, match[0], "absolute"))
    return sorted(found, key=lambda f: f.start)


def dates_in(sentence: str, base: dt.date, lang: str, raw: str | None = None) -> list[Found]:
    """Every date phrase of one sentence (folded with `norm`), resolved against `base`; `raw`, the
    sentence as written, tells past tenses apart better (folding makes "à" and "a" one word)."""
    found = absolute_dates(sentence, lang, base.year)
    taken = [(f.start, f.end) for f in found]

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    tenses = raw.casefold().replace("’", "'") if raw is not None else sentence
    language = "fr" if lang == "fr" else "en"
    futures = [m.span() for m in FUTURE[language].finditer(tenses)]
    pasts = [
        m.span() for m in PAST[language].finditer(tenses) if not any(s <= m.start() < e for s, e in futures)
    ]
    for match in WEEKDAY.finditer(sentence):
        if not free(match.start(), match.end()):
            continue  # "dimanche 18 juin": the absolute date already says it
        before, weekday, after = match[1] or "", WEEKDAYS[match[2]], match[3] or ""
        ahead = (weekday - base.weekday()) % 7
        if before == "last" or after in ("dernier", "passe"):
            shift, how = -(7 - ahead if ahead else 7), "weekday, past"
        elif before == "next" or after in ("prochain", "qui vient"):
            shift, how = (ahead or 7), "weekday, coming"
        elif ahead == 0:
            shift, how = 0, "weekday, same day"
        elif _nearest_is_future(match.start(), futures, pasts):
            shift, how = ahead, "weekday, coming"
        else:
            shift, how = -(7 - ahead), "weekday, past"
        found.append(
            Found(match.start(), match.end(), base + dt.timedelta(days=shift), match[0].strip(), how)
        )
    for match in SHIFT.finditer(sentence):
        if free(match.start(), match.end()):
            day = base + dt.timedelta(days=SHIFTS[match[1]])
            found.append(Found(match.start(), match.end(), day, match[0], "relative"))
    return sorted(found, key=lambda f: f.start)


def _nearest_is_future(at: int, futures: list[tuple[int, int]], pasts: list[tuple[int, int]]) -> bool:
    """Whether the verb tense nearest to a weekday speaks of the future (no cue at all: the past)."""

    def distance(span: tuple[int, int]) -> int:
        return min(abs(span[0] - at), abs(span[1] - at))

    future = min(map(distance, futures), default=None)
    past = min(map(distance, pasts), default=None)
    return future is not None and (past is None or future <= past)


def _is_modal(folded: str, start: int) -> bool:
    """English "may" as a verb ("talks may 2 ..."), not the month: a lowercase word before it."""
    before = folded[:start].rstrip().split()
    return bool(before) and before[-1] not in ("in", "on", "of", "since", "from", "until", "early", "late")


def _day(year: int | None, month: int, day: int) -> dt.date | None:
    if year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
