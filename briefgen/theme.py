"""Where templates and theme files come from: the site's own templates/ over the shipped theme.

Kept apart from render.py so that a rebuild with nothing to render never loads Jinja or Babel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .config import SiteConfig
from .errors import BuildError, ContentError, Problem
from .files import Files, file_policy, walk


def shipped_templates() -> Path:
    """The default theme: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise BuildError("the default theme is missing: reinstall briefgen")  # pragma: no cover


def template_dirs(config: SiteConfig, files: Files | None = None) -> list[Path]:
    """The site's templates/ first (overrides by name), then the shipped theme."""
    dirs = []
    own = config.templates_dir
    if files.is_dir(own) if files is not None else own.is_dir():
        dirs.append(own)
    shipped = shipped_templates()
    if not dirs or dirs[0].resolve() != shipped:
        dirs.append(shipped)
    return dirs


def template_sources(config: SiteConfig) -> Iterator[str]:
    """The text of every template a build may use (the site's and the shipped theme's)."""
    for folder in template_dirs(config):
        for path in sorted(folder.rglob("*.html")):
            yield path.read_text("utf-8", errors="replace")


def template_problems(config: SiteConfig) -> list[Problem]:
    """Files of the site's templates/ that must not be opened: pipes, devices, links out of the project.

    They are errors rather than warnings: the template loader opens a template by name, so one
    that cannot be read safely must stop the build before anything renders.
    """
    listing = walk(config.templates_dir, file_policy(config), lambda parts: not parts[-1].startswith("."))
    return [
        *listing.errors,
        *(ContentError(p.path, p.line, p.message.replace("skipped: ", "", 1)) for p in listing.skipped),
    ]
