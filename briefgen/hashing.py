"""The one content hash of a build: BLAKE2b in 16 bytes, of bytes, text, a value's repr, or a file.

Every digest the build keeps (file, front matter and body digests, body store keys, page and PDF
fingerprints, the cache stamp, the mention linker's digests, the name of the folder that keeps a
site's previous generation) comes from here. So do, at the end,
three hashes whose results live outside the build and so must never change between versions: the
fallback slugs (they are URLs), calendar event UIDs (calendar apps match events by them) and the
mail fingerprint and Message-ID (the delivery ledger holds them). They keep the algorithms they
were made with; they are not content hashes of the build. Nor are the two CRC-32s in between,
which name nothing: one tells a damaged cache file, the other spreads keys over pieces.
"""

from __future__ import annotations

import hashlib
import zlib
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


def path_key(path: str) -> str:
    """10 hex digits telling apart folders named by `path` (the previous generation of each site)."""
    return hashlib.blake2b(path.encode("utf-8"), digest_size=5).hexdigest()


# --- Checks, not digests: fast, and never used to name content ------------------------------------


def checksum(data: bytes | memoryview) -> int:
    """The CRC-32 of some bytes, to tell a damaged cache file (tens of megabytes in milliseconds)."""
    return zlib.crc32(data)


def spread(key: str, count: int) -> int:
    """Which of `count` pieces `key` goes in (the build state's parts, the scan's shares, the
    search index's shards): the same in every process and every run, unlike `hash`."""
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % count


# --- Hashes kept outside the build: never change what these return ------------------------------


def slug_hash(text: str) -> str:
    """8 hex digits naming text that has no ASCII slug (`秦刚` with no transliteration): SHA-1."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def uid_hash(data: bytes) -> str:
    """12 hex digits making a calendar event's UID unique: BLAKE2b in 6 bytes."""
    return hashlib.blake2b(data, digest_size=6).hexdigest()


def ledger_hasher() -> hashlib._Hash:
    """A running SHA-256, for the fingerprint of a digest email that the delivery ledger keeps."""
    return hashlib.sha256()


def ledger_hash(data: bytes) -> str:
    """SHA-256 in hex, for a Message-ID that stays the same for the same recipient and email."""
    return hashlib.sha256(data).hexdigest()
