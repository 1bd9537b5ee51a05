"""`briefgen digest --date YYYY-MM-DD`: write OUT/digests/DATE.pdf and print its path."""

from __future__ import annotations

import argparse

from ..config import SiteConfig
from ..digest import parse_day
from ..errors import DigestError
from ..pipeline import load
from .report import EXIT_OK, EXIT_USAGE, print_error, print_warning


def cmd_digest(config: SiteConfig, args: argparse.Namespace) -> int:
    """0 with the PDF written; 2 for a malformed date; DigestError for a day without articles."""
    from ..pdf import write_digest  # WeasyPrint loads only when a PDF is made

    try:
        day = parse_day(args.date)
    except DigestError as error:
        print_error(f"--date {error}")
        return EXIT_USAGE
    content, index, _ = load(config)
    for problem in content.warnings:
        print_warning(problem)
    if day not in index.days:
        raise DigestError(f"no articles on {day.isoformat()}: there is no digest for that day")
    path, _ = write_digest(config, index, day, warn=print_warning)
    print(path)
    return EXIT_OK
