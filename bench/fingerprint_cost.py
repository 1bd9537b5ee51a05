#!/usr/bin/env python3
"""What a rebuild's page fingerprints cost, and where: pages or the model objects they show.

    cd PROJECT && /path/to/briefgen/.venv/bin/python /path/to/briefgen/bench/fingerprint_cost.py

Run it in a project built before (it reads the parse cache, as a rebuild does). It loads the content
and plans the pages in this process, then takes every page's fingerprint twice, each time with a
new `Fingerprints` (nothing known): list pages first and then article pages, and the other way
round. Whichever group goes first makes the digests of the articles and events they show; the
second group finds them made. It then times making the text those digests hash (`repr`) and the
hash itself, over every value digested once more, and `pickle` of the same values for comparison.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time
from pathlib import Path

from briefgen.config import load_config
from briefgen.content.load import load_content
from briefgen.engine import fingerprint
from briefgen.engine.cache import Cache
from briefgen.engine.fingerprint import Fingerprints
from briefgen.markdown import Bodies
from briefgen.mentions import site_linker
from briefgen.pipeline import plan
from briefgen.render import make_environment


def main() -> int:
    config = load_config(Path.cwd())
    parsed = Cache(config).parsed()
    if not parsed:
        print("no parse cache here: build the project first", file=sys.stderr)
        return 1
    content = load_content(config, parsed, jobs=1, trusted=frozenset(parsed))
    index, specs = plan(config, content)
    bodies = Bodies(None, site_linker(config, index))
    env = make_environment(config, index, bodies)

    articles = [spec for spec in specs if spec.own_article is not None]
    lists = [spec for spec in specs if spec.own_article is None]
    groups = {"list pages": lists, "article pages": articles}
    for order in (["list pages", "article pages"], ["article pages", "list pages"]):
        prints = Fingerprints(env, index, bodies.salt)
        for name in {spec.template for spec in specs}:
            prints.template_key(name)
        for label in order:
            group = groups[label]
            started = time.perf_counter()
            for spec in group:
                prints.page(spec)
            print(f"{label:<14} {len(group):>7,} pages  {time.perf_counter() - started:6.2f} s")
        print(f"{'':<14} {len(prints.memo):>7,} model objects digested")

    values: list[tuple[object, ...]] = []
    digest = fingerprint.value_digest

    def kept(*parts: object) -> bytes:
        values.append(parts)
        return digest(*parts)

    fingerprint.value_digest = kept  # type: ignore[assignment]
    prints = Fingerprints(env, index, bodies.salt)
    for spec in specs:
        prints.page(spec)
    fingerprint.value_digest = digest
    started = time.perf_counter()
    for parts in values:
        hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()
    print(f"repr then BLAKE2b of the {len(values):,} values digested: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    for parts in values:
        pickle.dumps(parts, 5)
    print(f"pickle of the same values (no hash): {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
