"""The theme in real headless Chromium: every text on the main pages is readable in light and dark mode.

Contrast is measured as WCAG 2 defines it, on the colours Chromium computes: at least 4.5:1 for
text, 3:1 for large text (24 px, or 18.66 px bold) and for the marks that carry meaning (the
timeline's dots, the PDF button's border, the nodes of the network).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM, REPO

from briefgen.build import build
from briefgen.config import load_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

PAGES = [
    "index.html",
    "articles/2023-06-18-blinken-arrive-a-pekin/index.html",
    "articles/2023-06-18-qin-gang-puts-taiwan-first/index.html",
    "people/antony-blinken/index.html",
    "people/index.html",
    "timeline/index.html",
    "topics/diplomacy/index.html",
    "days/2023-06-18/index.html",
    "archive/index.html",
    "network/index.html",
]

# For each element showing text of its own, its contrast with the background painted under it
# (backgrounds composited up the tree until an opaque one); and the same for the marks named above.
MEASURE = """
() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  };
  const over = (top, under) => top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
    }
    let result = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) {
      result = matchMedia('(prefers-color-scheme: dark)').matches ? [18, 18, 18, 1] : result;
    }
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const found = [];
  for (const e of document.querySelectorAll('body *')) {
    const style = getComputedStyle(e);
    if (!e.getClientRects().length || style.visibility === 'hidden') continue;
    if (e.closest('.skip')) continue;  // off screen until focused
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const bg = background(e);
    if (own && !(e instanceof SVGElement)) {
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
      const fg = over(parse(style.color), bg);
      found.push({what: e.tagName.toLowerCase() + '.' + e.className, text: e.textContent.trim().slice(0, 40),
                  ratio: ratio(fg, bg), need: large ? 3 : 4.5});
    }
    if (e instanceof SVGElement && own) {
      found.push({what: 'svg ' + e.tagName, text: e.textContent.trim().slice(0, 40),
                  ratio: ratio(over(parse(style.fill), bg), bg), need: 4.5});
    }
  }
  for (const e of document.querySelectorAll('.timeline .event')) {
    const dot = parse(getComputedStyle(e, '::before').backgroundColor);
    const under = background(e);
    found.push({what: 'timeline dot', text: '', ratio: ratio(over(dot, under), under), need: 3});
  }
  for (const e of document.querySelectorAll('.digest-link')) {
    const border = parse(getComputedStyle(e).borderTopColor);
    found.push({what: 'digest button border', text: '', ratio: ratio(border, background(e)), need: 3});
  }
  for (const e of document.querySelectorAll('svg .node circle')) {
    const svg = e.closest('svg');
    const fill = parse(getComputedStyle(e).fill);
    found.push({what: 'network node', text: '', ratio: ratio(fill, background(svg)), need: 3});
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("theme") / "project"
    shutil.copytree(REPO / "content", root / "content")
    root.joinpath("briefgen.yaml").write_text("title: Briefing\ndigest:\n  enabled: true\n")
    build(load_config(root), digests=False)
    return root / "site"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_on_the_main_pages_meets_wcag_aa_contrast(browser, sample_site, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    failures = []
    measured = 0
    kinds = set()
    for relative in PAGES:
        assert (sample_site / relative).is_file(), relative
        page.goto((sample_site / relative).as_uri())
        for item in page.evaluate(MEASURE):
            measured += 1
            kinds.add(item["what"].split(".")[0])
            if item["ratio"] < item["need"]:
                failures.append(f"{relative}: {item['what']} {item['text']!r}: {item['ratio']:.2f}:1")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert failures == []
    assert measured > 500
    assert {"a", "p", "h1", "h2", "span", "svg text"} <= kinds
    assert {"timeline dot", "digest button border", "network node"} <= kinds
    # the scheme really applies: a dark page in dark mode, a white one otherwise
    assert background == ("rgb(20, 24, 29)" if scheme == "dark" else "rgb(255, 255, 255)")


def test_the_pages_fit_a_phone_and_only_the_drawings_scroll_sideways(browser, sample_site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    wide = {}
    for relative in PAGES:
        page.goto((sample_site / relative).as_uri())
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 390:
            wide[relative] = width
    page.goto((sample_site / "people/antony-blinken/index.html").as_uri())
    figure = page.evaluate(
        "(() => { const f = document.querySelector('.person-network figure');"
        " return [f.clientWidth, f.scrollWidth]; })()"
    )
    context.close()
    assert wide == {}
    assert figure[0] < 390 < figure[1]  # the small network is wider than a phone: its figure scrolls
