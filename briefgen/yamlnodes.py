"""YAML read as a tree of strings with line numbers: no YAML 1.1 type guessing ever reaches the model.

Every scalar stays text (`NO` is the string "NO", `3.10` is "3.10"); content.py decides what each
field means. Line numbers are 1-based and point at the key or value a message is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .errors import ContentError
from .pickling import fast_pickle

if TYPE_CHECKING:
    import yaml

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
MAX_DEPTH = 100  # lists in lists: far beyond any front matter, well within Python's recursion limit


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How big one document may be: values once aliases are expanded, entries of one list or mapping.

    Both are checked on the composed graph, where an alias is one shared node, before anything is
    expanded: a "billion laughs" document is refused in microseconds instead of exhausting memory.
    0 means no limit.
    """

    nodes: int = 20_000
    items: int = 1000


DEFAULT_LIMITS = YamlLimits()


@fast_pickle
@dataclass(frozen=True, slots=True)
class Scalar:
    text: str
    line: int
    quoted: bool

    @property
    def is_null(self) -> bool:
        return not self.quoted and self.text in NULLS


@fast_pickle
@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    line: int


@fast_pickle
@dataclass(frozen=True, slots=True)
class Map:
    entries: tuple[tuple[Scalar, Node], ...]
    line: int

    def get(self, key: str) -> Node | None:
        for k, v in self.entries:
            if k.text == key:
                return v
        return None


Node = Scalar | Seq | Map


def kind_of(node: Node) -> str:
    """A reader's word for a node's kind, for error messages."""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    return "empty" if node.is_null else "text"


def parse_yaml(
    text: str, path: Path, first_line: int = 1, limits: YamlLimits = DEFAULT_LIMITS
) -> Node | None:
    """Parse one YAML document into nodes; `first_line` is the file line where `text` starts."""
    import yaml  # here, not at the top: a rebuild that parses nothing starts without PyYAML

    # Only the node tree is used, never YAML's own types, so the base resolver (no implicit tags)
    # is enough, and cheaper. The C composer is several times faster; PyYAML built without
    # libyaml has only the Python one.
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        opened = error.context_mark
        unclosed = (error.context or "").startswith("while parsing a flow")
        if opened is not None and mark is not None and (mark.index >= len(text.rstrip()) or unclosed):
            mark = opened  # an unclosed '[', '{' or quote: blame the line that opened it
        line = first_line + mark.line if mark is not None else first_line
        problem = error.problem or error.context or "invalid YAML"
        raise ContentError(path, line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ContentError(path, first_line, f"YAML syntax error: {error}") from None
    if root is None:
        return None
    if "&" in text:  # without an anchor there is no alias: nothing expands, _convert checks the rest
        _check_size(root, path, first_line - 1, limits)
    return _convert(root, path, first_line - 1, (), limits.items)


def _check_size(root: yaml.Node, path: Path, offset: int, limits: YamlLimits) -> None:
    """Refuse a document too big once expanded, or with too long a list, before expanding it."""
    sizes: dict[int, int] = {}  # node id -> values under it, aliases counted each time they occur

    def size(node: yaml.Node, open_nodes: set[int]) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        line = offset + node.start_mark.line + 1
        if id(node) in open_nodes:
            raise ContentError(path, line, "recursive YAML aliases are not allowed")
        if len(open_nodes) > MAX_DEPTH:
            raise ContentError(path, line, f"YAML nested more than {MAX_DEPTH} levels deep")
        total = 1
        if type(node).__name__ != "ScalarNode":
            children = node.value if type(node).__name__ == "SequenceNode" else [v for _, v in node.value]
            _check_items(len(children), limits.items, path, line)
            open_nodes.add(id(node))
            for child in children:
                total += size(child, open_nodes)
                if limits.nodes and total > limits.nodes:
                    raise ContentError(
                        path,
                        line,
                        f"the YAML expands to more than {limits.nodes:,} values (an alias such as *a "
                        "repeats everything its anchor names); limits.yaml_nodes in briefgen.yaml",
                    )
            open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root, set())


def _check_items(count: int, limit: int, path: Path, line: int) -> None:
    if limit and count > limit:
        raise ContentError(
            path,
            line,
            f"a list or mapping of {count:,} entries is over the limit of {limit:,} "
            "(limits.list_items in briefgen.yaml)",
        )


def _convert(node: yaml.Node, path: Path, offset: int, seen: tuple[int, ...], items: int) -> Node:
    """The node as Scalar, Seq and Map; `seen` holds its ancestors, `items` the list limit."""
    line = offset + node.start_mark.line + 1
    if id(node) in seen:
        raise ContentError(path, line, "recursive YAML aliases are not allowed")
    kind = type(node).__name__  # by name: PyYAML is imported only by parse_yaml
    if kind == "ScalarNode":
        return Scalar(str(node.value), line, cast("yaml.ScalarNode", node).style not in (None, ""))
    if len(seen) > MAX_DEPTH:
        raise ContentError(path, line, f"YAML nested more than {MAX_DEPTH} levels deep")
    _check_items(len(node.value), items, path, line)
    inner = (*seen, id(node))
    if kind == "SequenceNode":
        return Seq(tuple(_convert(item, path, offset, inner, items) for item in node.value), line)
    if kind == "MappingNode":
        entries: list[tuple[Scalar, Node]] = []
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, offset, inner, items)
            if not isinstance(key, Scalar):
                raise ContentError(path, key.line, "a key must be plain text")
            if key.text == "<<":
                raise ContentError(path, key.line, "YAML merge keys ('<<') are not supported")
            if key.text in keys:
                raise ContentError(
                    path, key.line, f"duplicate key '{key.text}' (first at line {keys[key.text]})"
                )
            keys[key.text] = key.line
            entries.append((key, _convert(value_node, path, offset, inner, items)))
        return Map(tuple(entries), line)
    raise ContentError(path, line, "unsupported YAML node")  # pragma: no cover
