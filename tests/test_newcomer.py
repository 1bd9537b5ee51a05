"""What a newcomer trips over: file names and URLs, `new` on a French site, page descriptions,
languages of people's texts, role periods, repeated labels, the 404 page's links, tagged PDFs."""

from __future__ import annotations

import datetime as dt
import io
import re

from conftest import article
from pypdf import PdfReader

from briefgen import pdf, slugs
from briefgen.config import load_config
from briefgen.i18n import Translator
from briefgen.pipeline import load

FRENCH_SITE = 'title: "Revue"\ndescription: "Revue de presse"\nlanguage: fr\ndigest: {enabled: false}\n'
LONG_FRENCH_TITLE = (
    "Le secrétaire d’État américain s’est entretenu pendant plus de sept heures avec son "
    "homologue chinois à la résidence de Diaoyutai"
)


def test_apostrophes_separate_words_in_slugs():
    assert slugs.slugify("Le secrétaire d'État") == "le-secretaire-d-etat"
    assert slugs.slugify("Blinken s’est envolé") == "blinken-s-est-envole"  # typographic apostrophe
    assert slugs.slugify("l\u02bcÉtat") == "l-etat"


def test_a_slug_is_its_own_slug_and_a_title_is_cut_at_whole_leading_words():
    long = slugs.slugify(LONG_FRENCH_TITLE)
    assert len(long) > 80 and long.endswith("-diaoyutai")  # never cut: a file name is kept whole
    assert slugs.slugify(long) == long
    short = slugs.title_slug(LONG_FRENCH_TITLE)
    assert short == "le-secretaire-d-etat-americain-s-est-entretenu-pendant-plus"
    assert long.startswith(short + "-")


def test_new_then_build_gives_the_url_of_the_file_name(make_site, cli):
    project = make_site({"briefgen.yaml": FRENCH_SITE})
    made = cli(project, "new", LONG_FRENCH_TITLE, "--date", "2023-06-18T15:30:00+08:00")
    assert made.code == 0, made.err
    stem = made.out.strip().rsplit("/", 1)[1].removesuffix(".md")
    assert stem == "2023-06-18-le-secretaire-d-etat-americain-s-est-entretenu-pendant-plus"
    built = cli(project, "build", "--drafts")
    assert built.code == 0, built.err
    assert (project.root / "site/articles" / stem / "index.html").is_file()


def test_a_long_file_name_written_by_hand_is_its_url(make_site, cli):
    stem = "2023-06-18-" + slugs.slugify(LONG_FRENCH_TITLE)  # 111 characters
    project = make_site({f"content/{stem}.md": article("Titre", "2023-06-18")})
    assert cli(project, "build").code == 0
    assert (project.root / "site/articles" / stem / "index.html").is_file()


def test_new_on_a_french_site_writes_french_placeholders_and_every_source_field(make_site, cli):
    project = make_site({"briefgen.yaml": FRENCH_SITE})
    made = cli(project, "new", "Wang Yi reçoit Blinken", "--date", "2023-06-19")
    text = project.read(made.out.strip().split(str(project.root) + "/", 1)[-1])
    assert "Écrivez l’article ici, en Markdown." in text
    assert "Write the article" not in text
    assert re.search(r"^  published: +# AAAA-MM-JJ$", text, re.MULTILINE)
    assert "lang: fr" in text
    project.write({made.out.strip(): text.replace("draft: true", "draft: false")})
    built = cli(project, "build")  # the placeholders as written are valid front matter
    assert built.code == 0, built.err


def test_an_article_page_describes_itself_with_its_summary(make_site, cli):
    project = make_site(
        {
            "briefgen.yaml": FRENCH_SITE,
            "content/2023-06-20-sans-resume.md": article("Sans résumé", "2023-06-20"),
        }
    )
    assert cli(project, "build").code == 0
    talks = project.read("site/articles/2023-06-18-talks/index.html")
    assert re.findall(r'<meta name="description"[^>]*>', talks) == [
        '<meta name="description" content="Long talks.">'
    ]
    bare = project.read("site/articles/2023-06-20-sans-resume/index.html")
    assert '<meta name="description" content="Revue de presse">' in bare


PERSON_IN_ENGLISH = """
    name: Antony Blinken
    lang: en
    description: American diplomat.
    roles:
      - title: Secretary of State
        organisation: United States
        from: 2021-01-26
        to: 2025-01-20
      - title: Member of the Council
        from: 2025-04-02
    """


def test_english_texts_of_a_person_on_a_french_page_say_so(make_site, cli):
    project = make_site(
        {"briefgen.yaml": FRENCH_SITE, "content/people/antony-blinken.yaml": PERSON_IN_ENGLISH}
    )
    assert cli(project, "build").code == 0
    page = project.read("site/people/antony-blinken/index.html")
    assert '<p class="lead" lang="en">American diplomat.</p>' in page
    assert '<span lang="en"><strong>Secretary of State</strong>, United States</span>' in page
    assert "de janvier 2021 à janvier 2025" in page
    assert "depuis avril 2025" in page
    people = project.read("site/people/index.html")
    assert '<span lang="en">Member of the Council</span>' in people  # the current role
    qin = project.read("site/people/qin-gang/index.html")  # no `lang`: the site's language
    assert "lang=" not in qin.split("<main", 1)[1].split("</header>", 1)[0]


def test_a_bad_person_language_is_an_error_with_its_line(make_site, cli):
    project = make_site({"content/people/wang-yi.yaml": "name: Wang Yi\nlang: english please\n"})
    run = cli(project, "build")
    assert run.code == 1
    assert "content/people/wang-yi.yaml:2: lang: 'english please' is not a language tag" in run.err


def test_role_periods_read_naturally_in_french_and_english():
    start, end = dt.date(2021, 1, 26), dt.date(2025, 1, 20)
    fr, en = Translator("fr"), Translator("en")
    assert fr.period(start, end) == "de janvier 2021 à janvier 2025"
    assert fr.period(start, None) == "depuis janvier 2021"
    assert fr.period(None, end) == "jusqu’en janvier 2025"
    assert fr.period(dt.date(2023, 4, 1), dt.date(2023, 8, 1)) == "d’avril 2023 à août 2023"
    assert en.period(start, end) == "January 2021 – January 2025"
    assert en.period(start, None) == "since January 2021"
    assert en.period(None, None) == ""


def test_counts_of_thousands_are_written_as_each_language_writes_them():
    fr, en = Translator("fr"), Translator("en")
    assert en.count(5407, "articles") == "5,407 articles"
    assert fr.count(14937, "events") == "14\u202f937 événements"  # a narrow no-break space
    assert (en.count(1, "articles"), en.number(999)) == ("1 article", "999")


def test_no_label_or_link_repeats_itself(make_site, cli):
    project = make_site({"briefgen.yaml": FRENCH_SITE.replace("{enabled: false}", "{enabled: true}")})
    assert cli(project, "build", "--no-digests").code == 0
    talks = project.read("site/articles/2023-06-18-talks/index.html")
    panel = talks.split('<aside class="meta-panel"', 1)[1].split("</aside>", 1)[0]
    assert "Digest PDF</a>" in panel  # the button, beside the date
    assert "<dt>Digest PDF</dt>" not in panel
    day = project.read("site/days/2023-06-18/index.html")
    events = day.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert "Talks at Diaoyutai" in events
    assert "days/2023-06-18/" not in events  # no link back to this very page
    person = project.read("site/people/antony-blinken/index.html")  # elsewhere, dates still link
    assert re.search(r'<a class="day" href="[./]*days/2023-06-18/index.html">', person)


def test_the_404_page_links_from_the_site_root_or_base_path(make_site, cli):
    project = make_site()
    assert cli(project, "build").code == 0
    page = project.read("site/404.html")
    assert '<link rel="stylesheet" href="/static/style.css">' in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(h.startswith(("/", "#")) for h in hrefs), hrefs
    project.write({"briefgen.yaml": 'base_url: "https://example.org/briefing/"\ndirectory_urls: true\n'})
    assert cli(project, "build", "--no-digests").code == 0
    page = project.read("site/404.html")
    assert '<link rel="stylesheet" href="/briefing/static/style.css">' in page
    assert '<a href="/briefing/people/">' in page


def test_the_pdf_digest_is_tagged_with_its_language_and_title(make_site):
    project = make_site({"briefgen.yaml": 'title: "Revue"\nlanguage: fr\n'})
    config = load_config(project.root)
    _, index, _ = load(config)
    reader = PdfReader(io.BytesIO(pdf.render_digest(config, index, dt.date(2023, 6, 18))))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"]
    assert catalog["/Lang"] == "fr"
    assert reader.metadata.title == "Revue — dimanche 18 juin 2023"
