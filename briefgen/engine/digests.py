"""Which PDF digests are out of date, and digests made apart from a build (the preview's pass).

A digest's fingerprint is computed by `pdf.digest_fingerprint`, beside the code that knows what a
PDF shows; this module decides with it and records what was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from .. import urls
from ..collector import collector_paused
from ..config import SiteConfig
from ..content.load import load_content
from ..hashing import value_digest
from ..index import SiteIndex, build_index
from ..manifest import WrittenFile
from ..parallel import worker_count
from ..writer import read_manifest, unchanged
from .cache import Cache, Stats, edited
from .scan import inputs_of
from .splice import swap_in


def stale_digests(
    config: SiteConfig,
    index: SiteIndex,
    inputs: Stats,
    made: dict[str, str],
    out: Path,
    manifest: dict[str, WrittenFile],
    pdf_days: dict[str, dt.date],
) -> tuple[dict[str, str], list[str]]:
    """The fingerprint of every day's digest, and the digests to make again: those whose
    fingerprint differs from the one they were `made` with, or whose file is not as written."""
    from .. import pdf

    assets = value_digest(
        sorted((p, s) for p, s in inputs.items() if not p.endswith((".md", ".yaml", ".yml")))
    )
    prints = {
        output: pdf.digest_fingerprint(config, index, day, assets=assets) for output, day in pdf_days.items()
    }
    todo = []
    for output in pdf_days:
        entry = manifest.get(output)
        if not (made.get(output) == prints[output] and entry and unchanged(out, manifest, output, entry[0])):
            todo.append(output)
    return prints, todo


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What a digest pass needs: the index, the fingerprint of each day's digest, the digests to
    make, and the inputs as scanned before they were read (to tell, later, what changed since)."""

    index: SiteIndex
    days: dict[str, dt.date]  # digest output path -> day
    prints: dict[str, str]
    todo: list[str]
    inputs: Stats


def plan_digests(config: SiteConfig) -> DigestPlan | None:
    """The digests that are out of date, after a build made with `digests=False`; None when the
    output folder or the cache holds no such build (then a build, not a pass, is needed)."""
    cache = Cache(config)
    state = cache.state()
    manifest = read_manifest(config.output_dir)
    if state is None or not manifest or not config.digest.enabled:
        return None
    inputs = inputs_of(config)
    parsed = cache.parsed()
    unchanged_files = inputs.keys() - set(edited(state.inputs, inputs)) - state.parse_stale
    trusted = frozenset(p for p in unchanged_files if not state.inputs[p][2]) if parsed else frozenset()
    with collector_paused():
        content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted)
        index = build_index(content, 0, worker_count(config))  # digests show no related articles
        days = {urls.digest_url(day): day for day in index.days}
        prints, todo = stale_digests(config, index, inputs, state.digests, config.output_dir, manifest, days)
    return DigestPlan(index, days, prints, todo, inputs)


def commit_digests(config: SiteConfig, plan: DigestPlan, made: dict[str, bytes]) -> list[str]:
    """Put digests made by a pass into the output folder and the cache; the paths written.

    A build may have run since the pass planned: a digest is put in place only if the files of its
    day's articles are still as the pass read them (otherwise a newer pass makes it again), and
    only if the cache still describes the same settings. Its fingerprint is the one the pass
    computed, so a digest made from inputs changed since is found stale and made again.
    """
    cache = Cache(config)
    state = cache.state()
    if state is None or not made:
        return []
    now = inputs_of(config)
    fresh = {
        output: data
        for output, data in made.items()
        if all(
            now.get(str(a.path), (0, 0))[:2] == plan.inputs.get(str(a.path), (-1, -1))[:2]
            for a in (plan.index.articles[slug] for slug in plan.index.days.get(plan.days[output], ()))
        )
    }
    if not fresh:
        return []
    writer = swap_in(config.output_dir, fresh, cache)
    prints = {**state.digests, **{output: plan.prints[output] for output in fresh}}
    cache.save(replace(state, digests=prints), None)
    return sorted(writer.changed)
