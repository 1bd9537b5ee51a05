"""Typed reads of one YAML file's fields, with every problem kept with its line; dates and
the text of files.

Nothing here raises for a mistake in a field: `Fields` collects problems so that one run reports
every one of them. A file that cannot be read at all raises ContentError (`read_text`, `decode`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LANG_RE, parse_bool, suggest
from ..errors import ContentError, Problem
from ..files import Files
from ..yamlnodes import Map, Node, Scalar, Seq, kind_of

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_HINT = "use YYYY-MM-DD or an ISO datetime such as 2023-06-18T09:30:00+08:00"


def read_text(path: Path, files: Files) -> str:
    """A file's text; a byte that is not UTF-8 is an error naming the file and its line."""
    return decode(files.read(path), path)


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ContentError(
            path, line, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from None


@dataclass(slots=True)
class Report:
    """Problems (errors) and warnings found while loading, in the order found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def given(node: Map, key: str) -> Node | None:
    """The value of `key`, or None when the key is missing or its value is null (`key:`, `~`)."""
    value = node.get(key)
    return None if value is None or (isinstance(value, Scalar) and value.is_null) else value


@dataclass(slots=True)
class Fields:
    """Typed reads from YAML nodes for one file, collecting problems instead of stopping."""

    path: Path
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(ContentError(self.path, line, message))

    def mapping(self, node: Node, where: str) -> Map | None:
        if isinstance(node, Map):
            return node
        self.error(node.line, f"{where} must be a mapping, not {kind_of(node)}")
        return None

    def keys(self, node: Map, allowed: tuple[str, ...], where: str = "") -> None:
        for key, _ in node.entries:
            if key.text not in allowed:
                name = f"{where}.{key.text}" if where else key.text
                self.error(key.line, f"unknown key '{name}'{suggest(key.text, allowed)}")

    def text(self, node: Map, key: str, where: str = "", required: bool = False) -> str | None:
        label = f"{where}.{key}" if where else key
        value = given(node, key)
        if value is None:
            if required:
                self.error((node.get(key) or node).line, f"missing required field '{label}'")
            return None
        if not isinstance(value, Scalar):
            self.error(value.line, f"{label} must be text, not {kind_of(value)}")
            return None
        if required and not value.text.strip():
            self.error(value.line, f"{label} must not be empty")
            return None
        return value.text.strip()

    def texts(self, node: Map, key: str, where: str = "") -> list[Scalar]:
        label = f"{where}.{key}" if where else key
        value = given(node, key)
        if value is None:
            return []
        if not isinstance(value, Seq):
            self.error(value.line, f"{label} must be a list such as [a, b], not {kind_of(value)}")
            return []
        items: list[Scalar] = []
        for index, item in enumerate(value.items, 1):
            if isinstance(item, Scalar) and item.text.strip():
                items.append(item)
            else:
                what = "empty" if isinstance(item, Scalar) else kind_of(item)
                self.error(item.line, f"{label}[{index}] must be text, not {what}")
        return items

    def items(self, node: Map, key: str) -> list[tuple[int, Map]]:
        value = given(node, key)
        if value is None:
            return []
        if not isinstance(value, Seq):
            self.error(value.line, f"{key} must be a list, not {kind_of(value)}")
            return []
        found = []
        for index, item in enumerate(value.items, 1):
            mapping = self.mapping(item, f"{key}[{index}]")
            if mapping is not None:
                found.append((index, mapping))
        return found

    def when(
        self,
        node: Map,
        key: str,
        tz: dt.tzinfo,
        where: str = "",
        required: bool = False,
        site_day: bool = False,
    ) -> tuple[dt.date, dt.datetime | None] | None:
        label = f"{where}.{key}" if where else key
        text = self.text(node, key, where, required)
        if text is None:
            return None
        value = node.get(key)
        assert value is not None
        try:
            return parse_when(text, tz, site_day)
        except ValueError as error:
            reason = str(error)
            detail = f" ({reason})" if "out of range" in reason else f"; {DATE_HINT}"
            self.error(value.line, f"{label}: '{text}' is not a valid date{detail}")
            return None

    def localized(
        self, node: Map, key: str, lang: str, where: str = ""
    ) -> tuple[tuple[str, str], ...] | None:
        """Text, or a mapping of language tags to texts (`{fr: ..., en: ...}`): (language, text) pairs."""
        value = node.get(key)
        if not isinstance(value, Map):
            text = self.text(node, key, where, required=True)
            return ((lang, text),) if text is not None else None
        label = f"{where}.{key}" if where else key
        found = []
        for tag, item in value.entries:
            if not LANG_RE.match(tag.text):
                self.error(tag.line, f"{label}: '{tag.text}' is not a language tag such as fr or en-GB")
            elif not isinstance(item, Scalar) or item.is_null or not item.text.strip():
                self.error(item.line, f"{label}.{tag.text} must be text")
            else:
                found.append((tag.text, item.text.strip()))
        if not value.entries:
            self.error(value.line, f"{label} must give at least one language")
        return tuple(found) or None

    def date(self, node: Map, key: str, where: str = "") -> dt.date | None:
        found = self.when(node, key, dt.UTC, where)
        return found[0] if found else None

    def flag(self, node: Map, key: str) -> bool:
        value = given(node, key)
        if value is None:
            return False
        parsed = parse_bool(value)
        if parsed is None:
            self.error(value.line, f"{key} must be true or false")
            return False
        return parsed


def parse_when(text: str, tz: dt.tzinfo, site_day: bool = False) -> tuple[dt.date, dt.datetime | None]:
    """A date, or a datetime kept in the offset it is written with (naive ones take the site's
    timezone), and its day: its date there, or in the site's timezone with `site_day`."""
    if DATE_ONLY.match(text):
        return dt.date.fromisoformat(text), None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    offset = moment.utcoffset()
    assert offset is not None
    try:
        moment = moment.astimezone(dt.timezone(offset))  # a fixed offset: no zone rules to apply later
        local = moment.astimezone(tz)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last date Python can hold
        raise ValueError("date value out of range") from None
    return (local.date() if site_day else moment.date()), moment


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Where an event with a date and no time sorts among timed ones: its day's start on the site."""
    try:
        return dt.datetime.combine(day, dt.time.min, tz).astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.combine(day, dt.time.min, dt.UTC)


def shown_path(path: Path, root: Path) -> str:
    """A file named inside a message, relative to the project folder like the `path:line:` before it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def is_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")
