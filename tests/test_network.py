"""Who meets whom: the network page and each person's small network, drawn as SVG at build time."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from xml.etree import ElementTree

import pytest
from conftest import REPO, article

from briefgen.network import Edge, Graph, Node, layout, svg
from briefgen.network import _dot_box as dot_box
from briefgen.network import _overlap as overlap

NETWORK = "site/network/index.html"


def drawing(page: str) -> str:
    return page[page.index("<svg") : page.index("</svg>") + 6]


def nodes(svg_text: str) -> dict[str, str]:
    """href -> label of each linked node."""
    return dict(re.findall(r'<a class="node[^"]*" href="([^"]+)">.*?<text[^>]*>([^<]+)</text></a>', svg_text))


def test_the_network_page_has_one_linked_node_per_person(make_site, cli):
    project = make_site({"content/people/wang-yi.yaml": 'name: "Wang Yi"\n'})
    assert cli(project, "build").code == 0
    found = nodes(drawing(project.read(NETWORK)))
    assert found == {
        "../people/antony-blinken/index.html": "Antony Blinken",
        "../people/qin-gang/index.html": "Qin Gang",
        "../people/wang-yi/index.html": "Wang Yi",  # in no article: drawn alone, still a link
    }
    for href in found:
        assert (project.root / "site/network" / href).resolve().is_file()
    # reached from every page's menu
    assert '<a href="../network/index.html">Who meets whom</a>' in project.read("site/people/index.html")


def test_links_are_weighted_by_shared_articles_and_events(make_site, cli):
    project = make_site()
    assert cli(project, "build").code == 0
    page = project.read(NETWORK)
    # two articles name both, and two events: the talks, and the call (by default its article's actors)
    assert "<title>Antony Blinken – Qin Gang: 2 articles, 2 events</title>" in drawing(page)
    assert re.search(
        r"Antony Blinken</a> – <a[^>]*>Qin Gang</a></span>\s*<span class=\"count\">2 articles, 2 events", page
    )


def test_two_builds_give_byte_identical_drawings(make_site, cli, tmp_path):
    extra = {f"content/people/p{n}.yaml": f'name: "Person {n}"\n' for n in range(12)}
    extra["content/2023-06-20-many.md"] = (
        "---\ntitle: Many\ndate: 2023-06-20\nactors: ["
        + ", ".join(f"Person {n}" for n in range(12))
        + "]\n---\n\nText.\n"
    )
    project = make_site(extra)
    assert cli(project, "build").code == 0
    first = project.snapshot()
    shutil.rmtree(project.root / ".briefgen")
    assert cli(project, "build", "--out", str(tmp_path / "again")).code == 0
    second = project.snapshot(str(tmp_path / "again"))
    pages = ["network/index.html", "people/p3/index.html", "people/antony-blinken/index.html"]
    for name in pages:
        assert "<svg" in first[name].decode()
        assert drawing(first[name].decode()) == drawing(second[name].decode())


def test_names_with_quotes_and_ampersands_read_back_whole_from_the_drawing():
    odd = 'Mary "May" O\'Neil & <Co>'
    graph = Graph((Node("a", odd, 3), Node("b", "Bob", 1)), (Edge("a", "b", 1, 0),), total=2)
    text = svg(graph, lambda pid: f"people/{pid}/?x=1&y='2'", f"Network of {odd}", lambda n, w: f"{n} {w}")
    root = ElementTree.fromstring(text)  # well-formed XML, whatever the names hold
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.get("aria-label") == f"Network of {odd}"
    links = root.findall(".//svg:a", ns)
    assert [a.get("href") for a in links] == ["people/a/?x=1&y='2'", "people/b/?x=1&y='2'"]
    assert [a.find("svg:text", ns).text for a in links] == [odd, "Bob"]
    assert root.find(".//svg:line/svg:title", ns).text == f"{odd} – Bob: 1 articles, 0 events"


def test_a_command_starts_without_loading_a_web_client():
    """Escaping the drawing's text once pulled in urllib.request, http.client and email: about
    15 ms of imports at the start of every command, for nothing."""
    modules = ("urllib.request", "http.client", "email")
    code = "import sys, briefgen.cli, briefgen.build, briefgen.render\n"
    code += f"print([m for m in {modules} if m in sys.modules])"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert found.stdout.strip() == "[]"


def test_a_person_page_draws_them_at_the_centre_of_those_they_meet_most(make_site, cli):
    extra = {f"content/people/p{n:02d}.yaml": f'name: "Person {n}"\n' for n in range(14)}
    for n in range(14):  # Person 0 meets Person n in n articles
        for k in range(n):
            day = f"2023-07-{k + 1:02d}"
            extra[f"content/{day}-m{n}.md"] = article(f"M{n} {k}", day, actors=f"[Person 0, Person {n}]")
    project = make_site(extra)
    assert cli(project, "build").code == 0
    small = drawing(project.read("site/people/p00/index.html"))
    found = nodes(small)
    assert re.search(r'<a class="node centre" href="../../people/p00/index.html">', small)
    assert len(found) == 11  # the person and the ten they meet most
    assert set(found.values()) == {"Person 0", *(f"Person {n}" for n in range(4, 14))}
    assert "<h2>Who Person 0 meets</h2>" in project.read("site/people/p00/index.html")


def synthetic(count: int, seed: int = 7) -> Graph:
    """`count` people with realistic names of mixed lengths, linked at random."""
    rng = random.Random(seed)
    first = [
        "Amara",
        "Mathieu",
        "Anna",
        "Kwame",
        "Dmitri",
        "Héloïse",
        "Jean-Yves",
        "Xi",
        "Olaf",
        "Narendra",
        "Li",
    ]
    last = [
        "Anderson",
        "Chen",
        "Bonnet",
        "Petrov",
        "Tanaka",
        "Le Drian",
        "Jinping",
        "Scholz",
        "Fernández-Villaverde",
    ]
    people = tuple(
        Node(f"p{i:03d}", f"{rng.choice(first)} {rng.choice(last)}", rng.randint(1, 90)) for i in range(count)
    )
    weights: dict[tuple[int, int], int] = {}
    for _ in range(count * 4):
        a, b = sorted(rng.sample(range(count), 2))
        weights[a, b] = weights.get((a, b), 0) + 1
    edges = tuple(Edge(f"p{a:03d}", f"p{b:03d}", w, w // 2) for (a, b), w in sorted(weights.items()))
    return Graph(people, edges, total=count)


def test_no_label_overlaps_another_label_or_node_at_300_people():
    drawn = layout(synthetic(300))
    assert len(drawn.placed) == 300
    boxes = [(n, box) for n, p in enumerate(drawn.placed) for box in (p.box, dot_box(p))]
    clashes = [
        (a, b)
        for i, (a, box) in enumerate(boxes)
        for b, other in boxes[i + 1 :]
        if a != b and overlap(box, other)
    ]
    assert clashes == []
    assert all(
        box[0] >= 0 and box[1] >= 0 and box[2] <= drawn.width and box[3] <= drawn.height for _, box in boxes
    )


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_in_chromium_the_300_labels_as_drawn_do_not_overlap(browser, tmp_path, scheme):
    """The real text boxes, in the fonts Chromium picks, not the estimate the layout used."""
    drawn = svg(synthetic(300), lambda pid: f"#{pid}", "network", lambda n, noun: f"{n} {noun}")
    shutil.copy(REPO / "templates/static/style.css", tmp_path / "style.css")
    page_file = tmp_path / "network.html"
    page_file.write_text(
        '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="style.css"></head>'
        f'<body><main><figure class="network-figure">{drawn}</figure></main></body></html>',
        encoding="utf-8",
    )
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(page_file.as_uri())
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('svg .node')].map((a) => {
            const t = a.querySelector('text').getBBox(), c = a.querySelector('circle').getBBox();
            return [[t.x, t.y, t.x + t.width, t.y + t.height], [c.x, c.y, c.x + c.width, c.y + c.height]];
        })"""
    )
    if scheme == "light":
        page.screenshot(path=str(tmp_path / "network-300.png"), full_page=True)
    context.close()
    assert len(boxes) == 300
    clashes = [
        (i, j)
        for i in range(300)
        for j in range(300)
        if i != j and (overlap(boxes[i][0], boxes[j][0]) or overlap(boxes[i][0], boxes[j][1]))
    ]
    assert clashes == []
