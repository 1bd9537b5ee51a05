"""YAML read as a tree of strings with line numbers: no YAML 1.1 type guessing ever reaches the model.

Every scalar stays text (`NO` is the string "NO", `3.10` is "3.10"); content.py decides what each
field means. Line numbers are 1-based and point at the key or value a message is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError
from .model import fast_pickle

# Only the node tree is used, never YAML's own types, so the base resolver (no implicit tags) is
# enough, and cheaper. The C composer is several times faster; fall back where libyaml is absent.
try:
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]

NULLS = frozenset({"", "~", "null", "Null", "NULL"})


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


def parse_yaml(text: str, path: Path, first_line: int = 1) -> Node | None:
    """Parse one YAML document into nodes; `first_line` is the file line where `text` starts."""
    try:
        root = yaml.compose(text, Loader=_Loader)
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
    return _convert(root, path, first_line - 1, ())


def _convert(node: yaml.Node, path: Path, offset: int, seen: tuple[int, ...]) -> Node:
    line = offset + node.start_mark.line + 1
    if id(node) in seen:
        raise ContentError(path, line, "recursive YAML aliases are not allowed")
    if isinstance(node, yaml.ScalarNode):
        return Scalar(str(node.value), line, node.style not in (None, ""))
    inner = (*seen, id(node))
    if isinstance(node, yaml.SequenceNode):
        return Seq(tuple(_convert(item, path, offset, inner) for item in node.value), line)
    if isinstance(node, yaml.MappingNode):
        entries: list[tuple[Scalar, Node]] = []
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, offset, inner)
            if not isinstance(key, Scalar):
                raise ContentError(path, key.line, "a key must be plain text")
            if key.text == "<<":
                raise ContentError(path, key.line, "YAML merge keys ('<<') are not supported")
            if key.text in keys:
                raise ContentError(
                    path, key.line, f"duplicate key '{key.text}' (first at line {keys[key.text]})"
                )
            keys[key.text] = key.line
            entries.append((key, _convert(value_node, path, offset, inner)))
        return Map(tuple(entries), line)
    raise ContentError(path, line, "unsupported YAML node")  # pragma: no cover
