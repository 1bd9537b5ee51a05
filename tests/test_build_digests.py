"""`build` writes one PDF digest per day with articles, links it, and renders it again only when needed."""

from __future__ import annotations

import re
import struct
import zlib

import pytest

pytestmark = pytest.mark.slow
WITH_DIGESTS = {"briefgen.yaml": "title: Desk\ndigest:\n  enabled: true\n"}


def stamps(project, folder: str = "site/digests") -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {p.name: p.stat().st_mtime_ns for p in (project.root / folder).iterdir()}


def test_each_day_with_articles_gets_a_linked_pdf(make_site, cli):
    project = make_site(WITH_DIGESTS)
    result = cli(project, "build")
    assert result.code == 0, result.err
    assert sorted(stamps(project)) == ["2023-06-14.pdf", "2023-06-18.pdf"]  # not 06-19: only an event
    assert (project.root / "site/digests/2023-06-18.pdf").read_bytes().startswith(b"%PDF-")
    for page in ("days/2023-06-18/index.html", "index.html", "articles/2023-06-18-talks/index.html"):
        html = project.read(f"site/{page}")
        link = re.search(r'class="digest-link" href="([^"]+)"', html)
        assert link, page
        assert (project.root / "site" / page).parent.joinpath(link.group(1)).resolve().is_file()
    assert 'class="digest-link"' not in project.read("site/days/2023-06-19/index.html")


def test_only_the_digest_of_an_edited_day_is_made_again(make_site, cli):
    project = make_site(WITH_DIGESTS)
    cli(project, "build")
    before = stamps(project)
    assert "0 changed" in cli(project, "build").out
    assert stamps(project) == before
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    result = cli(project, "build")
    assert result.code == 0
    after = stamps(project)
    assert after["2023-06-14.pdf"] == before["2023-06-14.pdf"]
    assert after["2023-06-18.pdf"] != before["2023-06-18.pdf"]


def test_turning_digests_off_removes_them_and_their_links(make_site, cli):
    project = make_site(WITH_DIGESTS)
    cli(project, "build")
    project.write({"briefgen.yaml": "title: Desk\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    assert not (project.root / "site/digests").exists()
    assert "digest-link" not in project.read("site/index.html")


def png(red: int) -> bytes:
    """A 1x1 PNG of the given red level."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, red, 0, 0]))) + chunk(b"IEND", b""))  # fmt: skip


def test_a_changed_image_makes_the_digest_again(make_site, cli):
    talks = '---\ntitle: "Talks"\ndate: 2023-06-18\nactors: [Qin Gang]\n---\n\n![map](/static/map.png)\n'
    project = make_site({**WITH_DIGESTS, "static/map.png": png(0), "content/2023-06-18-talks.md": talks})
    assert cli(project, "build").code == 0
    before = stamps(project)
    (project.root / "static/map.png").write_bytes(png(255))
    assert cli(project, "build").code == 0
    after = stamps(project)
    assert after["2023-06-18.pdf"] != before["2023-06-18.pdf"]


def test_a_build_without_digests_leaves_them_to_the_next_build(make_site, cli):
    project = make_site(WITH_DIGESTS)
    assert cli(project, "build", "--no-digests").code == 0
    assert not (project.root / "site/digests").exists()
    assert 'class="digest-link"' in project.read("site/index.html")  # linked already
    assert cli(project, "build").code == 0
    assert sorted(stamps(project)) == ["2023-06-14.pdf", "2023-06-18.pdf"]
