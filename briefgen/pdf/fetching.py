"""What the PDF renderer may fetch: the policy (files under the project's content, static and
theme folders, data: URLs, the network only if `digest.allow_network`), and the WeasyPrint URL
fetcher that enforces it and remembers every refusal, so that each becomes a warning.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..config import SiteConfig
from ..theme import template_dirs


class Refused(Exception):
    """A resource the digest may not read, with the reason shown to the user."""


def has_scheme(url: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) is not None


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Which URLs a digest may read: files under `roots`, data: URLs, and the network if allowed."""

    roots: tuple[Path, ...]
    allow_network: bool = False

    def local_path(self, url: str) -> Path | None:
        """The file a URL names if it may be read; None for a network URL that is allowed.

        Raises Refused for everything else, with the reason.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if self.allow_network:
                return None
            raise Refused("network access is off for digests (set digest.allow_network: true to allow it)")
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            raise Refused(f"'{scheme}:' addresses are not read")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise Refused("outside the project: only the content folder and the theme's files are read")
        if not path.is_file():
            raise Refused("file not found")
        return path


def fetch_policy(config: SiteConfig) -> FetchPolicy:
    """The policy of a site: its content and static folders and the theme's, the network if allowed."""
    folders = [config.content_dir, config.static_dir]
    for theme in template_dirs(config):
        folders += [theme / "static", theme / "digest"]
    return FetchPolicy(tuple(dict.fromkeys(f.resolve() for f in folders)), config.digest.allow_network)


@functools.cache
def fetcher_class() -> type:
    """A WeasyPrint URLFetcher that follows a FetchPolicy and remembers every refusal."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PolicyFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, policy: FetchPolicy) -> None:
            super().__init__(timeout=10)
            self.policy = policy
            self.failures: list[tuple[str, str]] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                path = self.policy.local_path(url)
                if path is None:
                    return super().fetch(url, headers)
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            except Refused as refusal:
                self.failures.append((url, str(refusal)))
                raise
            except Exception as error:
                self.failures.append((url, f"{type(error).__name__}: {error}"))
                raise

    return PolicyFetcher
