"""The PDF renderer runs under time and memory limits: one pathological day fails alone, by name."""

from __future__ import annotations

import struct
import zlib

import pytest

pytestmark = pytest.mark.slow


def huge_png(side: int = 6000) -> bytes:
    """A grey PNG of side x side pixels: 100 KB on disk, about 100 MB once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + b"\x80" * (side * 3)) * side
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))  # fmt: skip


PATHOLOGICAL = {
    "briefgen.yaml": "digest:\n  enabled: true\n  memory_mb: 200\n",
    "static/huge.png": huge_png(),
    "content/2023-06-18-huge.md": '---\ntitle: "Huge map"\ndate: 2023-06-18\n---\n\n![](/static/huge.png)\n',
}


def test_a_day_past_the_memory_limit_fails_alone_and_by_name(make_site, cli):
    project = make_site(PATHOLOGICAL)
    result = cli(project, "build")
    assert result.code == 0, result.err  # the site is built; one digest is missing, and said so
    assert (
        "warning: digest 2023-06-18 was not made: it needed more than 200 MiB of memory "
        "(digest.memory_mb in briefgen.yaml); its articles: content/2023-06-18-huge.md, "
        "content/2023-06-18-talks.md"
    ) in result.err
    assert (project.root / "site/digests/2023-06-14.pdf").read_bytes().startswith(b"%PDF-")
    assert not (project.root / "site/digests/2023-06-18.pdf").exists()
    assert "Huge map" in project.read("site/articles/2023-06-18-huge/index.html")


def test_raising_the_limit_makes_the_missing_digest(make_site, cli):
    project = make_site(PATHOLOGICAL)
    assert cli(project, "build").code == 0
    project.write({"briefgen.yaml": "digest:\n  enabled: true\n  memory_mb: 0\n"})
    result = cli(project, "build")
    assert result.code == 0 and "was not made" not in result.err
    assert (project.root / "site/digests/2023-06-18.pdf").read_bytes().startswith(b"%PDF-")


def test_a_day_past_the_time_limit_fails_by_name(make_site, cli):
    project = make_site({"briefgen.yaml": "digest:\n  enabled: true\n  timeout: 0.001\n"})
    result = cli(project, "build")
    assert result.code == 0, result.err
    assert (
        "warning: digest 2023-06-14 was not made: it took longer than 0.001 s "
        "(digest.timeout in briefgen.yaml); its articles: content/2023-06-14-call.md"
    ) in result.err
    assert "warning: digest 2023-06-18 was not made" in result.err


def test_the_digest_command_fails_with_the_reason(make_site, cli):
    project = make_site({"briefgen.yaml": "digest:\n  enabled: true\n  timeout: 0.001\n"})
    result = cli(project, "digest", "--date", "2023-06-14")
    assert result.code == 1
    assert "digest 2023-06-14 was not made: it took longer than 0.001 s" in result.err
    assert not (project.root / "site/digests/2023-06-14.pdf").exists()
