"""Every file a build reads, with its size and time: what the engine compares with the last build."""

from __future__ import annotations

from ..config import CONFIG_FILE, SiteConfig
from ..files import file_policy
from ..theme import template_dirs
from .cache import Stat, scan


def inputs_of(config: SiteConfig, share: tuple[int, int] = (0, 1)) -> dict[str, Stat]:
    """Content, templates (the site's and the shipped theme), static, config; with `share`
    (number, of how many), only that share of them (see cache.scan)."""
    folders = [config.content_dir, *template_dirs(config), config.static_dir]
    return scan(folders, [config.root / CONFIG_FILE], file_policy(config), share)
