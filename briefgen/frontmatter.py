"""Split a Markdown file into its YAML front matter and its body; pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError
from .yamlnodes import DEFAULT_LIMITS, Map, Node, YamlLimits, kind_of, parse_yaml

FENCE = "---"


@dataclass(frozen=True, slots=True)
class Document:
    meta: Map
    body: str
    body_line: int  # file line where the body starts
    front: str  # the front matter's text, between the fences
    body_start: int  # where the body starts in the text: body == text[body_start:]


def split(text: str, path: Path, limits: YamlLimits = DEFAULT_LIMITS, max_front_bytes: int = 0) -> Document:
    """Front matter must open on the first line with `---` and close with a later `---` line.

    `max_front_bytes` (0: no limit) bounds the front matter's size, `limits` its YAML.
    """
    try:
        yaml_text, body, body_line = _fences(text)
    except ValueError as error:
        raise ContentError(path, 1, str(error)) from None
    too_big = max_front_bytes and len(yaml_text) > max_front_bytes // 4  # else it cannot be: skip encoding
    if too_big and len(yaml_text.encode()) > max_front_bytes:
        raise ContentError(
            path,
            1,
            f"the front matter (lines 2-{body_line - 2}) is over the limit of {max_front_bytes // 1024:,} KB "
            "(limits.front_matter_kb in briefgen.yaml); keep long text in the body",
        )
    meta = _as_mapping(parse_yaml(yaml_text, path, first_line=2, limits=limits), path)
    return Document(meta, body, body_line, yaml_text, len(text) - len(body))


def split_raw(text: str) -> tuple[str, str]:
    """(front matter text, body) without parsing: a rebuild compares them with the last build's."""
    yaml_text, body, _ = _fences(text)
    return yaml_text, body


def _fences(text: str) -> tuple[str, str, int]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FENCE:
        raise ValueError("missing front matter: the file must start with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise ValueError("front matter is not closed: add a '---' line after it")


def _as_mapping(node: Node | None, path: Path) -> Map:
    if node is None:
        return Map((), 2)
    if not isinstance(node, Map):
        raise ContentError(
            path,
            node.line,
            f"front matter must be a mapping of keys to values, not {kind_of(node)}",
        )
    return node
