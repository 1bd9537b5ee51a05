"""How well `briefgen import` infers what an analyst would write, on bench/import_corpus/.

Each raw article (NN-name.txt or NN-name.html) has beside it NN-name.expected.yaml: the front
matter a careful analyst wrote for it, plus an optional `import:` mapping with the flags the
analyst would give (`date`) and the day they imported it (`today`, by default the article's day).
People are compared by registry id (content/people/ of this repository); someone the registry
does not hold is compared by the slug of their full name.

    .venv/bin/python bench/import_quality.py [--no-libraries] [--verbose]

Reports precision, recall and F1 of actors, the share of article dates right, precision and
recall of event dates (an event counts as right when the analyst lists an event on that day), the
people of the events on the days both list, and every false person (an actor the analyst did not
list).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefgen.config import load_config  # noqa: E402
from briefgen.content.fields import parse_when  # noqa: E402
from briefgen.importer import Options, engines, infer, read_source  # noqa: E402
from briefgen.importer.vocabulary import load_known  # noqa: E402
from briefgen.slugs import fold, slugify  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "import_corpus"


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, found: set[Any], expected: set[Any]) -> tuple[set[Any], set[Any]]:
        self.tp += len(found & expected)
        self.fp += len(found - expected)
        self.fn += len(expected - found)
        return found - expected, expected - found

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-libraries", action="store_true", help="registry and own rules only")
    parser.add_argument("--verbose", action="store_true", help="print every article's differences")
    args = parser.parse_args()
    config = load_config(ROOT)
    known = load_known(config)
    keys: dict[str, str] = {}
    for person in known.people:
        for key in (person.id, person.name, *person.aliases):
            keys[fold(key)] = person.id
    registered = {p.id for p in known.people}

    def person_id(written: str) -> str:
        return keys.get(fold(written), slugify(written))

    started = time.perf_counter()
    if not args.no_libraries:
        engines.person_entities("Warm up.")  # load spaCy once, outside the per-article timing
        engines.detect_language("Warm up.")
        engines.html_main_text("<html><body><p>Warm up.</p></body></html>")
    loading = time.perf_counter() - started

    actors, events, event_people = Tally(), Tally(), Tally()
    held_actors, held_events = Tally(), Tally()  # the articles written after the rules were frozen
    held_dates = held_total = 0
    dates_right = 0
    timings: list[float] = []
    false_people: list[str] = []
    cases = sorted(CORPUS.glob("*.expected.yaml"))
    kinds: dict[str, int] = {}
    for case in cases:
        stem = case.name.removesuffix(".expected.yaml")
        (raw,) = [p for p in CORPUS.glob(stem + ".*") if p.suffix in (".txt", ".html")]
        kinds[raw.suffix] = kinds.get(raw.suffix, 0) + 1
        truth = yaml.safe_load(case.read_text(encoding="utf-8"))
        flags = truth.get("import") or {}
        true_day, _ = parse_when(str(truth["date"]), config.tz)
        today = flags.get("today") or true_day
        options = Options(
            date=str(flags["date"]) if flags.get("date") else None, use_libraries=not args.no_libraries
        )
        begin = time.perf_counter()
        draft = infer(read_source(raw.read_bytes(), raw.name, not args.no_libraries), known, options, today)
        timings.append(time.perf_counter() - begin)

        found = {person_id(a) for a in draft.actors}
        expected = {person_id(str(a)) for a in truth["actors"]}
        extra, missed = actors.add(found, expected)
        for person in sorted(extra):
            kind = "registry" if person in registered else "new name"
            false_people.append(f"{raw.name}: {person} ({kind})")
        day, _ = parse_when(draft.date, config.tz)
        date_ok = day == true_day
        dates_right += date_ok
        found_days = {e.day for e in draft.events}
        expected_days = {dt.date.fromisoformat(str(e["date"])[:10]) for e in truth.get("events") or ()}
        wrong_days, missed_days = events.add(found_days, expected_days)
        for day_ in found_days & expected_days:  # who took part, on the days both list
            theirs = {person_id(a) for e in draft.events if e.day == day_ for a in e.actors}
            ours = {
                person_id(str(a))
                for e in truth["events"]
                if dt.date.fromisoformat(str(e["date"])[:10]) == day_
                for a in e.get("actors") or ()
            }
            event_people.add(theirs, ours)
        if "holdout" in stem:
            held_actors.add(found, expected)
            held_events.add(found_days, expected_days)
            held_dates += date_ok
            held_total += 1
        if args.verbose and (extra or missed or not date_ok or wrong_days or missed_days):
            print(f"{raw.name}:")
            if extra or missed:
                print(f"  actors: extra {sorted(extra)}, missed {sorted(missed)}")
            if not date_ok:
                print(f"  date: {day} instead of {true_day}")
            if wrong_days or missed_days:
                wrong, missed_text = sorted(map(str, wrong_days)), sorted(map(str, missed_days))
                print(f"  event days: wrong {wrong}, missed {missed_text}")

    mode = "registry and own rules only (--no-libraries)" if args.no_libraries else "with briefgen[import]"
    total = len(cases)
    texts, pages = kinds.get(".txt", 0), kinds.get(".html", 0)
    print(f"\nbriefgen import on {total} raw articles ({texts} text, {pages} HTML), {mode}")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| actors precision | {actors.precision:.3f} ({actors.tp}/{actors.tp + actors.fp}) |")
    print(f"| actors recall | {actors.recall:.3f} ({actors.tp}/{actors.tp + actors.fn}) |")
    print(f"| actors F1 | {actors.f1:.3f} |")
    print(f"| false people | {len(false_people)} |")
    print(f"| article dates right | {dates_right}/{total} |")
    print(f"| event dates precision | {events.precision:.3f} ({events.tp}/{events.tp + events.fp}) |")
    print(f"| event dates recall | {events.recall:.3f} ({events.tp}/{events.tp + events.fn}) |")
    shown = f"{event_people.precision:.3f} / {event_people.recall:.3f}"
    print(f"| people of those events, precision / recall | {shown} |")
    print(
        f"| held-out {held_total}: actors F1, article dates, event dates P/R | {held_actors.f1:.3f}, "
        f"{held_dates}/{held_total}, {held_events.precision:.2f}/{held_events.recall:.2f} |"
    )
    timings.sort()
    print(f"| time per article, median | {timings[len(timings) // 2] * 1000:.0f} ms |")
    print(f"| loading the libraries, once | {loading:.1f} s |")
    for line in false_people:
        print(f"false person: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
