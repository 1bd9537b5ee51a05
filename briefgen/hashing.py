"""The one content hash of a build: BLAKE2b in 16 bytes, of bytes, text, a value's repr, or a file.

Every digest the build keeps (file, front matter and body digests, body store keys, page and PDF
fingerprints, the cache stamp, the mention linker's digests) comes from here. Two hashes stay
elsewhere on purpose, because what they make is kept outside the build and must not change between
versions: the fallback slugs of slugs.py (they are URLs) and the mail fingerprint and Message-ID of
mail.py (the delivery ledger).
"""

from __future__ import annotations

import hashlib
from io import BufferedReader

SIZE = 16  # bytes: the cache and the output manifest hold these digests as 32 hex digits


def hasher() -> hashlib.blake2b:
    """A running hash, for digests built from many parts."""
    return hashlib.blake2b(digest_size=SIZE)


def content_hash(data: bytes | str) -> str:
    """The hash of some bytes (text as UTF-8), in hex."""
    return hashlib.blake2b(data.encode() if isinstance(data, str) else data, digest_size=SIZE).hexdigest()


def value_digest(*parts: object) -> bytes:
    """The hash of values whose repr shows all of them (text, numbers, dates, tuples of those)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=SIZE).digest()


def file_hash(handle: BufferedReader) -> str:
    """The hash of an open file's bytes, in hex, read in blocks."""
    return hashlib.file_digest(handle, hasher).hexdigest()
