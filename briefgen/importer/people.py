"""Who an article mentions: registry people first, then names the registry does not know yet.

Full names and aliases of several words (or in another script) are found anywhere; a surname or
a one-word alias counts once the person's full name appears in the article, or right after an
honorific or a title ("M. Qin", "President Xi"); a title with a nationality ("the US secretary
of state") reaches the one person who held it on the article's date. Names the registry lacks
come from spaCy's named entities, kept only when they look like a person's full name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import Person
from ..slugs import fold, slugify
from .wordlists import words

HONORIFICS = words(
    "m. m mme mmes mlle mr mr. mrs mrs. ms ms. dr dr. sir dame lord lady president presidente "
    "secretary secretaire minister ministre premier chancellor chancelier chanceliere ambassador "
    "ambassadeur ambassadrice general senator senateur senatrice spokesman spokeswoman spokesperson "
    "porte-parole governor gouverneur mayor maire prince king roi queen reine pope pape judge juge "
    "representative rep. sen. gen. gov. prof. professor professeur vice deputy adjoint"
)
# Words that never make a person's name on their own (compared folded).
NOT_NAMES = (
    words("""
    lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday wednesday thursday friday saturday
    sunday janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre january
    february march april may june july august september october november december
    le la les l' un une des du de the a an this that ce cette ces il elle ils elles she they we nous
    chine china etats-unis etats unis usa us u.s. america amerique france allemagne germany russie russia
    inde india japon japan taiwan taiwanais coree korea europe royaume-uni uk britain pekin beijing
    washington paris berlin londres london moscou moscow tokyo
    chinois chinoise chinese americain americaine americains american francais french allemand german
    russe russian britannique british europeen european japonais japanese indien indian
    departement department ministere ministry maison-blanche maison blanche white house pentagone pentagon
    parti party commission comite committee conseil council congres congress senat senate assemblee
    gouvernement government agence agency bureau office state etat affaires affairs foreign etrangeres
    tresor treasury defense defence nations unies united union republique republic populaire people's
    presse press news times post journal monde figaro liberation reuters afp ap xinhua bloomberg cnn bbc
    tass rfi france24 cctv agence associated fm rpc prc otan nato onu un ue eu g7 g20 apec asean
    universite university banque bank fondation foundation institut institute compagnie company groupe
    group corporation inc ltd sa microsoft google apple tesla boeing airbus huawei guesthouse residence
    palais palace hall hotel summit sommet forum dialogue conference secretaire secretary
    """)
    | HONORIFICS
)
NATIONALITY = {
    "US": (
        "americain",
        "americaine",
        "americains",
        "des etats-unis",
        "u.s.",
        "american",
        "america's",
        "of the united states",
        "state department",
        "departement d'etat",
    ),
    "CN": ("chinois", "chinoise", "de la chine", "chinese", "china's", "of china", "pekin", "beijing's"),
    "FR": ("francais", "francaise", "french", "france's", "de la france"),
    "DE": ("allemand", "allemande", "german", "germany's", "de l'allemagne"),
    "IN": ("indien", "indienne", "indian", "india's", "de l'inde"),
}
# Role titles as the registry writes them (English), with the ways French and English articles say them.
TITLE_WORDS = {
    "secretary of state": ("secretary of state", "secretaire d'etat", "chef de la diplomatie"),
    "minister of foreign affairs": (
        "minister of foreign affairs",
        "foreign minister",
        "ministre des affaires etrangeres",
        "chef de la diplomatie",
    ),
    "president": ("president", "presidente", "head of state", "chef de l'etat"),
    "premier of the state council": ("premier", "premier ministre", "prime minister"),
    "prime minister": ("prime minister", "premier ministre"),
    "federal chancellor": ("chancellor", "chancelier"),
    "secretary of defense": ("secretary of defense", "defense secretary", "secretaire a la defense"),
    "minister of national defense": ("defence minister", "defense minister", "ministre de la defense"),
    "secretary of the treasury": ("treasury secretary", "secretary of the treasury", "secretaire au tresor"),
    "spokesperson": ("spokesperson", "spokesman", "spokeswoman", "porte-parole"),
    "spokesperson of the ministry of foreign affairs": (
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "porte-parole",
    ),
    "president of the republic": ("president", "chef de l'etat"),
}


@dataclass(frozen=True, slots=True)
class Mention:
    person: str  # a registry id, or the full name of someone the registry does not know
    start: int  # offsets in the text searched
    end: int
    written: str
    how: str  # "name", "alias", "surname", "title", "new"

    @property
    def known(self) -> bool:
        return self.how != "new"


def folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The text folded like `slugs.fold` (case, accents, typographic apostrophes) but without
    collapsing spaces, with the offset in `text` of each folded character."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        char = "'" if char in "’ʼ`" else char
        for part in unicodedata.normalize("NFKD", char.casefold()):
            if not unicodedata.combining(part):
                out.append(part)
                offsets.append(index)
    offsets.append(len(text))
    return "".join(out), offsets


class PeopleFinder:
    """Finds registry people in text, with the date that decides who held a title."""

    def __init__(self, people: Iterable[Person], day: dt.date) -> None:
        self.people = {p.id: p for p in people}
        self.strong: dict[str, set[str]] = {}  # folded key -> ids
        self.weak: dict[str, set[str]] = {}
        for person in self.people.values():
            for key in (person.name, *person.aliases):
                target = self.strong if _is_strong(key) else self.weak
                target.setdefault(fold(key), set()).add(person.id)
            surname = _surname(person)
            if surname:
                self.weak.setdefault(fold(surname), set()).add(person.id)
        self.titles: list[tuple[str, str, str]] = []  # (folded phrase, role key, id)
        for person in self.people.values():
            for role in person.roles:
                if (role.start and role.start > day) or (role.end and role.end < day):
                    continue
                for phrase in TITLE_WORDS.get(fold(role.title), ()):
                    self.titles.append((phrase, fold(role.title), person.id))
        self._strong_re = _alternation(self.strong)
        self._weak_re = _alternation(self.weak)

    def find(self, text: str) -> list[Mention]:
        folded, offsets = folded_with_offsets(text)
        mentions: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for match in self._strong_re.finditer(folded) if self.strong else ():
            ids = self.strong[match[0]]
            if len(ids) == 1:
                how = "name" if fold(self.people[next(iter(ids))].name) == match[0] else "alias"
                mentions.append(_mention(next(iter(ids)), match, text, offsets, how))
                taken.append(match.span())
        named = {m.person for m in mentions}
        for match in self._weak_re.finditer(folded) if self.weak else ():
            if _overlaps(match.span(), taken) or not text[offsets[match.start()]].isupper():
                continue
            ids = self.weak[match[0]]
            present = ids & named
            if len(present) == 1:
                mentions.append(_mention(next(iter(present)), match, text, offsets, "surname"))
            elif len(ids) == 1 and _after_honorific(folded, match.start()):
                mentions.append(_mention(next(iter(ids)), match, text, offsets, "alias"))
        mentions.extend(self._titles(text, folded, offsets, list(mentions)))
        return sorted(mentions, key=lambda m: m.start)

    def _titles(self, text: str, folded: str, offsets: list[int], names: list[Mention]) -> Iterable[Mention]:
        for phrase in {p for p, _, _ in self.titles}:
            first, _, rest = phrase.partition(" ")
            # "ministre chinois des affaires etrangeres": a nationality may sit inside the title
            pattern = re.escape(first) + (rf"(?:\s+[\w.]+)?\s+{re.escape(rest)}" if rest else "")
            for match in re.finditer(rf"(?<![\w-]){pattern}(?![\w-])", folded):
                before = folded[max(0, match.start() - 25) : match.start()]
                if re.search(r"(?:ancien|ancienne|former|ex-|vice-?|\ba|\ban|\bun|\bune|\bone)\s*$", before):
                    continue  # a former holder, or "a spokesman": not the one person holding it
                start, end = offsets[match.start()], offsets[match.end() - 1] + 1
                if any(start <= m.start <= end + 25 for m in names):
                    continue  # "le secrétaire d'État Antony Blinken": the name that follows says who
                # the nationality must qualify this title: "the US secretary of state",
                # "le ministre chinois de la Défense", "China's foreign minister"
                before = re.split(r"[.;:!?\n,]", before)[-1]
                after = re.split(r"[.;:!?\n,]", folded[match.end() : match.end() + 25])[0]
                window = f"{before}{match[0]}{after}"
                original = text[start - len(before) : end + len(after)]
                holders = {
                    person_id
                    for other, _, person_id in self.titles
                    if other == phrase and _has_nationality(self.people[person_id].country, window, original)
                }
                if len(holders) == 1:
                    yield _mention(next(iter(holders)), match, text, offsets, "title")


def _has_nationality(country: str, window: str, original: str) -> bool:
    if country == "US" and re.search(r"\bU\.?S\.?(?=\s)", original):
        return True
    marks = NATIONALITY.get(country, ())
    return any(re.search(rf"(?<![\w-]){re.escape(mark)}(?![\w-])", window) for mark in marks)


def _is_strong(key: str) -> bool:
    """Several words, or a script without capital letters (王毅): precise enough to match anywhere."""
    return len(key.split()) > 1 or not any(c.isascii() and c.isalpha() for c in key)


def _surname(person: Person) -> str:
    words = person.name.split()
    if len(words) < 2:
        return ""
    return words[0] if person.country == "CN" else words[-1]  # Chinese names put the family name first


def _alternation(keys: dict[str, set[str]]) -> re.Pattern[str]:
    ordered = sorted(keys, key=len, reverse=True)
    body = "|".join(re.escape(k) for k in ordered) or "(?!)"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


def _mention(person: str, match: re.Match[str], text: str, offsets: list[int], how: str) -> Mention:
    start, end = offsets[match.start()], offsets[match.end() - 1] + 1
    return Mention(person, start, end, text[start:end], how)


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in taken)


def _after_honorific(folded: str, start: int) -> bool:
    """After "M.", "President", "Secretary of State"...: the next word is a name."""
    before = folded[max(0, start - 40) : start].rstrip()
    words = before.split()
    if words and words[-1].rstrip(",") in HONORIFICS:
        return True
    return any(before.endswith(phrase) for phrases in TITLE_WORDS.values() for phrase in phrases)


# -- names the registry does not know -------------------------------------------------------------

PARTICLES = words("de du des la le van von der den da di bin al el ibn y zu")


# Words after which a name follows ("Vice Premier He Lifeng", "l'émissaire John Kerry"); words of
# an organisation may stand between ("vice-ministre des Affaires étrangères Ma Zhaoxu").
CUE = re.compile(
    r"(?i:\b(?:vice[- ])?(?:premier|president|presidente|président|présidente|minister|ministre|secretary|"
    r"secrétaire|senator|sénateur|sénatrice|ambassador|ambassadeur|ambassadrice|spokesman|spokeswoman|"
    r"spokesperson|porte-parole|governor|gouverneur|gouverneure|chancellor|chancelier|chancelière|envoy|"
    r"émissaire|envoyé|envoyée|general|général|counterpart|homologue|mr|mrs|ms|dr|mme|m)\.?)"
    r"(?P<rest>(?:[\s,]+(?:[\w'’.-]+)){1,9})"
)


def cue_spans(text: str) -> list[tuple[int, int, str]]:
    """Spans that follow a title word, for the same checks as spaCy's: found without spaCy too."""
    spans = []
    for match in CUE.finditer(text):
        spans.append((match.start("rest"), match.end(), "CUE"))
    return spans


def new_people(
    text: str, spans: list[tuple[int, int, str]], known: list[Mention], registry_keys: Callable[[str], bool]
) -> list[Mention]:
    """People spaCy found that the registry does not hold, as full names; anything that could be
    a weekday, a country, an institution, a title or a lone surname is left out."""
    found: list[Mention] = []
    seen: set[str] = set()
    for start, end, label in spans:
        words = [(m.start() + start, m[0]) for m in re.finditer(r"[^\s,;:()«»\"“”]+,?", text[start:end])]
        # titles, organisations and articles before the name: "Vice Premier", "of the People's Bank of China,"
        skipped = 0
        while words and (
            fold(words[0][1].rstrip(",")).removesuffix("'s").removesuffix("’s") in NOT_NAMES | CONNECTORS
            or not words[0][1][0].isalpha()
            or (label == "CUE" and (words[0][1][0].islower() or words[0][1].rstrip(",") in ("Of", "The")))
        ):  # after a title, an organisation in lowercase may come first: "gouverneur de la banque centrale,"
            words = words[1:]
            skipped += 1
            if label == "CUE" and skipped > 7:
                words = []
        run: list[tuple[int, str]] = []
        for offset, word in words:
            bare = word.rstrip(",.").removesuffix("’s").removesuffix("'s")
            if not bare or fold(bare) in NOT_NAMES or not (bare[0].isupper() or fold(bare) in PARTICLES):
                break
            run.append((offset, bare))
            if word.endswith((",", ".")) or len(run) == 4:
                break
        if not run:
            continue
        begin, stop = run[0][0], run[-1][0] + len(run[-1][1])
        if any(m.start < stop and begin < m.end for m in known):
            continue
        names = [w for _, w in run]
        name = " ".join(names)
        if not _looks_like_full_name(names) or registry_keys(name):
            continue
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        found.append(Mention(name, begin, stop, name, "new"))
    return found


CONNECTORS = frozenset(
    {"of", "the", "for", "and", "de", "des", "du", "la", "le", "les", "l'", "d'", "a", "au", "aux"}
)


def _looks_like_full_name(words: list[str]) -> bool:
    if not 2 <= len(words) <= 4:
        return False
    for word in words:
        folded = fold(word)
        if folded in PARTICLES:
            continue
        if folded in NOT_NAMES or not word[0].isupper() or not re.fullmatch(r"[\w.'’-]+", word):
            return False
        if word.isupper() and len(word) > 2:  # acronyms and datelines: "FMI", "BEIJING"
            return False
    return fold(words[0]) not in PARTICLES and fold(words[-1]) not in PARTICLES


def new_person_id(name: str) -> str:
    return slugify(name)
