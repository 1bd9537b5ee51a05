"""The incremental engine: what the last build saw and made, so that the next redoes only what changed.

One interface, `Engine` (rebuild.py), tells a build what to redo and records what it did; the
build's stages (pipeline.py) do not know it exists. Beneath it: the cache files in .briefgen/
(cache.py: the inputs seen, the parse cache, the body store, the last build's state), page
fingerprints (fingerprint.py), body splicing (splice.py) and the PDF digests' bookkeeping
(digests.py).
"""
