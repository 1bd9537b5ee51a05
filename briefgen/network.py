"""Who meets whom: people who appear together, as a graph laid out at build time and drawn as SVG.

Two people are linked by the articles that name them both (as actors) and the events they both
take part in. The layout is computed here, deterministically (no randomness, sorted inputs), so
that two builds of the same content give the same bytes, and the SVG needs no JavaScript: each
node is a link to the person's page, and no label overlaps another label or node.
"""

from __future__ import annotations

import html
import math
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations

from .index import SiteIndex

MAX_PEOPLE = 300  # the network page shows at most the people in this many most articles
STRONGEST = 5  # each person's strongest links drawn on the network page (more would be a hairball)
EGO_NEIGHBOURS = 10  # people around the centre of a person page's small network
FONT_SIZE = 12.0  # px, of labels
LABEL_GAP = 4.0  # px between a node and its label
PAD = 3.0  # px kept free around each label and node
MARGIN = 12.0  # px around the drawing


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    articles: int


@dataclass(frozen=True, slots=True)
class Edge:
    a: str  # person ids, a < b
    b: str
    articles: int  # articles naming both as actors
    events: int  # events with both among their actors

    @property
    def weight(self) -> int:
        return self.articles + self.events


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: tuple[Node, ...]  # sorted by id
    edges: tuple[Edge, ...]  # sorted by (a, b)
    centre: str = ""  # for a person's small network: the person it is drawn around
    total: int = 0  # people on the site (nodes may hold fewer)


Links = dict[str, dict[str, tuple[int, int]]]  # person -> other -> (shared articles, shared events)


def cooccurrence(index: SiteIndex) -> Links:
    """Who appears with whom, both ways: articles naming both as actors, events with both."""
    links: Links = {pid: {} for pid in index.people}
    for pid, facts in index.facts.items():
        links[pid] = {other: (shared, 0) for other, shared in facts.co_actors}
    for event in index.events:
        for a, b in combinations(sorted(set(event.actors)), 2):
            for one, other in ((a, b), (b, a)):
                articles, events = links[one].get(other, (0, 0))
                links[one][other] = (articles, events + 1)
    return links


def _node(index: SiteIndex, pid: str) -> Node:
    return Node(pid, index.people[pid].name, len(index.facts[pid].articles))


def _edge(links: Links, a: str, b: str) -> Edge:
    a, b = min(a, b), max(a, b)
    articles, events = links[a][b]
    return Edge(a, b, articles, events)


def _strongest(around: dict[str, tuple[int, int]], among: set[str] | None = None) -> list[str]:
    others = [pid for pid in around if among is None or pid in among]
    return sorted(others, key=lambda pid: (-sum(around[pid]), pid))


def site_network(
    index: SiteIndex, links: Links, limit: int = MAX_PEOPLE, strongest: int = STRONGEST
) -> Graph:
    """The network page's graph: the `limit` most cited people, each with their strongest links."""
    kept = sorted(index.people, key=lambda pid: (-len(index.facts[pid].articles), pid))[:limit]
    ids = set(kept)
    drawn = {(min(a, b), max(a, b)) for a in kept for b in _strongest(links[a], ids)[:strongest]}
    return Graph(
        tuple(_node(index, pid) for pid in sorted(ids)),
        tuple(_edge(links, a, b) for a, b in sorted(drawn)),
        total=len(index.people),
    )


def ego_network(index: SiteIndex, links: Links, pid: str, limit: int = EGO_NEIGHBOURS) -> Graph:
    """A person and the `limit` people they appear with most, with the links among them all."""
    ids = sorted({pid, *_strongest(links[pid])[:limit]})
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if b in links[a]]
    return Graph(
        tuple(_node(index, p) for p in ids),
        tuple(_edge(links, a, b) for a, b in pairs),
        centre=pid,
        total=len(index.people),
    )


# --- Layout ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placed:
    node: Node
    x: float  # centre of the dot
    y: float
    r: float
    anchor: str  # text-anchor of the label: start (right of the dot), end (left) or middle (below)
    box: tuple[float, float, float, float]  # the label's (left, top, right, bottom), padded


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    placed: tuple[Placed, ...]  # in the order of graph.nodes


# Widths of characters in em, generous for the sans-serif fonts a reader may have (DejaVu Sans is
# the widest common one); a label's box is only as good as this guess, so it errs on the wide side.
_NARROW = set("ijlI.,;:'!|’ ")
_SEMI = set('frt()-"')
_WIDE = set("mwMW")


def text_width(text: str, size: float = FONT_SIZE) -> float:
    total = 0.0
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        if base in _NARROW:
            total += 0.34
        elif base in _SEMI:
            total += 0.44
        elif base in _WIDE:
            total += 1.0
        elif base.isascii():
            total += 0.78 if base.isupper() else 0.64
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            total += 1.05
        else:
            total += 0.8
    return total * size


def radius(node: Node) -> float:
    return min(12.0, 3.5 + 1.2 * math.sqrt(node.articles))


def _label_box(x: float, y: float, r: float, anchor: str, width: float) -> tuple[float, float, float, float]:
    height = FONT_SIZE * 1.25
    if anchor == "start":
        left = x + r + LABEL_GAP
        top = y - height / 2
    elif anchor == "end":
        left = x - r - LABEL_GAP - width
        top = y - height / 2
    else:
        left = x - width / 2
        top = y + r + 1
    return (left - PAD, top - PAD, left + width + PAD, top + height + PAD)


def _place(node: Node, x: float, y: float, anchor: str, width: float) -> Placed:
    r = radius(node)
    return Placed(node, x, y, r, anchor, _label_box(x, y, r, anchor, width))


def _dot_box(p: Placed) -> tuple[float, float, float, float]:
    return (p.x - p.r - PAD, p.y - p.r - PAD, p.x + p.r + PAD, p.y + p.r + PAD)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def force_layout(graph: Graph, iterations: int = 50) -> dict[str, complex]:
    """Positions from a force simulation (Fruchterman and Reingold, repulsion on a grid).

    Starts from a spiral with the best-linked people at the centre; links pull in proportion to
    the log of their weight. Pure arithmetic on sorted input: the same graph, the same positions.
    """
    ids = [n.id for n in graph.nodes]
    if not ids:
        return {}
    position_of = {pid: i for i, pid in enumerate(ids)}
    links = [(position_of[e.a], position_of[e.b], math.log2(1 + e.weight)) for e in graph.edges]
    strength = [0.0] * len(ids)
    for a, b, w in links:
        strength[a] += w
        strength[b] += w
    order = sorted(range(len(ids)), key=lambda i: (-strength[i], ids[i]))
    k = 100.0  # ideal distance between linked people, in px
    golden = math.pi * (3 - math.sqrt(5))
    pos = [0j] * len(ids)
    for rank, i in enumerate(order):
        pos[i] = k * 0.6 * math.sqrt(rank) * complex(math.cos(rank * golden), math.sin(rank * golden))
    cell = 1.6 * k  # repulsion reaches this far: the grid variant of the algorithm
    cell2, k2 = cell * cell, k * k
    for step in range(iterations):
        heat = k * 0.6 * (1 - step / iterations) + 1.0
        grid: dict[tuple[int, int], list[int]] = {}
        for i, p in enumerate(pos):
            grid.setdefault((math.floor(p.real / cell), math.floor(p.imag / cell)), []).append(i)
        move = [0j] * len(pos)
        xs = [p.real for p in pos]
        ys = [p.imag for p in pos]
        for (gx, gy), members in grid.items():
            around = [(gx + ox, gy + oy) for ox in (-1, 0, 1) for oy in (-1, 0, 1)]
            near = [grid[c] for c in around if c in grid]
            for i in members:
                p, x, y = pos[i], xs[i], ys[i]
                pushed = move[i]  # each sum made in the same order as ever: the same bytes
                for others in near:  # each in ascending order: those after i make each pair once
                    for j in others[bisect_right(others, i) :]:
                        dx = x - xs[j]
                        dy = y - ys[j]
                        q = dx * dx + dy * dy
                        if q < cell2:
                            push = (p - pos[j]) * (k2 / (q or 0.01))
                            pushed += push
                            move[j] -= push
                move[i] = pushed
        for a, b, w in links:
            d = pos[a] - pos[b]
            pull = d * (abs(d) / k) * (0.5 + 0.5 * w)
            move[a] -= pull
            move[b] += pull
        for i, p in enumerate(pos):
            m = move[i] - p * 0.05  # gravity keeps separate groups near
            size = abs(m)
            if size > heat:
                m *= heat / size
            pos[i] = p + m
    return {pid: pos[i] for i, pid in enumerate(ids)}


def _free(box: tuple[float, float, float, float], taken: _Grid) -> bool:
    return not any(_overlap(box, other) for other in taken.near(box))


class _Grid:
    """Boxes bucketed by area, to find the ones a new box could overlap."""

    def __init__(self, size: float = 120.0) -> None:
        self.size = size
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _cells(self, box: tuple[float, float, float, float]) -> Iterable[tuple[int, int]]:
        s = self.size
        for gx in range(math.floor(box[0] / s), math.floor(box[2] / s) + 1):
            for gy in range(math.floor(box[1] / s), math.floor(box[3] / s) + 1):
                yield (gx, gy)

    def add(self, box: tuple[float, float, float, float]) -> None:
        for key in self._cells(box):
            self.cells.setdefault(key, []).append(box)

    def near(self, box: tuple[float, float, float, float]) -> Iterable[tuple[float, float, float, float]]:
        for key in self._cells(box):
            yield from self.cells.get(key, ())


def place_labels(graph: Graph, positions: dict[str, complex]) -> list[Placed]:
    """Each node with its label where it overlaps no other label or dot.

    Best-linked people first: each tries its label right of the dot, left, then below; if none is
    free, the node moves outward from the centre, step by step, until one is.
    """
    nodes = {n.id: n for n in graph.nodes}
    weight = Counter[str]()
    for e in graph.edges:
        weight[e.a] += e.weight
        weight[e.b] += e.weight
    order = sorted(nodes, key=lambda pid: (pid != graph.centre, -weight[pid], -nodes[pid].articles, pid))
    taken = _Grid()
    placed: dict[str, Placed] = {}
    for pid in order:
        p = positions[pid]
        outward = p / abs(p) if abs(p) > 1 else complex(0, 1)
        anchors = ("start", "end", "middle") if p.real >= 0 else ("end", "start", "middle")
        found = None
        width = text_width(nodes[pid].name)
        for step in range(2000):
            here = p + outward * (step * 6.0)
            for anchor in anchors:
                candidate = _place(nodes[pid], here.real, here.imag, anchor, width)
                if _free(candidate.box, taken) and _free(_dot_box(candidate), taken):
                    found = candidate
                    break
            if found is not None:
                break
        assert found is not None  # far enough out, everything is free
        taken.add(found.box)
        taken.add(_dot_box(found))
        placed[pid] = found
    return [placed[n.id] for n in graph.nodes]


def ego_positions(graph: Graph) -> dict[str, complex]:
    """The centre in the middle, the others around it on a circle, the closest ones first from the top."""
    others = [n.id for n in graph.nodes if n.id != graph.centre]
    spokes = [e for e in graph.edges if graph.centre in (e.a, e.b)]
    weight = {(e.b if e.a == graph.centre else e.a): e.weight for e in spokes}
    others.sort(key=lambda pid: (-weight.get(pid, 0), pid))
    ring = 70.0 + 9.0 * len(others)
    positions = {graph.centre: 0j}
    for i, pid in enumerate(others):
        angle = 2 * math.pi * i / max(1, len(others)) - math.pi / 2
        positions[pid] = ring * complex(math.cos(angle), math.sin(angle))
    return positions


def _spread(graph: Graph, positions: dict[str, complex]) -> dict[str, complex]:
    """Positions scaled up until the drawing has room for about three times its labels' area,
    so that most labels fit where their node is."""
    if len(positions) < 2:
        return positions
    needed = 3 * sum((text_width(n.name) + 2 * PAD + 20) * (FONT_SIZE * 1.25 + 2 * PAD) for n in graph.nodes)
    xs = [p.real for p in positions.values()]
    ys = [p.imag for p in positions.values()]
    area = max(1.0, (max(xs) - min(xs)) * (max(ys) - min(ys)))
    scale = math.sqrt(needed / area)
    return positions if scale <= 1 else {pid: p * scale for pid, p in positions.items()}


def layout(graph: Graph) -> Layout:
    """Positions and labels for `graph`, moved so that everything fits from (MARGIN, MARGIN)."""
    positions = ego_positions(graph) if graph.centre else _spread(graph, force_layout(graph))
    placed = place_labels(graph, positions)
    if not placed:
        return Layout(2 * MARGIN, 2 * MARGIN, ())
    boxes = [b for p in placed for b in (p.box, _dot_box(p))]
    left = min(b[0] for b in boxes) - MARGIN
    top = min(b[1] for b in boxes) - MARGIN
    right = max(b[2] for b in boxes) + MARGIN
    bottom = max(b[3] for b in boxes) + MARGIN
    shifted = tuple(
        Placed(
            p.node,
            p.x - left,
            p.y - top,
            p.r,
            p.anchor,
            (p.box[0] - left, p.box[1] - top, p.box[2] - left, p.box[3] - top),
        )
        for p in placed
    )
    return Layout(math.ceil(right - left), math.ceil(bottom - top), shifted)


# --- Drawing ---------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    """A quoted attribute value, as xml.sax.saxutils.quoteattr writes it: that module imports
    urllib.request (and with it http.client and email), which every command paid for at start."""
    text = _text(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def svg(graph: Graph, href: Callable[[str], str], title: str, count: Callable[[int, str], str]) -> str:
    """The drawing: edges (thicker for more shared articles and events), then linked nodes.

    `count(n, "articles")` words the numbers in tooltips (`3 articles`, `1 event`).
    """
    drawn = layout(graph)
    at = {p.node.id: p for p in drawn.placed}
    w, h = drawn.width, drawn.height
    lines = [
        f'<svg class="network" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" aria-label={_attr(title)} font-size="{FONT_SIZE:g}" '
        f'font-family="system-ui, Noto Sans, DejaVu Sans, sans-serif">',
        '<g class="edges">',
    ]
    for e in graph.edges:
        a, b = at[e.a], at[e.b]
        width = round(min(6.0, 0.8 + 0.9 * math.log2(1 + e.weight)), 1)
        tip = f"{a.node.name} – {b.node.name}: {count(e.articles, 'articles')}, {count(e.events, 'events')}"
        spoke = ' class="spoke"' if graph.centre in (e.a, e.b) else ""
        lines.append(
            f'<line{spoke} x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}" '
            f'stroke-width="{width}"><title>{_text(tip)}</title></line>'
        )
    lines.append("</g>")
    lines.append('<g class="nodes">')
    for p in drawn.placed:
        css = "node centre" if p.node.id == graph.centre else "node"
        if p.anchor == "start":
            tx, ty = p.x + p.r + LABEL_GAP, p.y
        elif p.anchor == "end":
            tx, ty = p.x - p.r - LABEL_GAP, p.y
        else:
            tx, ty = p.x, p.y + p.r + 1 + FONT_SIZE * 0.625
        tip = f"{p.node.name} · {count(p.node.articles, 'articles')}"
        lines.append(
            f'<a class="{css}" href={_attr(href(p.node.id))}><title>{_text(tip)}</title>'
            f'<circle cx="{p.x:.1f}" cy="{p.y:.1f}" r="{p.r:.1f}"/>'
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{p.anchor}" '
            f'dominant-baseline="central">{_text(p.node.name)}</text></a>'
        )
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines)


def strongest_pairs(graph: Graph, limit: int = 30) -> list[tuple[Edge, Node, Node]]:
    """The pairs seen together most, for the list under the drawing."""
    nodes = {n.id: n for n in graph.nodes}
    ranked = sorted(graph.edges, key=lambda e: (-e.weight, e.a, e.b))[:limit]
    return [(e, nodes[e.a], nodes[e.b]) for e in ranked]
