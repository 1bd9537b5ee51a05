"""The daily PDF digest: real WeasyPrint PDFs read back with pypdf, as a reader would check them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import BASIC, article, write_files
from pypdf import PdfReader

from briefgen import pdf
from briefgen.config import load_config
from briefgen.digest import make_digest, parse_day
from briefgen.errors import DigestError, Problem
from briefgen.manifest import MARKER
from briefgen.pipeline import load

DAY = dt.date(2023, 6, 18)

LONG_FRENCH = " ".join(
    [
        "Les négociations intergouvernementales sur la dénucléarisation et la démilitarisation",
        "anticonstitutionnellement contestées ont été qualifiées d’extraordinairement",
        "constructives par les administrations, qui évoquent une « réconciliation » progressive,",
        "une institutionnalisation des communications et une déconflictualisation des relations.",
    ]
    * 6
)

DIGEST_FILES: dict[str, str | bytes] = {
    **BASIC,
    "briefgen.yaml": 'title: "China Desk"\nlanguage: en\n',
    "content/2023-06-18-appel.md": article(
        "Appel du matin",
        "2023-06-18T08:00:00+08:00",
        "\n\n".join([LONG_FRENCH] * 3),
        lang="fr",
        summary='"Un « appel » matinal."',
        actors="[秦刚]",
    ),
    "content/2023-06-18-dinner.md": article(
        "秦刚 hosts a dinner",
        "2023-06-18T20:00:00+08:00",
        "## Guests\n\nThe dinner at Diaoyutai lasted two hours.\n\n## Menu\n\nPeking duck.",
        lang="en",
        actors="[Antony Blinken]",
        events='\n  - {date: 2023-06-18, title: "Dinner with 秦刚", actors: [qin gang]}',
    ),
}
TITLES = [
    "Appel du matin",
    "Blinken meets Qin in Beijing",
    "秦刚 hosts a dinner",
]


def words(text: str) -> str:
    return " ".join(text.split())


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def load_project(root: Path, **settings: object):  # type: ignore[no-untyped-def]
    config = load_config(root)
    if settings:
        config = dataclasses.replace(config, digest=dataclasses.replace(config.digest, **settings))
    _, index, _ = load(config)
    return config, index


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One three-article day rendered once and shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("digest") / "project"
    write_files(root, DIGEST_FILES)
    config, index = load_project(root)
    warnings: list[Problem] = []
    data = pdf.render_digest(config, index, DAY, warn=warnings.append)
    (root / "digest.pdf").write_bytes(data)
    return root, read(data), warnings


def toc_entries(text: str) -> dict[str, int]:
    """`Title ........ 7` lines of the contents page."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^(.*?)\s*\.{3,}\s*(\d+)$", line.strip())
        if match:
            found[match.group(1).strip()] = int(match.group(2))
    return found


# --- The digest as data ---------------------------------------------------------------------


def test_digest_holds_the_day_in_time_order_with_its_edition_and_people(make_site):
    project = make_site(DIGEST_FILES)
    _, index = load_project(project.root)
    digest = make_digest(index, DAY)
    assert [a.title for a in digest.articles] == TITLES
    assert digest.edition == 2  # 14 June is the first day with articles, 18 June the second
    assert make_digest(index, dt.date(2023, 6, 14)).edition == 1
    # the day's events in time order; the 19 June one its articles report is listed apart
    assert [e.title for e in digest.events] == ["Dinner with 秦刚", "Talks at Diaoyutai"]
    assert [e.title for e in digest.also] == ["Meeting with Xi"]
    names = [entry.person.name for entry in digest.people]
    assert names == ["Antony Blinken", "Qin Gang"]
    qin = digest.people[1]
    assert [m.article for m in qin.mentions] == [
        "2023-06-18-appel",
        "2023-06-18-talks",
        "2023-06-18-dinner",
    ]
    # in the dinner article Qin is only in an event, so the index points at that event line
    assert qin.mentions[2].anchor == "e.2023-06-18-dinner.1.qin-gang"


def test_a_day_without_articles_or_a_malformed_date_is_an_error_naming_it(make_site):
    project = make_site()
    _, index = load_project(project.root)
    with pytest.raises(DigestError, match="no articles on 2023-06-15"):
        make_digest(index, dt.date(2023, 6, 15))
    with pytest.raises(DigestError, match="'2023-6-18' is not a date"):
        parse_day("2023-6-18")
    with pytest.raises(DigestError, match="'2023-02-30' is not a date"):
        parse_day("2023-02-30")


def test_digest_html_carries_each_article_language_and_french_spacing(make_site):
    project = make_site(DIGEST_FILES)
    config, index = load_project(project.root)
    html = pdf.digest_html(config, index, DAY)
    assert '<html lang="en">' in html
    assert '<article class="article" id="art.2023-06-18-appel" lang="fr">' in html
    assert '<article class="article" id="art.2023-06-18-talks" lang="en">' in html
    assert "«\u00a0réconciliation\u00a0»" in html  # from plain spaces in the Markdown source
    assert "Un «\u00a0appel\u00a0» matinal." in html  # the summary too
    # links to site pages are relative to digests/, so they work inside site/
    assert 'href="../people/qin-gang/index.html"' in html
    assert 'href="../articles/2023-06-18-dinner/index.html"' in html


def test_links_to_the_site_are_absolute_when_base_url_is_set(make_site):
    files = {**DIGEST_FILES, "briefgen.yaml": "base_url: https://desk.example.org/news/\n"}
    project = make_site(files)
    config, index = load_project(project.root)
    html = pdf.digest_html(config, index, DAY)
    assert 'href="https://desk.example.org/news/people/qin-gang/"' in html
    assert "../people/" not in html


# --- The PDF, read back ---------------------------------------------------------------------


@pytest.mark.slow
def test_contents_page_numbers_are_the_pages_where_articles_start(sample):
    _, reader, _ = sample
    texts = page_texts(reader)
    toc = toc_entries(texts[0])  # a three-article day: the contents share the cover
    assert list(toc)[:3] == TITLES
    starts = {}
    for title in TITLES:
        starts[title] = next(
            n for n, text in enumerate(texts, 1) if n > 1 and words(text).startswith(words(title))
        )
    assert {title: toc[title] for title in TITLES} == starts
    assert starts["Blinken meets Qin in Beijing"] - starts["Appel du matin"] >= 2  # the long one spans pages
    # the contents lines are links to those pages
    dests = [a.get_object()["/Dest"] for a in reader.pages[0]["/Annots"] if "/Dest" in a.get_object()]
    assert any("art.2023-06-18-dinner" in str(d) for d in dests)


@pytest.mark.slow
def test_outline_has_one_entry_per_article_with_its_sections_below(sample):
    _, reader, _ = sample
    outline = reader.outline
    top = [item for item in outline if not isinstance(item, list)]
    assert [item.title for item in top] == [*TITLES, "Timeline of the day", "Index of people"]
    texts = page_texts(reader)
    for item in top[:3]:
        page = reader.get_destination_page_number(item)
        assert words(texts[page]).startswith(words(item.title))
    # the sections of "秦刚 hosts a dinner" are nested under it
    children = outline[outline.index(top[2]) + 1]
    assert [child.title for child in children] == ["Guests", "Menu", "Events"]


@pytest.mark.slow
def test_metadata_names_title_language_date_and_creator(sample):
    _, reader, _ = sample
    meta = reader.metadata
    assert meta.title == "China Desk — Sunday, June 18, 2023"
    assert meta.creator.startswith("briefgen ")
    assert meta.creation_date.date() == DAY
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.slow
def test_cover_has_no_running_header_and_other_pages_do(sample):
    _, reader, _ = sample
    texts = page_texts(reader)
    cover = words(texts[0])
    assert "China Desk" in cover and "Sunday, June 18, 2023" in cover and "Edition 2" in cover
    assert "Un « appel » matinal." in cover.replace("\u00a0", " ")  # headline summaries
    assert cover.count("China Desk") == 1 and "page 1" not in cover
    total = len(texts)
    for number, text in enumerate(texts[1:], 2):
        tail = words(text)
        assert "China Desk Sunday, June 18, 2023" in tail
        assert tail.endswith(f"page {number} / {total}")


@pytest.mark.slow
def test_people_index_points_at_pages_that_show_the_name(sample):
    _, reader, _ = sample
    texts = page_texts(reader)
    index_page = next(t for t in reversed(texts) if "Index of people" in t)
    index_page = index_page[index_page.index("Index of people") :]
    # `Name ....... 3, 5`, possibly two entries on one extracted line (the index has two columns)
    entries = {  # each name without its spellings in other scripts (Qin Gang 秦刚)
        re.sub(r"(\s+[^\x00-\u024f\s]+)+$", "", name.strip()): [int(n) for n in pages.split(",")]
        for name, pages in re.findall(r"([^\d.,\n][^.\n]*?)\s*\.{2,}\s*(\d+(?:,\s*\d+)*)", index_page)
    }
    assert set(entries) == {"Antony Blinken", "Qin Gang"}
    assert len(entries["Qin Gang"]) == 3
    for name, pages in entries.items():
        for page in pages:
            assert name in words(texts[page - 1]), (name, page)


@pytest.mark.slow
def test_cjk_names_are_real_glyphs_from_a_cjk_font(sample):
    _, reader, _ = sample
    texts = page_texts(reader)
    page = next(n for n, text in enumerate(texts) if n > 1 and text.startswith("秦刚 hosts a dinner"))
    assert "秦刚" in texts[page]
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[page]["/Resources"]["/Font"].values()}
    assert any("WenQuanYi" in name or "CJK" in name for name in fonts), fonts


@pytest.mark.slow
def test_a_long_french_paragraph_is_hyphenated(sample):
    _, reader, _ = sample
    text = next(t for t in page_texts(reader) if t.startswith("Appel du matin"))
    lines = text.splitlines()
    split = [
        (line, lines[n + 1]) for n, line in enumerate(lines[:-1]) if line.rstrip().endswith(("\u2010", "-"))
    ]
    joined = [a.rstrip()[:-1].split()[-1] + b.split()[0] for a, b in split]
    hyphenated = [word for word in joined if word.strip(".,;«»’") in LONG_FRENCH]
    assert hyphenated, lines[:20]


@pytest.mark.slow
def test_a_page_turned_into_an_image_is_not_blank(sample):
    from PIL import Image

    root, _, _ = sample
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(root / "digest.pdf"), str(root / "cover")],
        check=True,
    )
    image = Image.open(next(root.glob("cover*.png"))).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 500  # title, day and headlines in ink, not an empty page


# WeasyPrint 70 leaves its sRGB profile file open when it writes PDF/A; not ours to close.
@pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Exception ignored in.*sRGB2014:pytest.PytestUnraisableExceptionWarning")
@pytest.mark.slow
def test_letter_paper_and_pdfa_from_the_settings(make_site):
    project = make_site(DIGEST_FILES)
    config, index = load_project(project.root)
    a4 = read(pdf.render_digest(config, index, dt.date(2023, 6, 14), warn=lambda p: None))
    assert [round(float(v)) for v in a4.pages[0].mediabox[2:]] == [595, 842]
    assert "/Metadata" not in a4.trailer["/Root"]
    config, index = load_project(project.root, paper="Letter", pdfa=True)
    letter = read(pdf.render_digest(config, index, dt.date(2023, 6, 14), warn=lambda p: None))
    assert [round(float(v)) for v in letter.pages[0].mediabox[2:]] == [612, 792]
    xmp = letter.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part[^0-9]*3", xmp) and re.search(r"pdfaid:conformance[^A-Z]*U", xmp)


# --- Fetching -----------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    """A black PNG, made by hand so the test needs no image library to write it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_fetch_policy_reads_only_project_files_and_no_network(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "map.png").write_bytes(png(2, 2))
    (tmp_path / "secret.png").write_bytes(png(2, 2))
    policy = pdf.FetchPolicy((content.resolve(),))
    assert policy.local_path((content / "map.png").as_uri()) == (content / "map.png").resolve()
    with pytest.raises(pdf.Refused, match="outside the project"):
        policy.local_path((tmp_path / "secret.png").as_uri())
    with pytest.raises(pdf.Refused, match="outside the project"):
        policy.local_path((content / ".." / "secret.png").as_uri())
    with pytest.raises(pdf.Refused, match="file not found"):
        policy.local_path((content / "gone.png").as_uri())
    with pytest.raises(pdf.Refused, match=r"digest\.allow_network"):
        policy.local_path("https://example.org/x.png")
    with pytest.raises(pdf.Refused, match="'ftp:' addresses"):
        pdf.FetchPolicy((content,), allow_network=True).local_path("ftp://example.org/x.png")
    assert pdf.FetchPolicy((content,), allow_network=True).local_path("https://example.org/x.png") is None


@pytest.mark.slow
def test_refused_or_missing_images_are_warnings_naming_the_article_and_local_ones_print(make_site, tmp_path):
    from PIL import Image

    (tmp_path / "outside.png").write_bytes(png(4, 4))
    body = (
        "![wide](img/wide.png)\n\n![net](https://example.org/chart.png)\n\n"
        "![gone](img/gone.png)\n\n![escape](../../outside.png)\n\nText after the images."
    )
    project = make_site(
        {
            "content/img/wide.png": png(3000, 300),
            "content/2023-06-18-images.md": article("Pictures", "2023-06-18T12:00:00+08:00", body),
        }
    )
    config, index = load_project(project.root)
    warnings: list[Problem] = []
    data = pdf.render_digest(config, index, DAY, warn=warnings.append)
    named = [w.message for w in warnings if w.path and w.path.name == "2023-06-18-images.md"]
    reasons = {re.search(r"image '([^']+)'", m).group(1): m for m in named}  # type: ignore[union-attr]
    assert sorted(reasons) == ["../../outside.png", "https://example.org/chart.png", "img/gone.png"], named
    assert "digest.allow_network" in reasons["https://example.org/chart.png"]
    assert "outside the project" in reasons["../../outside.png"]
    assert "file not found" in reasons["img/gone.png"]
    # the local image is printed, scaled to the text column: the right margin stays white
    reader = read(data)
    page = next(n for n, t in enumerate(page_texts(reader)) if n > 1 and t.startswith("Pictures"))
    assert "Text after the images." in reader.pages[page].extract_text()
    (project.root / "d.pdf").write_bytes(data)
    number = str(page + 1)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-f", number, "-l", number, "d.pdf", "page"],
        cwd=project.root,
        check=True,
    )
    image = Image.open(next(project.root.glob("page*.png"))).convert("L")
    width, height = image.size
    margin = int(width * 15 / 210)  # 15 mm of the 20 mm right margin of an A4 page
    black_rows = [y for y in range(height) if image.getpixel((width // 2, y)) < 60]
    assert black_rows, "the image is not on the page"
    assert all(image.getpixel((x, y)) > 200 for y in black_rows for x in range(width - margin, width))


# --- Fonts --------------------------------------------------------------------------------------


def test_font_advice_names_what_is_missing_and_the_command_to_install_it():
    only_dejavu = frozenset({"DejaVu Sans", "DejaVu Serif"})
    advice = pdf.font_advice(only_dejavu, subset=False)
    assert advice is not None
    assert "秦刚" in advice
    assert (
        "apt-get install --no-install-recommends fonts-noto-core fonts-wqy-microhei libharfbuzz-subset0"
        in (advice)
    )
    complete = frozenset({"Noto Serif", "Noto Sans", "WenQuanYi Micro Hei"})
    assert pdf.font_advice(complete, subset=True) is None
    assert pdf.font_advice(complete | {"DejaVu Sans"}, subset=False).endswith(  # type: ignore[union-attr]
        "libharfbuzz-subset0 (or run scripts/ensure-fonts.sh)"
    )


def test_a_missing_font_is_warned_about_once(monkeypatch):
    monkeypatch.setattr(pdf.fonts, "_fonts_checked", False)
    monkeypatch.setattr(pdf.fonts, "installed_families", lambda: frozenset({"DejaVu Serif"}))
    seen: list[Problem] = []
    pdf.check_fonts(seen.append)
    pdf.check_fonts(seen.append)
    assert len(seen) == 1 and "fonts-wqy-microhei" in seen[0].message


# --- Rebuilding only what changed, in parallel ---------------------------------------------


def test_fingerprint_changes_only_with_what_the_digest_shows(make_site):
    project = make_site(DIGEST_FILES)
    config, index = load_project(project.root)
    before = pdf.digest_fingerprint(config, index, DAY)
    assert pdf.digest_fingerprint(*load_project(project.root), DAY) == before

    def after(files: dict[str, str | bytes]) -> str:
        project.write(files)
        return pdf.digest_fingerprint(*load_project(project.root), DAY)

    # another day's article changes: this digest does not
    call = DIGEST_FILES["content/2023-06-14-call.md"]
    assert isinstance(call, str)
    assert after({"content/2023-06-14-call.md": call.replace("téléphonique", "vidéo")}) == before
    # a body of the day, a person's name, the stylesheet: each one changes it
    dinner = DIGEST_FILES["content/2023-06-18-dinner.md"]
    assert isinstance(dinner, str)
    changed = after({"content/2023-06-18-dinner.md": dinner.replace("Peking duck", "Noodles")})
    assert changed != before
    renamed = after(
        {
            "content/people/qin-gang.yaml": project.read("content/people/qin-gang.yaml").replace(
                "name: Qin Gang", "name: QIN Gang"
            )
        }
    )
    assert renamed != changed
    styled = after({"templates/digest/digest.css": pdf.stylesheet_text(config)[1] + "\nh1 { color: red; }\n"})
    assert styled != renamed
    # a new earlier day renumbers the editions, so the digest changes
    earlier = after({"content/2023-06-01-first.md": article("First", "2023-06-01")})
    assert earlier != styled


@pytest.mark.slow
def test_parallel_rendering_gives_the_same_pdfs(make_site):
    project = make_site()
    config, index = load_project(project.root)
    days = [dt.date(2023, 6, 14), DAY]
    alone = dict(pdf.render_digests(config, index, days, jobs=1, warn=lambda p: None))
    forked = dict(pdf.render_digests(config, index, days, jobs=2, warn=lambda p: None))
    assert set(forked) == set(days)
    for day in days:
        assert len(read(forked[day]).pages) == len(read(alone[day]).pages)
        assert words(read(forked[day]).pages[0].extract_text()) == words(
            read(alone[day]).pages[0].extract_text()
        )
    with pytest.raises(DigestError, match="2023-06-15"):
        pdf.render_digests(config, index, [dt.date(2023, 6, 15)], jobs=2)


# --- `briefgen digest` --------------------------------------------------------------------------


@pytest.mark.slow
def test_digest_command_writes_the_day_and_a_later_build_accepts_the_folder(make_site, cli):
    project = make_site()
    run = cli(project, "digest", "--date", "2023-06-18", "--out", "public")
    assert run.code == 0, run.err
    written = project.root / "public" / "digests" / "2023-06-18.pdf"
    assert run.out.strip() == str(written)
    assert "Blinken meets Qin in Beijing" in read(written.read_bytes()).pages[0].extract_text()
    assert not list(written.parent.glob("*.tmp"))
    assert (project.root / "public" / MARKER).is_file()
    assert cli(project, "build", "--out", "public", "-q").code == 0


def test_digest_command_on_a_day_without_articles_names_the_date(make_site, cli):
    project = make_site()
    run = cli(project, "digest", "--date", "2023-06-15")
    assert run.code == 1
    assert "no articles on 2023-06-15" in run.err
    assert not (project.root / "site" / "digests").exists()


def test_digest_command_rejects_a_malformed_date(make_site, cli):
    project = make_site()
    run = cli(project, "digest", "--date", "18/06/2023")
    assert run.code == 2
    assert "'18/06/2023' is not a date" in run.err and "YYYY-MM-DD" in run.err
