"""Large mappings kept as marshalled pieces, so that a rebuild that touches a few entries decodes
and encodes only their pieces.

At 100,000 articles the build state holds three mappings of some 100,000 entries each (the inputs'
times and sizes, the article records, the page fingerprints), and a body edit reads one entry of
two of them. Decoding them whole and encoding them again took 0.3 s of a one-second rebuild.
- `Runs` holds a mapping as runs of consecutive entries, in the order it was made: two scans of
  folders where nothing was added or removed list the files in the same order, so their runs are
  the same bytes but where a file changed. The inputs are compared that way, run by run.
- `Parts` holds a mapping in parts, each key in the part its hash names: one entry is found, or
  replaced, by decoding and encoding its part alone. The article records are kept that way.
"""

from __future__ import annotations

import itertools
import marshal
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from ..hashing import spread

COUNT = 64  # parts per mapping: a part is about 1,500 entries at 100,000 articles
RUN = 2048  # entries per run
VERSION = 2  # marshal's format without back-references: equal parts are equal bytes, in any process

V = TypeVar("V")
_EMPTY = marshal.dumps({}, VERSION)


def part_of(key: str) -> int:
    return spread(key, COUNT)


class Parts(Mapping[str, V], Generic[V]):
    """A read-only mapping held as `COUNT` marshalled dicts (`blobs`); a part is decoded when first used.

    Two Parts made from mappings with the same entries in the same order have the same blobs.
    """

    __slots__ = ("_decoded", "blobs")

    def __init__(
        self, blobs: tuple[bytes, ...] | list[bytes], decoded: list[dict[str, V] | None] | None = None
    ) -> None:
        if len(blobs) != COUNT or not all(isinstance(blob, bytes) for blob in blobs):
            raise ValueError("not a mapping in parts")
        self.blobs: tuple[bytes, ...] = tuple(blobs)
        self._decoded: list[dict[str, V] | None] = list(decoded) if decoded is not None else [None] * COUNT

    @classmethod
    def of(cls, mapping: Mapping[str, V]) -> Parts[V]:
        if isinstance(mapping, Parts):
            return mapping
        split: list[dict[str, V]] = [{} for _ in range(COUNT)]
        for key, value in mapping.items():
            split[part_of(key)][key] = value
        return cls([marshal.dumps(part, VERSION) for part in split], list(split))

    @classmethod
    def empty(cls) -> Parts[Any]:
        return cls.of({})

    def part(self, number: int) -> dict[str, V]:
        found = self._decoded[number]
        if found is None:
            found = marshal.loads(self.blobs[number])
            if not isinstance(found, dict):
                raise ValueError("not a mapping in parts")
            self._decoded[number] = found
        return found

    def updated(self, changes: Mapping[str, V]) -> Parts[V]:
        """These entries with `changes` replacing or adding theirs; untouched parts keep their bytes."""
        touched: dict[int, dict[str, V]] = {}
        for key, value in changes.items():
            touched.setdefault(part_of(key), {})[key] = value
        blobs = list(self.blobs)
        decoded = list(self._decoded)
        for number, entries in touched.items():
            merged = self.part(number) | entries
            blobs[number] = marshal.dumps(merged, VERSION)
            decoded[number] = merged
        return Parts(blobs, decoded)

    def __getitem__(self, key: str) -> V:
        return self.part(part_of(key))[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.part(part_of(key))

    def __iter__(self) -> Iterator[str]:
        for number in range(COUNT):
            yield from self.part(number)

    def __len__(self) -> int:
        return sum(len(self.part(number)) for number in range(COUNT))

    def __bool__(self) -> bool:  # without decoding: only an empty part is that short
        return any(len(blob) > len(_EMPTY) for blob in self.blobs)

    def __repr__(self) -> str:
        return f"Parts({dict(self.items())!r})"


Run = tuple[int, bytes]  # how many entries, and the marshalled dict of them


class Runs(Mapping[str, V], Generic[V]):
    """A read-only mapping held as marshalled runs of at most `RUN` consecutive entries (`runs`),
    in the order it was made; decoded whole when first read (but for its length)."""

    __slots__ = ("_whole", "runs")

    def __init__(self, runs: tuple[Run, ...] | list[Run], whole: dict[str, V] | None = None) -> None:
        if not all(isinstance(n, int) and isinstance(blob, bytes) for n, blob in runs):
            raise ValueError("not a mapping in runs")
        self.runs: tuple[Run, ...] = tuple(runs)
        self._whole = whole

    @classmethod
    def of(cls, mapping: Mapping[str, V]) -> Runs[V]:
        """`mapping` in runs; it is kept to be read from, and must not change after."""
        if isinstance(mapping, Runs):
            return mapping
        items = list(mapping.items())
        runs = [dict(items[start : start + RUN]) for start in range(0, len(items), RUN)]
        made = [(len(run), marshal.dumps(run, VERSION)) for run in runs]
        return cls(made, mapping if isinstance(mapping, dict) else None)

    def whole(self) -> dict[str, V]:
        if self._whole is None:
            whole: dict[str, V] = {}
            for _, blob in self.runs:
                whole.update(_decoded(blob))
            self._whole = whole
        return self._whole

    def __getitem__(self, key: str) -> V:
        return self.whole()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.whole()

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole())

    def __len__(self) -> int:
        return sum(n for n, _ in self.runs)

    def __repr__(self) -> str:
        return f"Runs({self.whole()!r})"


def _decoded(blob: bytes) -> dict[str, Any]:
    found = marshal.loads(blob)
    if not isinstance(found, dict):
        raise ValueError("not a mapping in runs")
    return found


def _differing_runs(old: Runs[V], new: Runs[V]) -> tuple[dict[str, V], dict[str, V]]:
    """The entries of the runs that differ, old and new. A key of one is, if the other has it at
    all, in the other's: in a run the two share as bytes, each would hold it twice."""
    olds: dict[str, V] = {}
    news: dict[str, V] = {}
    for before, now in itertools.zip_longest(old.runs, new.runs, fillvalue=None):
        if before != now:
            olds.update(_decoded(before[1]) if before else {})
            news.update(_decoded(now[1]) if now else {})
    return olds, news


def same_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether the two mappings have the same keys; of two Runs, only the runs that differ are read."""
    if isinstance(old, Runs) and isinstance(new, Runs):
        olds, news = _differing_runs(old, new)
        return olds.keys() == news.keys()
    return old.keys() == new.keys()


def differing_entries(old: Mapping[str, V], new: Mapping[str, V]) -> tuple[Mapping[str, V], Mapping[str, V]]:
    """The (old, new) entries among which any that differ are: of two Runs, those of the runs
    whose bytes differ; otherwise the two mappings themselves."""
    if isinstance(old, Runs) and isinstance(new, Runs):
        return _differing_runs(old, new)
    return old, new
