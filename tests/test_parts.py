"""The build state's large mappings, kept in pieces: a rebuild that touches one entry reads and
writes only its piece, and never answers differently from the whole mapping."""

from __future__ import annotations

import marshal
import random

from briefgen.engine.cache import edited, scan
from briefgen.engine.parts import RUN, Parts, Runs, same_keys


def stats(count: int, seed: int = 1) -> dict[str, tuple[int, int, str]]:
    rng = random.Random(seed)
    return {
        f"/site/content/{n:06d}-{rng.random():.6f}.md": (10**18 + n, rng.randrange(9000), "")
        for n in range(count)
    }


def test_runs_of_the_same_scan_are_the_same_bytes_and_only_an_edited_run_differs():
    before = stats(3 * RUN + 5)
    after = dict(before)
    edited_path = list(before)[RUN + 7]
    after[edited_path] = (before[edited_path][0] + 1, before[edited_path][1], "")
    old, new = Runs.of(before), Runs.of(after)
    assert Runs.of(dict(before)).runs == old.runs  # made again from equal values: equal bytes
    assert [o == n for o, n in zip(old.runs, new.runs, strict=True)] == [True, False, True, True]
    # read back as a state is, the runs alone find the one edit, and the keys are the same
    assert edited(Runs(old.runs), Runs(new.runs)) == [edited_path]
    assert same_keys(Runs(old.runs), Runs(new.runs))
    assert dict(Runs(new.runs)) == after and len(Runs(new.runs)) == len(after)


def test_an_added_or_removed_file_is_seen_whatever_runs_it_shifts():
    before = stats(2 * RUN + 10)
    added = {**before, "/site/content/new.md": (1, 2, "")}
    removed = dict(list(before.items())[1:])
    assert not same_keys(Runs(Runs.of(before).runs), Runs(Runs.of(added).runs))
    assert not same_keys(Runs(Runs.of(before).runs), Runs(Runs.of(removed).runs))
    assert edited(Runs.of(before), Runs.of(added)) == ["/site/content/new.md"]


def test_a_file_saved_twice_in_one_tick_is_told_by_its_digest(tmp_path):
    file = tmp_path / "a.md"
    file.write_text("one", "utf-8")
    path = str(file)
    old = Runs.of({path: (5, 3, "digest of the first text")})  # racy at the last scan: digested
    assert edited(old, Runs.of({path: (5, 3, "")})) == [path]  # the same time and size, other bytes
    from briefgen.hashing import file_hash

    with file.open("rb") as handle:
        digest = file_hash(handle)
    assert edited(Runs.of({path: (5, 3, digest)}), Runs.of({path: (5, 3, "")})) == []


def test_parts_find_and_replace_one_entry_and_keep_the_other_parts_bytes():
    rows = {key: (value[1], "fr") for key, value in stats(5000).items()}
    parts = Parts(Parts.of(rows).blobs)  # as read back from the state
    key = next(iter(rows))
    assert parts[key] == rows[key] and key in parts
    assert sum(part is not None for part in parts._decoded) == 1  # only the part holding it was read
    assert "/nowhere.md" not in parts
    updated = parts.updated({key: (1, "en")})
    assert updated[key] == (1, "en") and dict(updated) == {**rows, key: (1, "en")}
    assert sum(a != b for a, b in zip(parts.blobs, updated.blobs, strict=True)) == 1
    assert not Parts(Parts.of({}).blobs) and Parts(Parts.of(rows).blobs)
    assert all(isinstance(marshal.loads(blob), dict) for blob in updated.blobs)


def test_shares_of_a_scan_split_the_files_between_them_once_each(tmp_path):
    folder = tmp_path / "content"
    (folder / "people").mkdir(parents=True)
    for n in range(60):
        (folder / f"a{n}.md").write_text("x" * n, "utf-8")
    (folder / "people" / "p.yaml").write_text("name: P\n", "utf-8")
    config = tmp_path / "briefgen.yaml"
    config.write_text("title: t\n", "utf-8")
    whole = scan([folder], [config])
    shares = [scan([folder], [config], share=(number, 3)) for number in range(3)]
    assert all(shares)  # each share has files
    assert sum(len(share) for share in shares) == len(whole) == 62
    assert {path: stat for share in shares for path, stat in share.items()} == whole
