"""Python's cyclic garbage collector, paused while a build makes millions of objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """The collector off (or, with pause=False, on) for the duration.

    A build makes millions of objects (nodes, articles, pages), hardly any of them in reference
    cycles, and every full collection walks all of them: that was a sixth of a cold build at
    10,000 articles, for no memory saved. Helpers forked meanwhile inherit the pause. PDFs are
    made with the collector on (WeasyPrint's layout makes cycles).

    Turning it back on makes its next pass examine everything the build made (0.3 s at 10,000
    articles); that pass is what frees the last build's cycles (a Jinja environment holds one,
    and with it the whole index) in the preview server, which builds again and again. The
    `briefgen build` command, which exits right after, runs with the collector off throughout.
    """
    was = gc.isenabled()
    if pause:
        gc.disable()
    else:
        gc.enable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
