"""The quick paths: a rebuild with nothing to do, and one that splices edited bodies into their pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import SiteConfig
from ..errors import ContentError
from ..files import project_files
from ..frontmatter import split_raw
from ..hashing import content_hash
from ..manifest import WrittenFile
from ..writer import Writer, intact, previous_generation, read_manifest
from .cache import ArticleRecord, BuildState, Cache, Stats, edited
from .parts import same_keys

if TYPE_CHECKING:
    from ..mentions import Linker


@dataclass(frozen=True, slots=True)
class Quick:
    """A rebuild finished without the pipeline: what the engine knows now, and what it wrote."""

    state: BuildState
    changed: tuple[str, ...]  # output paths written
    rendered: int


def quick(config: SiteConfig, cache: Cache, state: BuildState, scanned: Callable[[], Stats]) -> Quick | None:
    """Nothing changed (and the output is intact), or only article bodies did; None otherwise.

    `scanned()` gives the inputs as they are now: their scan may still be running in a helper
    (see Engine), so the manifest is read first.
    """
    out = config.output_dir
    manifest = read_manifest(out)
    if not manifest or not state.pages:
        return None
    inputs = scanned()
    if not same_keys(state.inputs, inputs):
        return None  # a file was added or removed
    changed = edited(state.inputs, inputs)
    if not changed:
        return Quick(state, (), 0) if intact(out, manifest) else None
    if any(path not in state.articles for path in changed):
        return None  # something other than an article changed
    return splice_bodies(config, cache, state, inputs, manifest, changed)


def load_splicing() -> None:
    """Load the modules a body splice uses (Python-Markdown among them): done by the engine while
    the scan of the inputs runs in a helper, when the second core would otherwise wait."""
    from .. import links, markdown, mentions, urls  # noqa: F401


def splice_bodies(
    config: SiteConfig,
    cache: Cache,
    state: BuildState,
    inputs: Stats,
    manifest: dict[str, WrittenFile],
    changed: list[str],
) -> Quick | None:
    """Articles whose front matter is byte for byte the same: only their own pages change.

    Nothing but an article's page shows its body, and the page was found at the last build to
    hold the rendered body exactly once; so the new page is the old one with the body replaced.
    Anything unexpected (a changed front matter, a page edited by hand, a dead link in the new
    body) returns None, and the full build takes over and reports it properly.
    """
    from .. import urls  # the site's model and Python-Markdown load only when a body is spliced
    from ..links import LinkChecker
    from ..markdown import body_key, markdown_to_html
    from ..mentions import STORE_KEY

    out = config.output_dir
    store = cache.bodies()
    linker = _stored_linker(store.get(STORE_KEY))
    if linker is None and config.mentions != "off":
        store.close()
        return None
    pages: dict[str, bytes] = {}
    records: dict[str, ArticleRecord] = {}  # the edited articles'
    fresh: list[tuple[str, str]] = []
    files = project_files(config)
    checker = LinkChecker(  # new bodies come out of the sanitizer
        set(manifest), plain=True, root=urls.base_path(config.base_url)
    )
    try:
        for path in changed:
            record = state.articles[path]
            # a file grown past the size limit (or swapped for a pipe) goes to the full build
            front, body = split_raw(files.read(Path(path)).decode("utf-8"))
            if not record.spliceable or content_hash(front.encode()) != record.front:
                return None
            page_bytes = (out / record.output).read_bytes()
            if content_hash(page_bytes) != manifest[record.output][0]:
                return None
            key = body_key(content_hash(body), record.lang, linker.salt if linker else "")
            old_html = store.get(record.body)
            stored = store.get(key)
            new_html = stored or _finished(linker, markdown_to_html(body, record.lang))
            page = page_bytes.decode("utf-8")
            if not old_html or page.count(old_html) != 1 or checker.dead(record.output, new_html):
                return None
            new_page = page.replace(old_html, new_html)
            pages[record.output] = new_page.encode("utf-8")
            if stored is None:
                fresh.append((key, new_html))
            spliceable = bool(new_html) and new_page.count(new_html) == 1
            records[path] = replace(record, body=key, spliceable=spliceable)
        # before the swap, whose writes the store's commit would otherwise wait for; a body
        # stored for a page that is then not swapped in is only an unused entry
        store.put_many(fresh)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, ContentError):
        return None
    finally:
        store.close()
    writer = swap_in(out, pages, cache, manifest)
    # the edited articles' digests are now out of date: a build that renders PDFs must look again
    pending = state.digests_pending or config.digest.enabled
    state = replace(
        state,
        inputs=inputs,
        articles=state.articles.updated(records),
        digests_pending=pending,
        parse_stale=state.parse_stale | frozenset(changed),
    )
    cache.save(state, None)
    return Quick(state, tuple(writer.changed), len(pages))


def swap_in(
    out: Path, files: dict[str, bytes], cache: Cache, previous: dict[str, WrittenFile] | None = None
) -> Writer:
    """Swap in a few files, leaving the rest of the output as it is; the build state is forgotten
    first, so a crash in between makes the next build look again instead of trusting it."""
    writer = Writer(out, partial=True, previous=previous, generations=previous_generation(cache.folder, out))
    try:
        for output, data in files.items():
            writer.add(output, data)
        cache.forget_state()
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return writer


def _stored_linker(text: str | None) -> Linker | None:
    """The mentions linker the last full build stored with the bodies (None if none or off)."""
    from ..mentions import Linker

    if text is None:
        return None
    linker = Linker.from_text(text)
    return linker if linker.salt else None


def _finished(linker: Linker | None, html: str) -> str:
    return linker(html) if linker is not None else html
