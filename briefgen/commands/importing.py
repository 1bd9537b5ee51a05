"""The `briefgen import` command: read each source, infer its front matter, write a new draft."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path

from ..config import LANG_RE, SiteConfig
from ..content.fields import DATE_HINT, parse_when
from ..errors import ContentError
from ..importer import engines
from ..importer.infer import Options, infer
from ..importer.read import read_source
from ..importer.vocabulary import load_known
from ..importer.write import write_draft
from .report import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, print_error


def run_import(config: SiteConfig, args: argparse.Namespace) -> int:
    """0 when every source became a draft, 1 when one could not, 2 for bad usage."""
    usage = _usage_error(args, config)
    if usage:
        print_error(usage)
        return EXIT_USAGE
    options = Options(
        lang=args.lang,
        date=args.date,
        source_name=args.source_name,
        source_url=args.source_url,
        draft=args.draft,
    )
    known = load_known(config)
    for problem in known.problems:
        print(f"{problem.format()}: warning: this person is left out of matching", file=sys.stderr)
    missing = engines.missing()
    if missing:
        print(
            "briefgen: warning: not installed: " + ", ".join(missing) + "; import uses the registry "
            "alone for what they would infer (pip install 'briefgen[import]')",
            file=sys.stderr,
        )
    failed = 0
    today = dt.datetime.now(config.tz).date()
    for name in args.sources:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            source = read_source(data, "<stdin>" if name == "-" else name)
            draft = infer(source, known, options, today)
            path = write_draft(
                draft, config.content_dir, "standard input" if name == "-" else Path(name).name
            )
        except ContentError as error:
            print(error.format(), file=sys.stderr)
            failed += 1
            continue
        except OSError as error:
            print_error(f"{name}: {error.strerror or error}")
            failed += 1
            continue
        print(_shown(path))
        unknown = f" ({len(draft.new_people)} not in the registry)" if draft.new_people else ""
        kind = "draft" if draft.draft else "article"
        people = f"{len(draft.actors)} actor{'s' if len(draft.actors) != 1 else ''}{unknown}"
        events = f"{len(draft.events)} event{'s' if len(draft.events) != 1 else ''}"
        print(
            f"{_shown(path)}: {kind} with {people}, {events}; review the comment at its top", file=sys.stderr
        )
    return EXIT_PROBLEMS if failed else EXIT_OK


def _usage_error(args: argparse.Namespace, config: SiteConfig) -> str:
    if args.date:
        try:
            parse_when(args.date, config.tz)
        except ValueError:
            return f"--date '{args.date}' is not a valid date; {DATE_HINT}"
    if args.lang and not LANG_RE.match(args.lang):
        return f"--lang '{args.lang}' is not a language tag such as fr or en"
    if args.source_url and not re.match(r"^https?://\S+$", args.source_url):
        return f"--source-url '{args.source_url}' must be an http:// or https:// address"
    if args.sources.count("-") > 1:
        return "standard input (-) can be read only once"
    return ""


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative
