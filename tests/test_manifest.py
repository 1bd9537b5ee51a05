"""The output folder's manifest: read back as written, an earlier briefgen's still trusted, a
damaged one never trusted."""

from __future__ import annotations

import json

from briefgen import manifest
from briefgen.manifest import MARKER
from briefgen.writer import read_manifest


def test_a_manifest_reads_back_as_it_was_written(tmp_path):
    files = {"b/index.html": ("d2", 2, 20), "a.html": ("d1", 1_796_573_527_205_269_670, 10)}
    data = manifest.encode(files, "ab" * 16, ("cd" * 16, ("a.html",)))
    assert manifest.decode(data) == ("ab" * 16, ("cd" * 16, ("a.html",)), files)
    assert manifest.generation_in(data[: manifest.HEAD_BYTES]) == "ab" * 16
    assert list(manifest.decode(data)[2]) == ["a.html", "b/index.html"]  # always in the same order
    (tmp_path / MARKER).write_bytes(data)
    assert manifest.head(tmp_path / MARKER) == ("ab" * 16, ("cd" * 16, ("a.html",)))


def test_a_damaged_manifest_is_not_trusted(tmp_path):
    data = manifest.encode({"a.html": ("d1", 1, 10)}, "ab" * 16, None)
    for damaged in (data[:-3], data[:40], b"", b"briefgen-output 2\n", b"{not json", b"{}"):
        (tmp_path / MARKER).write_bytes(damaged)
        assert read_manifest(tmp_path) == {}
    (tmp_path / MARKER).write_bytes(data)
    assert read_manifest(tmp_path) == {"a.html": ("d1", 1, 10)}


def test_a_site_an_earlier_briefgen_built_is_rebuilt_without_rewriting_a_page(make_site, cli):
    """Before its manifest was in marshal, briefgen wrote it as JSON: upgrading keeps the site's
    pages and their record, and the next build with nothing changed rewrites nothing."""
    project = make_site()
    assert cli(project, "build", "-q", "--no-search").code == 0
    site = project.root / "site"
    generation, previous, files = manifest.decode((site / MARKER).read_bytes())
    legacy = {"generator": "briefgen", "generation": generation, "files": files}
    if previous is not None:
        legacy["previous"] = {"generation": previous[0], "differs": list(previous[1])}
    (site / MARKER).write_text(json.dumps(legacy, separators=(",", ":")), "utf-8")
    assert read_manifest(site) == files
    assert manifest.head(site / MARKER) == (generation, previous)
    assert "(0 rendered, 0 changed, 0 removed)" in cli(project, "build", "--no-search").out
