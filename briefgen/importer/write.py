"""Render a draft as an article file and create it without ever replacing an existing file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..slugs import slugify
from .infer import Draft

# What YAML readers refuse anywhere in a stream, even inside quotes (and the line breaks a plain
# reader would not expect inside a quoted scalar): written as escapes instead.
STEM_ROOM = 75
UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029]")


def quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly `text`, whatever it contains."""
    return UNPRINTABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(text, ensure_ascii=False))


def comment(text: str) -> str:
    indent = text[: len(text) - len(text.lstrip(" "))]
    return "# " + indent + UNPRINTABLE.sub("?", " ".join(text.split())) if text.strip() else "#"


def render(draft: Draft, origin: str) -> str:
    lines = [
        "---",
        comment(f"Imported by `briefgen import` from {origin}. Review every field against the text,"),
        comment("then remove this comment and set draft: false. What was inferred, and from which words:"),
        *(comment("  " + line) for line in draft.review),
        f"title: {quote(draft.title)}",
        f"date: {draft.date}",
        f"lang: {quote(draft.lang)}",
        f"summary: {quote(draft.summary)}",
        f"actors: {_flow(draft.actors)}",
        f"topics: {_flow(draft.topics)}",
        f"places: {_flow(draft.places)}",
    ]
    if draft.events:
        lines.append("events:")
        for event in draft.events:
            lines.append(f"  - date: {event.day.isoformat()}")
            if event.id:
                lines.append(f"    id: {quote(event.id)}")
            lines.append(f"    title: {quote(event.title)}")
            lines.append(f"    actors: {_flow(event.actors)}")
            if event.places:
                lines.append(f"    places: {_flow(event.places)}")
    else:
        lines.append("events: []")
    if draft.source_name or draft.source_url:
        lines.append("source:")
        lines.append(f"  name: {quote(draft.source_name)}")
        if draft.source_url:
            lines.append(f"  url: {quote(draft.source_url)}")
        if draft.source_published:
            lines.append(f"  published: {draft.source_published.isoformat()}")
    lines.append(f"draft: {'true' if draft.draft else 'false'}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + draft.body


def write_draft(draft: Draft, content_dir: Path, origin: str) -> Path:
    """Create content/DATE-slug.md (DATE-slug-2.md, -3... if taken, here or as another article's
    name in a sub-folder) and return its path. The slug comes from `slugify`, so no title can
    reach outside the folder."""
    content_dir.mkdir(parents=True, exist_ok=True)
    taken = {p.stem for p in content_dir.rglob("*.md")}
    # An article's slug is its file name cut to 80 characters: keep room for a "-N" suffix.
    stem = slugify(f"{draft.day.isoformat()}-{draft.title}")
    if len(stem) > STEM_ROOM:
        stem = stem[:STEM_ROOM].rsplit("-", 1)[0]
    text = render(draft, origin)
    number = 1
    while True:
        name = stem if number == 1 else f"{stem}-{number}"
        path = content_dir / f"{name}.md"
        if name not in taken:
            try:
                with path.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
                return path
            except FileExistsError:
                pass
        number += 1


def _flow(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(quote(i) for i in items) + "]"
