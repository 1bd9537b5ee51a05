"""PDF digests: one day of the site as a printed document, made with WeasyPrint.

Each concern has its module: `fonts` (what fontconfig has, and advice when a font is missing),
`fetching` (what the renderer may read), `print_html` (the digest as HTML for print, and its theme
files), `rendering` (WeasyPrint under the digest's limits, in helper processes) and `fingerprint`
(when a day's PDF must be made again). The names below are what the rest of briefgen uses.
"""

from __future__ import annotations

from .fetching import FetchPolicy, Refused, fetch_policy
from .fingerprint import digest_fingerprint
from .fonts import check_fonts, font_advice
from .print_html import digest_html, stylesheet_text
from .rendering import NotMade, render_digest, render_digests, write_digest

__all__ = [
    "FetchPolicy",
    "NotMade",
    "Refused",
    "check_fonts",
    "digest_fingerprint",
    "digest_html",
    "fetch_policy",
    "font_advice",
    "render_digest",
    "render_digests",
    "stylesheet_text",
    "write_digest",
]
