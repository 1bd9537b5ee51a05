"""From a read source to a draft article: every field inferred, with the words it came from."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..slugs import fold
from . import engines
from .dates import MONTHS, Found, absolute_dates, dates_in, norm, parse_day
from .people import Mention, PeopleFinder, cue_spans, new_people, new_person_id
from .read import Source, _plain
from .vocabulary import Known, find_terms, same_happening
from .wordlists import words

ABBREVIATION = re.compile(
    r"(?:[A-Za-z]\.)+|Mr\.|Mrs\.|Ms\.|Dr\.|St\.|Mme\.?|Gen\.|Sen\.|Gov\.|Jr\.|No\.|Vol\."
)
NEAR, FAR = 90, 250  # characters from a date to its happening: with other dates about, or alone
EVENT_WINDOW = (-10, 31)  # days around the article's date within which a dated sentence is an event
SENTENCE_END = re.compile(r"(?<=[.!?…])[»\"”]?\s+(?=[«\"“A-ZÀ-Ý0-9])")
# (pattern on folded text, French label, English label): the first that matches names the event.
EVENT_KINDS = (
    (r"tables? rondes?|round ?tables?", "Table ronde", "Round table"),
    (
        r"conferences? de presse|press conferences?|news conferences?",
        "Conférence de presse",
        "Press conference",
    ),
    (r"sommets?|summits?", "Sommet", "Summit"),
    (
        r"entretiens? telephoniques?|appels? telephoniques?|phone calls?|telephone calls?|by phone"
        r"|au telephone",
        "Entretien téléphonique",
        "Phone call",
    ),
    (
        r"entretiens?|s'entreten\w*|s'est entretenu\w*|pourparlers|negociations?|discussions?|talks"
        r"|negotiations",
        "Entretiens",
        "Talks",
    ),
    (
        r"rencontre(?:s|es?|ra|ront|rait|raient)?|reunions?|meetings?|meets?|met|audiences?|recevra|recoit|recu|recue|recus"
        r"|receives?|received|hosts?|hosted|seances?|sessions?|briefings?|points? de presse|fundraisers?"
        r"|collectes? de fonds",
        "Rencontre",
        "Meeting",
    ),
    (r"diners?|dejeuners?|dinners?|lunch(?:es)?|banquets?", "Dîner", "Dinner"),
    (
        r"visites?|visits?|visited|se rend\w*|s'est rendue?|arrive\w*|atterri\w*|landed|lands|travel\w*",
        "Visite",
        "Visit",
    ),
    (r"discours|speech(?:es)?|addressed", "Discours", "Speech"),
    (
        r"protest\w*|representations|nomme\w*|nomination|limoge\w*|appoint\w*|reappoint\w*|removed|dismiss\w*"
        r"|remplace\w*|replaced|demission\w*|resign\w*",
        "Décision",
        "Decision",
    ),
    (r"forums?|dialogues?|consultations", "Consultations", "Consultations"),
)
# A sentence that says something did not, or may not, happen reports no event.
UNSURE = re.compile(
    r"\b(?:(?:n'(?:est|etait|a|avait)|ne sont|n'ont)\s+pas(?: encore)?(?: ete)? confirme\w*"
    r"|pas encore confirme\w*"
    r"|on ne sait (?:\w+ )?pas|on ignore|incertain\w*|not (?:yet )?(?:been )?confirmed(?! until)|unclear"
    r"|uncertain|not (?:yet )?(?:known|clear)"
    r"|no plans?|pourrai\w*|could|might|would)\b"
)
PRONOUN = re.compile(r"(?:^|[,;] )(?:il|elle|he|she)\b|\b(?:il|elle|he|she) (?!y a\b)\w+")
# A year, or a month on its own: another time than the paragraph's date.
_MONTH_NAMES = "|".join(m for m in MONTHS if len(m) > 3)
OTHER_TIME = re.compile(rf"\b(?:1[89]|20)\d\d\b|\b(?:en|in|since|depuis|last|next) (?:{_MONTH_NAMES})\b")
# "said on Sunday", "a annoncé mardi": the date of the telling, not of what is told
REPORTED = re.compile(
    r"\b(?:said|says|told reporters|announced|reported|confirmed|added|stated|a annonce|a indique|a declare"
    r"|a precise|a confirme|a ajoute|a affirme|a rapporte|a fait savoir|ont annonce|ont indique|ont declare"
    r"|ont precise|ont confirme)(?:\s+(?:on|le|ce))?\s*$"
)
EVENT_RE = [(re.compile(rf"(?<![\w-])(?:{p})(?![\w-])"), fr, en) for p, fr, en in EVENT_KINDS]
STOPWORDS = {
    "fr": words("le la les des du un une et est que qui dans pour pas sur avec au aux par ses son cette ont"),
    "en": words("the of and to in is that for on with was said by his her are has have this from at"),
}


@dataclass(frozen=True, slots=True)
class Options:
    lang: str | None = None
    date: str | None = None  # as given to --date: YYYY-MM-DD or an ISO datetime
    source_name: str | None = None
    source_url: str | None = None
    draft: bool = True
    use_libraries: bool = True


@dataclass(frozen=True, slots=True)
class EventDraft:
    day: dt.date
    title: str
    actors: tuple[str, ...]
    places: tuple[str, ...]
    id: str = ""  # shared with the content's report of the same happening


@dataclass(frozen=True, slots=True)
class Draft:
    """The front matter and body of the article to write, and what the analyst should review."""

    title: str
    date: str
    lang: str
    summary: str
    actors: tuple[str, ...]
    topics: tuple[str, ...]
    places: tuple[str, ...]
    events: tuple[EventDraft, ...]
    source_name: str
    source_url: str
    source_published: dt.date | None
    draft: bool
    body: str
    review: tuple[str, ...]  # lines of the comment at the top of the front matter
    new_people: tuple[str, ...] = ()
    day: dt.date = dt.date.min


def infer(source: Source, known: Known, options: Options, today: dt.date) -> Draft:
    review: list[str] = []
    gaps: list[str] = []
    plain_blocks = [_plain(b) for b in source.blocks]
    text = "\n\n".join([source.title, *plain_blocks])

    lang = _language(source, text, options, review, gaps)
    date_text, day, from_page = _article_date(source, text, lang, options, today, review)

    finder = PeopleFinder(known.people, day)
    mentions = finder.find(text)
    spans = engines.person_entities(text) if options.use_libraries else None
    if spans is None:
        gaps.append(
            "people missing from the registry, unless a title names them "
            f"(needs spaCy with {engines.SPACY_MODEL})"
        )
    everyone_spans = sorted([*(spans or ()), *cue_spans(text)])
    newcomers = new_people(text, everyone_spans, mentions, lambda name: fold(name) in finder.strong)
    everyone = sorted([*mentions, *newcomers], key=lambda m: m.start)
    actors = tuple(dict.fromkeys(m.person for m in everyone))
    review.extend(_actor_lines(actors, everyone, {p.id for p in known.people}))

    folded_text = norm(text)
    places = find_terms(known.places, folded_text, known.spellings)
    topics = find_terms(known.topics, folded_text, known.spellings)
    for label, terms, vocabulary in (("places", places, known.places), ("topics", topics, known.topics)):
        if terms:
            review.append(f"{label}: " + ", ".join(f"{t} ('{w}')" for t, w in terms))
        elif not vocabulary:
            gaps.append(f"{label} (the content uses none yet)")

    events = _events(text, day, lang, everyone, known, review)

    summary = _summary(plain_blocks, source.blocks)
    source_name = options.source_name or source.site_name or source.agency
    source_url = options.source_url or source.url
    if source_url and not source_name:
        source_name = re.sub(r"^https?://(?:www\.)?([^/]+).*$", r"\1", source_url)
    if source_name:
        how = "--source-name" if options.source_name else ("the page" if source.site_name else "the dateline")
        review.append(f"source: {source_name} (from {how})")
    else:
        gaps.append("source (give --source-name and --source-url)")
    if source.removed:
        shown = "; ".join(f"'{_short(r, 50)}'" for r in source.removed[:6])
        more = f" and {len(source.removed) - 6} more" if len(source.removed) > 6 else ""
        review.append(f"removed from the body as page debris: {shown}{more}")
    review.extend(source.notes)
    if gaps:
        review.append("not inferred: " + "; ".join(gaps))
    return Draft(
        title=source.title or "Untitled",
        date=date_text,
        lang=lang,
        summary=summary,
        actors=actors,
        topics=tuple(t for t, _ in topics),
        places=tuple(p for p, _ in places),
        events=events,
        source_name=source_name,
        source_url=source_url,
        source_published=day if from_page else None,
        draft=options.draft,
        body=_join(source.blocks),
        review=tuple(review),
        new_people=tuple(m.person for m in newcomers),
        day=day,
    )


def _language(source: Source, text: str, options: Options, review: list[str], gaps: list[str]) -> str:
    if options.lang:
        review.append(f"lang: {options.lang} (from --lang)")
        return options.lang
    detected = engines.detect_language(text) if options.use_libraries else None
    if detected is not None:
        review.append(f"lang: {detected[0]} (detected, probability {detected[1]:.2f})")
        return detected[0]
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    lang = max(scores, key=lambda k: scores[k])
    if source.declared_lang in STOPWORDS and scores["fr"] == scores["en"]:
        lang = source.declared_lang
    review.append(f"lang: {lang} (from common words; py3langid is not installed)")
    return lang


def _article_date(
    source: Source, text: str, lang: str, options: Options, today: dt.date, review: list[str]
) -> tuple[str, dt.date, bool]:
    """(the front matter's `date`, the day relative dates count from, whether the page gave it)."""
    if options.date:
        day = dt.date.fromisoformat(options.date[:10])
        review.append(f"date: {options.date} (from --date)")
        return options.date, day, False
    if source.published:
        moment = _moment(source.published)
        if moment is not None:
            review.append(f"date: from the page's metadata ('{source.published}')")
            if isinstance(moment, dt.datetime):
                return moment.isoformat(), moment.date(), True
            return moment.isoformat(), moment, True
    if source.published_text:
        day_found = parse_day(source.published_text, lang)
        if day_found is None:
            day_found = parse_day(source.published_text, lang, year=today.year)
            if day_found is not None:
                review.append(f"date: year {today.year} assumed: '{source.published_text}' gives none")
        if day_found is not None:
            review.append(f"date: from '{source.published_text}'")
            return day_found.isoformat(), day_found, True
    lead = norm(" ".join(text.split("\n\n")[:4]))
    full = absolute_dates(lead, lang, None)
    if full:
        review.append(f"date: the first full date in the text ('{full[0].written}'); check it")
        return full[0].day.isoformat(), full[0].day, False
    review.append("date: none found, today's date used; give --date, relative days count from it")
    return today.isoformat(), today, False


def _moment(text: str) -> dt.datetime | dt.date | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            return dt.date.fromisoformat(text.strip()[:10])
        except ValueError:
            return None
    return moment.replace(microsecond=0) if moment.tzinfo else moment.date()


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences; "U.S.", "M." or "Mr." before a capital does not end one."""
    pieces: list[str] = []
    begin = 0
    for match in SENTENCE_END.finditer(paragraph):
        last_word = (
            paragraph[begin : match.start()].rsplit(None, 1)[-1]
            if paragraph[begin : match.start()].strip()
            else ""
        )
        if ABBREVIATION.fullmatch(last_word):
            continue
        pieces.append(paragraph[begin : match.start()])
        begin = match.end()
    pieces.append(paragraph[begin:])
    return [p for p in pieces if p.strip()]


def _sentences(text: str) -> list[tuple[int, int, str]]:
    """(paragraph number, offset in text, sentence) for each sentence."""
    found = []
    offset = 0
    for number, paragraph in enumerate(text.split("\n\n")):
        start = offset
        for piece in split_sentences(paragraph):
            index = text.find(piece, start)
            found.append((number, index, piece))
            start = index + len(piece)
        offset += len(paragraph) + 2
    return found


def _events(
    text: str, day: dt.date, lang: str, mentions: list[Mention], known: Known, review: list[str]
) -> tuple[EventDraft, ...]:
    by_day: dict[dt.date, tuple[str, list[str], list[str], str]] = {}
    low, high = day + dt.timedelta(days=EVENT_WINDOW[0]), day + dt.timedelta(days=EVENT_WINDOW[1])
    latest: tuple[int, Found] | None = None  # the last date of the paragraph, for sentences without one
    subject = ""
    for paragraph, start, sentence in _sentences(text)[1:]:  # the headline repeats the text
        folded = norm(sentence)
        found: list[Found] = [f for f in dates_in(folded, day, lang, sentence) if low <= f.day <= high]
        # a sentence without a date of its own is about the paragraph's last date, unless it names
        # another time ("depuis 2021", "in May")
        carried = (
            not found and latest is not None and latest[0] == paragraph and not OTHER_TIME.search(folded)
        )
        if found:
            latest = (paragraph, found[-1])
        if UNSURE.search(folded):
            continue
        kinds = [(m, fr, en) for pattern, fr, en in EVENT_RE for m in pattern.finditer(folded)]
        # each date goes with the happening written nearest to it: "arrived on Sunday and met
        # business leaders on Monday" is two events
        pairs: list[tuple[Found, tuple[re.Match[str], str, str]]] = []
        dated = [f for f in found if not REPORTED.search(_before(folded, f))]
        options = sorted(
            (_order(gap, k[1], len(dated)), gap, i, j)
            for i, f in enumerate(dated)
            for j, k in enumerate(kinds)
            if (gap := _gap(k[0].span(), (f.start, f.end))) is not None
        )
        used_dates: set[int] = set()
        used_kinds: set[int] = set()
        for _, gap, i, j in options:  # the closest date and happening first, each used once
            if i in used_dates or j in used_kinds or gap > (NEAR if len(dated) > 1 else FAR):
                continue
            used_dates.add(i)
            used_kinds.add(j)
            pairs.append((dated[i], kinds[j]))
        if carried and kinds and latest is not None:
            pairs.append((latest[1], kinds[0]))
        people = [m.person for m in mentions if start <= m.start < start + len(sentence)]
        if PRONOUN.search(folded) and subject and subject not in people:
            people.insert(0, subject)  # "il", "he": the person the previous sentence began with
        if people:
            subject = people[0]
        places = [t for t, _ in find_terms(known.places, folded, known.spellings)]
        for when, (match, fr, en) in pairs:
            if when.day in by_day:
                title, actors, where, why = by_day[when.day]
                by_day[when.day] = (title, actors + people, where + places, why)
            else:
                context = " (said earlier in the paragraph)" if carried else ""
                why = f"'{when.written}' ({when.how}){context} and '{match[0]}'"
                by_day[when.day] = (fr if lang == "fr" else en, people, places, why)
    names = {p.id: p.name for p in known.people}
    events = []
    for when_day, (label, people, places, why) in sorted(by_day.items()):
        involved = tuple(dict.fromkeys(people))
        shown = [names.get(a, a) for a in involved]
        joiner = (" et ", " avec ") if lang == "fr" else (" and ", " with ")
        who = ", ".join(shown[:-1]) + joiner[0] + shown[-1] if len(shown) > 1 else "".join(shown)
        title = f"{label}{joiner[1]}{who}" if who else label
        spots = tuple(dict.fromkeys(places))
        same = same_happening(known, when_day, involved, spots, lang, title)
        events.append(EventDraft(when_day, title, involved, spots, same.id if same else ""))
        review.append(f"event {when_day.isoformat()}: from {why}")
        if same is not None and same.id:
            review.append(f"  the same happening as {same.where}: id {same.id}")
        elif same is not None:
            review.append(f"  looks like the event at {same.where}: give both the same id if it is")
    return tuple(events)


RANK = {label: index for index, (_, label, _) in enumerate(EVENT_KINDS)}


def _order(gap: int, label: str, dates: int) -> tuple[int, int]:
    """A lone date takes the most telling happening near it ("a atterri dimanche pour des
    entretiens": talks, not a visit); with several dates, each takes the nearest one."""
    if dates == 1 and gap <= NEAR:
        return (0, RANK[label])
    return (gap, 0)


def _before(folded: str, found: Found) -> str:
    return folded[max(0, found.start - 30) : found.start]


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def _summary(plain_blocks: list[str], blocks: tuple[str, ...]) -> str:
    for plain, block in zip(plain_blocks, blocks, strict=True):
        if block.startswith(("#", ">", "- ")) or len(plain.split()) < 8:
            continue
        sentences = split_sentences(plain)
        summary = sentences[0]
        if len(sentences) > 1 and len(summary) + len(sentences[1]) < 280:
            summary += " " + sentences[1]
        return summary
    return ""


def _actor_lines(actors: tuple[str, ...], mentions: list[Mention], registered: set[str]) -> list[str]:
    lines = ["actors:"] if actors else ["actors: nobody found"]
    for actor in actors:
        theirs = [m for m in mentions if m.person == actor]
        words = dict.fromkeys(f"'{m.written}'" + (" (title)" if m.how == "title" else "") for m in theirs)
        if actor in registered:
            lines.append(f"  {actor}: " + ", ".join(list(words)[:4]))
        else:
            lines.append(
                f"  {actor}: not in the registry (named by spaCy); "
                f"add content/people/{new_person_id(actor)}.yaml or correct the name"
            )
    return lines


def _join(blocks: tuple[str, ...]) -> str:
    """Blocks apart by a blank line, but the items of one list together (a tight list)."""
    out = ""
    for previous, block in zip(("", *blocks), blocks, strict=False):
        together = previous.startswith("- ") and block.startswith("- ")
        out += ("\n" if together else "\n\n" if out else "") + block
    return out + "\n"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
