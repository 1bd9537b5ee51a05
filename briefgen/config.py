"""Site settings: the SiteConfig record and load_config(), which reports every bad setting at once."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem, Problems
from .yamlnodes import Map, Node, Scalar, kind_of, parse_yaml

CONFIG_FILE = "briefgen.yaml"
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
SUPPORTED_UI = ("en", "fr")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Every setting, with its default; docs/config.md documents each one (a test checks it)."""

    root: Path = Path(".")
    title: str = "Briefing"
    description: str = ""
    base_url: str = ""
    language: str = "en"
    timezone: str = "UTC"
    content_dir: Path = Path("content")
    output_dir: Path = Path("site")
    templates_dir: Path = Path("templates")
    static_dir: Path = Path("static")
    strict: bool = False
    drafts: bool = False
    directory_urls: bool = False
    home_days: int = 7
    related_articles: int = 5

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path


# Settings a user may write in briefgen.yaml: name -> kind. `paths` is a nested mapping.
_TEXT = ("title", "description", "base_url", "language", "timezone")
_BOOL = ("strict", "drafts", "directory_urls")
_INT = ("home_days", "related_articles")
_PATHS = {
    "content": "content_dir",
    "output": "output_dir",
    "templates": "templates_dir",
    "static": "static_dir",
}
KNOWN = (*_TEXT, *_BOOL, *_INT, "paths")


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """`; did you mean 'x'?` when a close choice exists, else the list of choices."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f" (known: {', '.join(sorted(choices))})"


def parse_bool(node: Node) -> bool | None:
    if isinstance(node, Scalar) and not node.is_null:
        lowered = node.text.lower()
        if lowered in ("true", "yes", "on"):
            return True
        if lowered in ("false", "no", "off"):
            return False
    return None


def load_config(root: Path, **overrides: Any) -> SiteConfig:
    """Read `root/briefgen.yaml` if present; command-line `overrides` (not None) win."""
    path = root / CONFIG_FILE
    values: dict[str, Any] = {"root": root}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    if path.is_file():
        try:
            text = path.read_bytes().decode("utf-8")
            node = parse_yaml(text, path)
        except UnicodeDecodeError:
            raise Problems([ConfigError(path, None, "not valid UTF-8")]) from None
        except Problem as error:
            raise Problems([ConfigError(error.path, error.line, error.message)]) from None
        if node is not None:
            if isinstance(node, Map):
                _read(node, path, values, lines, problems)
            else:
                problems.append(
                    ConfigError(path, node.line, f"settings must be a mapping, not {kind_of(node)}")
                )
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = SiteConfig(**values)
    problems.extend(_check(config, path, lines))
    if problems:
        raise Problems(problems)
    return config


def _read(
    node: Map, path: Path, values: dict[str, Any], lines: dict[str, int], problems: list[Problem]
) -> None:
    for key, value in node.entries:
        name = key.text
        lines[name] = value.line
        if name not in KNOWN:
            problems.append(ConfigError(path, key.line, f"unknown setting '{name}'{suggest(name, KNOWN)}"))
        elif name == "paths":
            _read_paths(value, path, values, problems)
        elif isinstance(value, Scalar) and value.is_null:
            continue
        elif name in _TEXT:
            if isinstance(value, Scalar):
                values[name] = value.text
            else:
                problems.append(ConfigError(path, value.line, f"{name} must be text, not {kind_of(value)}"))
        elif name in _BOOL:
            flag = parse_bool(value)
            if flag is None:
                problems.append(ConfigError(path, value.line, f"{name} must be true or false"))
            else:
                values[name] = flag
        elif name in _INT:
            if isinstance(value, Scalar) and value.text.isdigit():
                values[name] = int(value.text)
            else:
                problems.append(ConfigError(path, value.line, f"{name} must be a whole number"))


def _read_paths(node: Node, path: Path, values: dict[str, Any], problems: list[Problem]) -> None:
    if not isinstance(node, Map):
        problems.append(ConfigError(path, node.line, f"paths must be a mapping, not {kind_of(node)}"))
        return
    for key, value in node.entries:
        if key.text not in _PATHS:
            hint = suggest(key.text, list(_PATHS))
            problems.append(ConfigError(path, key.line, f"unknown path 'paths.{key.text}'{hint}"))
        elif not isinstance(value, Scalar) or value.is_null:
            problems.append(ConfigError(path, value.line, f"paths.{key.text} must be a folder name"))
        else:
            values[_PATHS[key.text]] = Path(value.text)


def _check(config: SiteConfig, path: Path, lines: dict[str, int]) -> list[Problem]:
    """Checks on values, wherever they came from; a value from the command line has no line."""
    problems: list[Problem] = []
    if not LANG_RE.match(config.language):
        problems.append(
            ConfigError(path, lines.get("language"), f"language '{config.language}' is not a language tag")
        )
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(config.timezone, sorted(zoneinfo.available_timezones()))
        if hint.startswith(" (known"):
            hint = " (use an IANA name such as 'Europe/Paris')"
        problems.append(
            ConfigError(path, lines.get("timezone"), f"unknown timezone '{config.timezone}'{hint}")
        )
    if config.base_url and not re.match(r"^https?://", config.base_url):
        problems.append(
            ConfigError(path, lines.get("base_url"), "base_url must start with http:// or https://")
        )
    return problems


def setting_names() -> list[str]:
    """Every user-facing setting name, as written in briefgen.yaml (for docs and tests)."""
    names = [f.name for f in fields(SiteConfig) if f.name not in ("root", *_PATHS.values())]
    return names + [f"paths.{key}" for key in _PATHS]


__all__ = ["SiteConfig", "load_config", "replace", "setting_names"]
