#!/usr/bin/env python3
"""A synthetic, deterministic briefing archive for benchmarks: articles, people and vocabularies.

    python3 bench/corpus.py OUTDIR N [--days D] [--seed S] [--start YYYY-MM-DD] [--flavor briefgen|pelican]

Writes N articles as OUTDIR/YYYY-MM-DD-<slug>.md spread over D days (default N/20, so twenty a
day), OUTDIR/people/<id>.yaml for a pool of 300 people, and OUTDIR/topics/<id>.yaml and
OUTDIR/places/<id>.yaml for the 40 topics and 50 places the articles draw from (their names only,
as a desk describing its vocabulary would start). Articles are 60 % French and 40 %
English, 300 to 900 words in four to eight paragraphs, with emphasis, a link, a bulleted list and
a quotation; their actors, topics and places follow Zipf-like popularity, as in a real archive
where a few names dominate.

Flavors:
  briefgen (default; `neutral` is accepted as a synonym): YAML front matter with title, date,
    lang, summary, actors, topics, places, events and source. Hugo reads these files as they are
    (taxonomies actors, topics and places).
  pelican: the same articles (same text, slug and date) with Pelican's stock `Key: value`
    metadata header: actors and topics as Tags, the first topic as Category, events as
    `date | title | actor; actor` entries joined by ` || `.

Only the standard library is used, and one seeded random.Random draws everything in a fixed
order, so the same arguments give the same bytes on any machine and Python 3.11+.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import random
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

GIVEN = (
    "Adèle Bastien Capucine Damien Éloïse Fabien Gaëlle Hugo Inès Jérôme Léonie Maël Noémie "
    "Octave Pauline Quentin Rosalie Sébastien Thaïs Valentin Albert Beatrice Colin Dorothy Edwin "
    "Fiona Gregory Harriet Isaac Judith Kenneth Lydia Malcolm Nora Oscar Priya Rashid Salma "
    "Tarek Leila Joaquín Marisol Rafael Greta Henrik Agnieszka Tomasz Haruto Aiko Jun Li Na "
    "Kofi Abena Bruno Giulia Stefan Freja Oksana Yaroslav"
).split()
FAMILY = (
    "Aubert Barbier Chevalier Delmas Étienne Faure Gauthier Hébert Jacquet Klein Lacroix "
    "Marchand Noël Olivier Perrin Quéméner Renaud Schmitt Téllez Vasseur Weber Baxter Coleman "
    "Donovan Ellison Fletcher Gallagher Hastings Irwin Jennings Kendall Lawson Mercer Norris "
    "Osborne Palmer Quinn Ramsey Sutton Thornton Underwood Vaughn Whitaker El Amrani Cherkaoui "
    "Ramírez Ortega Esposito Ferraro Zielińska Wójcik Lindqvist Holm Nakamura Kobayashi Zhou "
    "Liu Asante Boateng Kovalenko Sokolova"
).split()
ROLES = (
    "Minister of Trade",
    "Minister of the Interior",
    "Deputy Prime Minister",
    "Head of State",
    "Member of Parliament",
    "Senator",
    "Mayor",
    "Ambassador",
    "Central bank governor",
    "Chief executive",
    "Trade union leader",
    "Reporter",
    "Campaigner",
    "Chief of staff",
    "Magistrate",
    "Chief economist",
    "Government spokesperson",
    "Party chair",
    "European commissioner",
    "Regional governor",
    "Envoy",
    "Professor",
)
COUNTRIES = "FR BE CH CA US GB DE IT ES PL SE MA DZ SN GH NG JP CN BR MX UA TR IN KE".split()
TOPICS = (
    "Économie",
    "Énergie",
    "Climat",
    "Santé publique",
    "Éducation",
    "Défense",
    "Diplomatie",
    "Élections",
    "Justice",
    "Migrations",
    "Agriculture",
    "Transports",
    "Logement",
    "Travail",
    "Impôts",
    "Commerce extérieur",
    "Industrie",
    "Numérique",
    "Intelligence artificielle",
    "Cybersécurité",
    "Culture",
    "Sport",
    "Presse",
    "Police",
    "Contre-terrorisme",
    "Libertés publiques",
    "Union européenne",
    "Alliances militaires",
    "Organisations internationales",
    "Sahel",
    "Proche-Orient",
    "Indo-Pacifique",
    "Amérique latine",
    "Politique monétaire",
    "Prix",
    "Pensions",
    "Finances publiques",
    "Sciences",
    "Spatial",
    "Mers et océans",
)
PLACES = tuple(
    name.replace("_", " ")  # underscores stand for spaces inside one name
    for name in (
    "Paris Lyon Marseille Bruxelles Genève Montréal Québec Dakar Abidjan Rabat Alger Tunis "
    "Londres Berlin Rome Madrid Lisbonne Varsovie Stockholm Kyiv Moscou Ankara Le_Caire Nairobi "
    "Lagos Accra Washington New_York Ottawa Mexico Brasília Buenos_Aires Pékin Tokyo New_Delhi "
    "Jakarta Sydney Strasbourg Bordeaux Toulouse Lille Nantes Luxembourg Vienne Athènes Beyrouth "
    "Téhéran Riyad Doha Singapour"
    ).split()
)
OUTLETS = (
    ("Dépêche Continentale", "https://depeche-continentale.example.org"),
    ("L'Observateur du matin", "https://observateur-matin.example.fr"),
    ("Evening Standard Bearer", "https://standard-bearer.example.com"),
    ("Ondes Internationales", "https://ondes-internationales.example.eu"),
    ("Capital Briefing", "https://capital-briefing.example.net"),
    ("La Lettre économique", "https://lettre-eco.example.fr"),
    ("World Desk", "https://worlddesk.example.com"),
    ("Cahiers stratégiques", "https://cahiers-strategiques.example.org"),
)


@dataclass(frozen=True)
class Words:
    """The phrase book of one language: sentences are subject + verb + object + circumstance."""

    subjects: tuple[str, ...]
    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    circumstances: tuple[str, ...]
    adjectives: tuple[str, ...]
    openers: tuple[str, ...]
    said: str
    quotes: tuple[str, ...]
    list_intro: str
    link_texts: tuple[str, ...]
    titles: tuple[str, ...]
    events: tuple[str, ...]
    at: str  # "à {place}" / "in {place}"


FRENCH = Words(
    subjects=(
        "l'exécutif",
        "la commission d'enquête",
        "le ministère",
        "les députés de l'opposition",
        "le Sénat",
        "l'institut d'émission",
        "l'intersyndicale",
        "le conseil régional",
        "la mission diplomatique",
        "le cabinet",
        "l'autorité de régulation",
        "les économistes",
        "la coalition",
        "la cour d'appel",
        "les médiateurs",
        "l'Élysée",
    ),
    verbs=(
        "a dévoilé",
        "a entériné",
        "a écarté",
        "a soumis",
        "a plaidé pour",
        "a dénoncé",
        "met au point",
        "étudie",
        "suggère",
        "appuie",
        "remet en cause",
        "a réactivé",
        "a gelé",
        "n'exclut pas",
        "a voté",
        "renégocie",
    ),
    objects=(
        "une feuille de route",
        "la révision constitutionnelle",
        "le texte de loi",
        "un protocole d'accord",
        "le plan de soutien",
        "la loi de finances",
        "une mission d'inspection",
        "le calendrier des réformes",
        "la stratégie de long terme",
        "une enveloppe exceptionnelle",
        "les mesures de rétorsion",
        "la contre-proposition",
        "un audit indépendant",
        "le dispositif d'encadrement",
        "un moratoire",
        "la solution de repli",
    ),
    circumstances=(
        "en dépit des objections",
        "au terme de longues tractations",
        "dans un climat de défiance",
        "d'après plusieurs sources concordantes",
        "devant la presse",
        "d'ici à l'automne",
        "sous l'insistance des alliés",
        "malgré une pluie de critiques",
        "pour la première fois depuis des années",
        "à la demande des collectivités",
        "dans la foulée",
        "sans plus de précisions",
        "à l'issue d'une nuit blanche",
        "alors que les prix flambent",
    ),
    adjectives=(
        "crucial",
        "délicat",
        "fragile",
        "audacieux",
        "controversé",
        "sans précédent",
        "mesuré",
        "déterminant",
        "symbolique",
        "technique",
    ),
    openers=(
        "Dans le même temps,",
        "De surcroît,",
        "Pourtant,",
        "Côté gouvernement,",
        "Parallèlement,",
        "Selon les analystes,",
        "Néanmoins,",
        "De leur côté,",
        "Dès lors,",
        "À l'inverse,",
    ),
    said="a affirmé",
    quotes=(
        "Nous tiendrons le cap quoi qu'il arrive",
        "C'est un équilibre difficile mais indispensable",
        "Le temps presse et nous devons avancer",
        "Les Français veulent des actes, pas des promesses",
        "La discussion reste ouverte",
    ),
    list_intro="Ce qu'il faut retenir :",
    link_texts=("le texte intégral", "la déclaration commune", "la synthèse publiée"),
    titles=(
        "{actor} {verb} {object}",
        "{topic} : {subject} {verb} {object}",
        "{place} : un dossier {adjective} sur la table",
    ),
    events=(
        "Conseil des ministres",
        "Sommet bilatéral",
        "Scrutin à l'Assemblée",
        "Point presse",
        "Audition en commission",
        "Déplacement officiel",
        "Remise du rapport",
        "Réunion de crise",
    ),
    at="à {place}, {subject}",
)
ENGLISH = Words(
    subjects=(
        "the administration",
        "the select committee",
        "the department",
        "opposition lawmakers",
        "the upper house",
        "the monetary authority",
        "the labour federation",
        "the regional council",
        "the embassy",
        "the cabinet office",
        "the regulator",
        "economists",
        "the ruling coalition",
        "the appeals court",
        "the mediators",
        "the palace",
    ),
    verbs=(
        "unveiled",
        "endorsed",
        "ruled out",
        "submitted",
        "argued for",
        "condemned",
        "is drafting",
        "is studying",
        "floated",
        "supported",
        "questioned",
        "reopened",
        "froze",
        "has not excluded",
        "passed",
        "is renegotiating",
    ),
    objects=(
        "a roadmap",
        "the constitutional amendment",
        "the draft law",
        "a memorandum of understanding",
        "the relief plan",
        "the finance bill",
        "an inspection mission",
        "the reform calendar",
        "the long-term strategy",
        "an exceptional budget line",
        "the retaliatory measures",
        "the counter-offer",
        "an independent audit",
        "the oversight mechanism",
        "a moratorium",
        "the fallback option",
    ),
    circumstances=(
        "despite the objections",
        "after protracted bargaining",
        "in an atmosphere of mistrust",
        "according to several concurring sources",
        "in front of reporters",
        "by the autumn",
        "at the insistence of allies",
        "despite a barrage of criticism",
        "for the first time in years",
        "at the request of local authorities",
        "shortly afterwards",
        "without elaborating",
        "after a sleepless night",
        "as prices soar",
    ),
    adjectives=(
        "crucial",
        "delicate",
        "fragile",
        "bold",
        "controversial",
        "unprecedented",
        "measured",
        "decisive",
        "symbolic",
        "technical",
    ),
    openers=(
        "At the same time,",
        "What is more,",
        "Yet,",
        "On the government side,",
        "In parallel,",
        "According to analysts,",
        "Nevertheless,",
        "For their part,",
        "From then on,",
        "Conversely,",
    ),
    said="said",
    quotes=(
        "We will hold our course whatever happens",
        "It is a hard but necessary balance",
        "Time is short and we must move forward",
        "People want action, not promises",
        "The discussion remains open",
    ),
    list_intro="What to remember:",
    link_texts=("the full text", "the joint statement", "the published summary"),
    titles=(
        "{actor} {verb} {object}",
        "{topic}: {subject} {verb} {object}",
        "{place}: a {adjective} file on the table",
    ),
    events=(
        "Cabinet meeting",
        "Bilateral summit",
        "Vote in the assembly",
        "Press briefing",
        "Committee hearing",
        "Official trip",
        "Report handover",
        "Crisis meeting",
    ),
    at="in {place}, {subject}",
)
WORDS = {"fr": FRENCH, "en": ENGLISH}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "x"


def quoted(text: str) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def flow(items: Sequence[str]) -> str:
    return "[" + ", ".join(quoted(item) for item in items) + "]"


class Popularity:
    """Draws items with weight 1/rank**exponent, ranks shuffled so list order does not matter."""

    def __init__(self, items: Sequence[str], exponent: float, rng: random.Random) -> None:
        self.items = list(items)
        rng.shuffle(self.items)
        self.cumulative = list(itertools.accumulate(1.0 / rank**exponent for rank in range(1, len(items) + 1)))

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])]

    def distinct(self, rng: random.Random, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            item = self.pick(rng)
            if item not in chosen:
                chosen.append(item)
        return chosen


@dataclass(frozen=True)
class Person:
    name: str
    aliases: tuple[str, ...]
    role: str
    country: str

    @property
    def id(self) -> str:
        return slugify(self.name)


def people_pool(rng: random.Random, size: int = 300) -> list[Person]:
    pool: dict[str, Person] = {}
    while len(pool) < size:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        name = f"{given} {family}"
        if name in pool:
            continue
        aliases = [f"{given[0]}. {family}"]
        if rng.random() < 0.4:
            aliases.append(family)
        if rng.random() < 0.15:
            aliases.append(f"{given} {family[0]}.")
        pool[name] = Person(name, tuple(aliases), rng.choice(ROLES), rng.choice(COUNTRIES))
    return list(pool.values())


def sentence(rng: random.Random, words: Words, actors: list[str], places: list[str]) -> str:
    roll = rng.random()
    if roll < 0.35:
        subject = rng.choice(actors)
    elif roll < 0.45 and places:
        subject = words.at.format(place=rng.choice(places), subject=rng.choice(words.subjects))
    else:
        subject = rng.choice(words.subjects)
    text = f"{subject} {rng.choice(words.verbs)} {rng.choice(words.objects)} {rng.choice(words.circumstances)}"
    if rng.random() < 0.3:
        text = f"{rng.choice(words.openers)} {text}"
    if rng.random() < 0.2:
        quote, speaker = rng.choice(words.quotes), rng.choice(actors)
        text += (
            f", « {quote} », {words.said} {speaker}"
            if words is FRENCH
            else f", \u201c{quote}\u201d, {speaker} {words.said}"
        )
    return text[0].upper() + text[1:] + "."


def body(rng: random.Random, lang: str, actors: list[str], places: list[str], site: str) -> str:
    """Four to eight paragraphs, 300 to 900 words, with emphasis, a link, a list and a quotation."""
    words = WORDS[lang]
    target = rng.randint(300, 900)
    count = rng.randint(4, 8)
    points = [sentence(rng, words, actors, places).rstrip(".") for _ in range(rng.randint(3, 5))]
    bullets = words.list_intro + "\n\n" + "\n".join(f"- {point}" for point in points)
    quote, speaker = rng.choice(words.quotes), rng.choice(actors)
    quotation = (
        f"> « {quote} », {words.said} {speaker}."
        if lang == "fr"
        else f"> \u201c{quote},\u201d {speaker} {words.said}."
    )
    link = f" [{rng.choice(words.link_texts).capitalize()}]({site}/{rng.randrange(10**6)})."
    fixed = sum(len(part.split()) for part in (bullets, quotation, link))
    per_paragraph = max(12, (target - fixed) // count)
    paragraphs: list[list[str]] = []
    for _ in range(count):
        sentences: list[str] = []
        length = 0
        while True:
            text = sentence(rng, words, actors, places)
            if sentences and length + len(text.split()) > per_paragraph:
                break
            sentences.append(text)
            length += len(text.split())
        paragraphs.append(sentences)
    total = fixed + sum(len(s.split()) for p in paragraphs for s in p)
    while total < target:
        text = sentence(rng, words, actors, places)
        if total + len(text.split()) > 900:
            break
        paragraphs[rng.randrange(count)].append(text)
        total += len(text.split())
    blocks = [" ".join(p) for p in paragraphs]
    first = blocks[0].split(" ")
    emphasis, strong = rng.randrange(len(first)), rng.randrange(len(first))
    first[emphasis] = f"*{first[emphasis].strip('.,')}*"
    if strong != emphasis:
        first[strong] = f"**{first[strong].strip('.,')}**"
    blocks[0] = " ".join(first)
    blocks[1] += link
    blocks.insert(rng.randint(2, count - 1), bullets)
    blocks.insert(rng.randint(1, len(blocks)), quotation)
    return "\n\n".join(blocks) + "\n"


def write_people(folder: Path, people: list[Person]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for person in people:
        (folder / f"{person.id}.yaml").write_text(
            f"name: {quoted(person.name)}\naliases: {flow(person.aliases)}\n"
            f"roles:\n  - title: {quoted(person.role)}\ncountry: {quoted(person.country)}\n",
            encoding="utf-8",
        )


def write_vocabulary(folder: Path, names: Sequence[str]) -> None:
    """A vocabulary file (`content/topics/`, `content/places/`) for each name, giving only the name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{slugify(name)}.yaml").write_text(f"name: {quoted(name)}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("--days", type=int, help="days the articles are spread over (default N/20)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--start", default="2024-01-01", help="first day, YYYY-MM-DD")
    parser.add_argument("--flavor", choices=("briefgen", "neutral", "pelican"), default="briefgen")
    args = parser.parse_args(argv)

    count: int = args.n
    days = args.days or max(1, count // 20)
    start = dt.date.fromisoformat(args.start)
    rng = random.Random(args.seed)
    people = people_pool(rng)
    actor_pool = Popularity([p.name for p in people], 1.05, rng)
    topic_pool = Popularity(TOPICS, 0.9, rng)
    place_pool = Popularity(PLACES, 0.9, rng)
    write_people(args.outdir / "people", people)
    write_vocabulary(args.outdir / "topics", TOPICS)
    write_vocabulary(args.outdir / "places", PLACES)

    zone = dt.timezone(dt.timedelta(hours=1))
    taken: set[str] = set()
    for number in range(count):
        lang = "fr" if rng.random() < 0.6 else "en"
        words = WORDS[lang]
        day = start + dt.timedelta(days=number * days // count)
        when = dt.datetime(day.year, day.month, day.day, rng.randint(6, 22), rng.randrange(60), tzinfo=zone)
        actors = actor_pool.distinct(rng, rng.randint(2, 6))
        topics = topic_pool.distinct(rng, rng.randint(1, 3))
        places = place_pool.distinct(rng, rng.randint(0, 3))
        title = rng.choice(words.titles).format(
            actor=actors[0],
            verb=rng.choice(words.verbs),
            object=rng.choice(words.objects),
            topic=topics[0],
            subject=rng.choice(words.subjects).capitalize(),
            place=places[0] if places else rng.choice(PLACES),
            adjective=rng.choice(words.adjectives),
        )
        title = title[0].upper() + title[1:]
        summary = (
            f"{actors[0]} {rng.choice(words.verbs)} {rng.choice(words.objects)} "
            f"{rng.choice(words.circumstances)}."
        )
        events = []
        for _ in range(rng.randint(0, 3)):
            when_event = day + dt.timedelta(days=rng.randint(-10, 30))
            where = rng.choice(places) if places else rng.choice(PLACES)
            events.append(
                (
                    when_event.isoformat(),
                    f"{rng.choice(words.events)} — {where}",
                    rng.sample(actors, rng.randint(1, min(3, len(actors)))),
                )
            )
        outlet, site = rng.choice(OUTLETS)
        stem = slugify(title)[:60].rstrip("-")
        slug, suffix = stem, 2
        while slug in taken:
            slug, suffix = f"{stem}-{suffix}", suffix + 1
        taken.add(slug)
        url = f"{site}/{day.isoformat()}/{slug}"
        text = body(rng, lang, actors, places, site)

        if args.flavor == "pelican":
            header = [
                f"Title: {title}",
                f"Date: {when:%Y-%m-%d %H:%M}",
                f"Lang: {lang}",
                f"Slug: {slug}",
                f"Summary: {summary}",
                f"Tags: {', '.join(actors + topics)}",
                f"Category: {topics[0]}",
                f"Actors: {'; '.join(actors)}",
                f"Topics: {'; '.join(topics)}",
                f"Source: {outlet}",
                f"Source_url: {url}",
            ]
            if places:
                header.append(f"Places: {'; '.join(places)}")
            if events:
                header.append(
                    "Events: " + " || ".join(f"{d} | {t} | {'; '.join(a)}" for d, t, a in events)
                )
            header.append("")
        else:
            header = [
                "---",
                f"title: {quoted(title)}",
                f"date: {when.isoformat()}",
                f"lang: {lang}",
                f"summary: {quoted(summary)}",
                f"actors: {flow(actors)}",
                f"topics: {flow(topics)}",
                f"places: {flow(places)}",
            ]
            if events:
                header.append("events:")
                for d, t, a in events:
                    header += [f"  - date: {d}", f"    title: {quoted(t)}", f"    actors: {flow(a)}"]
            else:
                header.append("events: []")
            header += ["source:", f"  name: {quoted(outlet)}", f"  url: {quoted(url)}", "---", ""]
        path = args.outdir / f"{day.isoformat()}-{slug}.md"
        path.write_text("\n".join(header) + "\n" + text, encoding="utf-8")
    print(f"wrote {count} articles over {days} days and {len(people)} people to {args.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
