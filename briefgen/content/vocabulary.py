"""The topics and places vocabulary (content/topics, content/places) read into Vocable
records, and the Vocabulary that resolves a term as an article writes it to one of them."""

from __future__ import annotations

import datetime as dt
import difflib
import zoneinfo
from collections.abc import Iterable
from pathlib import Path

from ..config import SiteConfig
from ..errors import ContentError
from ..files import Files
from ..model import Term, Vocable, Zone
from ..slugs import fold, slugify
from ..typography import typeset
from ..yamlnodes import DEFAULT_LIMITS, Scalar, YamlLimits, parse_yaml
from .fields import Fields, Report, given, is_yaml, read_text

VOCABULARY_DIRS = ("topics", "places")  # content/<kind>/*.yaml, each optional

VOCABLE_KEYS = {
    "topics": ("name", "aliases"),
    "places": ("name", "aliases", "country", "coordinates", "timezone"),
}


def vocable_keys(entry: Vocable) -> set[str]:
    """What a topic or place may be written as to name `entry` (id, names, aliases), folded."""
    return {fold(key) for key in (entry.id, *(name for _, name in entry.names), *entry.aliases)}


class Vocabulary:
    """Resolves a topic or place as written (id, a name in any language, alias; any case, any
    accents) to its vocabulary entry, the way Registry resolves people."""

    def __init__(self, kind: str, entries: Iterable[Vocable], language: str) -> None:
        self.kind = kind
        self.entries: dict[str, Vocable] = {}
        self.keys: dict[str, set[str]] = {}
        self.labels: dict[str, str] = {}
        for entry in entries:
            self.entries[entry.id] = entry
            self.labels[entry.id] = typeset(entry.name_in(language), language)
            for key in vocable_keys(entry):
                self.keys.setdefault(key, set()).add(entry.id)

    def resolve(self, written: Scalar, lang: str, path: Path, label: str, report: Report) -> Term:
        name = " ".join(written.text.split())
        ids = self.keys.get(fold(name))
        if ids is None and slugify(name) in self.entries:
            ids = {slugify(name)}
        if ids:
            if len(ids) > 1:
                candidates = ", ".join(sorted(ids))
                report.problems.append(
                    ContentError(
                        path,
                        written.line,
                        f"{label}: '{name}' could be several {self.kind}: {candidates}; write the id",
                    )
                )
            found = sorted(ids)[0]
            return Term(found, self.labels[found])
        if self.entries:  # a site without this vocabulary spells its terms freely
            names = sorted({n for e in self.entries.values() for _, n in e.names} | {*self.keys})
            close = difflib.get_close_matches(fold(name), [fold(n) for n in names], n=1, cutoff=0.75)
            shown = next((n for n in names if close and fold(n) == close[0]), "")
            hint = (
                f"; did you mean '{shown}'?"
                if shown
                else f"; add {self.kind}/{slugify(name)}.yaml to describe it"
            )
            report.warnings.append(
                ContentError(path, written.line, f"{label}: unknown {self.kind[:-1]} '{name}'{hint}")
            )
        return Term(slugify(name), typeset(name, lang))

    def zone(self, places: tuple[Term, ...], moment: dt.datetime | None, site: str) -> Zone:
        """The zone a time was written in: that of one of its places if it has the same offset
        then, else the site's if it has, else unknown (only the offset is shown)."""
        if moment is None:
            return Zone()
        for term in places:
            entry = self.entries.get(term.slug)
            if entry is not None and entry.timezone and _offset(entry.timezone, moment) == moment.utcoffset():
                return Zone(entry.timezone, self.labels[term.slug])
        return Zone(site) if _offset(site, moment) == moment.utcoffset() else Zone()


def _offset(zone: str, moment: dt.datetime) -> dt.timedelta | None:
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OverflowError):
        return None


def load_vocabulary(
    kind: str, folder: Path, config: SiteConfig, files: Files, report: Report
) -> list[Vocable]:
    """content/topics/*.yaml or content/places/*.yaml; the file name is the id."""
    problems = report.problems
    listing = files.listing(folder, lambda parts: False, is_yaml)
    report.warnings.extend(listing.skipped)
    problems.extend(listing.errors)
    entries = []
    for path in listing.files:
        fields = Fields(path)
        try:
            entry = parse_vocable(kind, path, read_text(path, files), fields, config.limits.yaml)
        except ContentError as error:
            problems.append(error)
            continue
        problems.extend(fields.problems)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_vocable(
    kind: str, path: Path, text: str, fields: Fields, limits: YamlLimits = DEFAULT_LIMITS
) -> Vocable | None:
    node = parse_yaml(text, path, limits=limits)
    if node is None:
        fields.error(1, f"empty {kind[:-1]} file: at least 'name' is required")
        return None
    root = fields.mapping(node, f"a {kind[:-1]} file")
    if root is None:
        return None
    fields.keys(root, VOCABLE_KEYS[kind])
    names = fields.localized(root, "name", "")
    coordinates = None
    found = given(root, "coordinates")
    if found is not None:
        items = fields.texts(root, "coordinates")
        try:
            lat, lon = (float(item.text) for item in items)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            coordinates = (lat, lon)
        except ValueError:
            fields.error(
                found.line, "coordinates must be [latitude, longitude] in degrees, such as [39.9, 116.4]"
            )
    timezone = fields.text(root, "timezone") or ""
    if timezone and _offset(timezone, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) is None:
        zone = root.get("timezone")
        fields.error(
            zone.line if zone else root.line,
            f"timezone: unknown timezone '{timezone}'; use an IANA name such as 'Asia/Shanghai'",
        )
    if names is None:
        return None
    return Vocable(
        kind=kind,
        id=slugify(path.stem),
        names=names,
        aliases=tuple(a.text.strip() for a in fields.texts(root, "aliases")),
        country=fields.text(root, "country") or "",
        coordinates=coordinates,
        timezone=timezone,
        path=path,
        line=root.line,
    )
