"""Site settings: SiteConfig and its sections, and load_config(), which reports every bad setting at once.

Each setting is a dataclass field; its type says how briefgen.yaml spells it (text, true/false,
a whole number, a list, or a nested section). A field's `key` metadata renames it in YAML where the
natural word is a Python keyword (`mail.from`). docs/config.md documents every setting (tested).
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem, Problems
from .yamlnodes import Map, Node, Scalar, Seq, YamlLimits, kind_of, parse_yaml

CONFIG_FILE = "briefgen.yaml"
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
PAPER_SIZES = ("A4", "Letter")
SECURITY = ("starttls", "ssl", "none")
MENTIONS = ("off", "first", "all")


@dataclass(frozen=True, slots=True)
class Paths:
    content: Path = Path("content")
    output: Path = Path("site")
    templates: Path = Path("templates")
    static: Path = Path("static")


@dataclass(frozen=True, slots=True)
class DigestConfig:
    enabled: bool = True
    paper: str = "A4"
    pdfa: bool = False
    allow_network: bool = False
    timeout: float = 300.0  # seconds one day's PDF may take to render; 0: no limit
    memory_mb: int = 2048  # MiB one day's renderer may use beyond what it shares with the build; 0: none


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 0  # 0: the usual port for `security` (587, 465 or 25)
    user: str = ""
    security: str = "starttls"
    timeout: float = 30.0  # seconds to wait for the server at each step
    retries: int = 3  # further attempts after a transient failure (connection lost, 4xx)
    backoff: float = 2.0  # seconds before the first retry; doubled before each next one


@dataclass(frozen=True, slots=True)
class MailConfig:
    sender: str = field(default="", metadata={"key": "from"})
    recipients: tuple[str, ...] = field(default=(), metadata={"key": "to"})
    subject: str = "{title} — {date} — {articles}"
    max_attachment_mb: float = 10.0
    unsubscribe: str = ""  # a mailto: address or an http(s) URL, sent as List-Unsubscribe
    smtp: SmtpConfig = field(default_factory=SmtpConfig)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one content file may hold, so that hostile input fails fast with a message."""

    file_mb: float = 2.0  # an article or person file
    front_matter_kb: float = 64.0
    list_items: int = 1000  # entries of one YAML list or mapping
    yaml_nodes: int = 20_000  # values in one YAML document once its aliases are expanded

    @property
    def yaml(self) -> YamlLimits:
        return YamlLimits(nodes=self.yaml_nodes, items=self.list_items)

    @property
    def front_matter_bytes(self) -> int:
        return int(self.front_matter_kb * 1024)


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Every setting, with its default."""

    root: Path = field(default=Path("."), metadata={"internal": True})
    title: str = "Briefing"
    description: str = ""
    base_url: str = ""
    language: str = "en"
    timezone: str = "UTC"
    day_zone: str = "source"  # a datetime's day: in the offset it is written with, or "site"
    strict: bool = False
    drafts: bool = False
    directory_urls: bool = False
    home_days: int = 7
    related_articles: int = 5
    page_items: int = 200  # at most this many articles, and events, on a person's, topic's or place's page
    timeline_events: int = 1000  # at most this many events on timeline/, the latest months; 0: all
    mentions: str = "first"  # people's names in article bodies linked to their pages: off, first, all
    jobs: int = 0  # processes that parse and render, the build process included; 0: one per core
    follow_symlinks: bool = True  # only links that stay inside the project are ever followed
    paths: Paths = field(default_factory=Paths)
    digest: DigestConfig = field(default_factory=DigestConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    limits: Limits = field(default_factory=Limits)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path

    @property
    def content_dir(self) -> Path:
        return self.resolve(self.paths.content)

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.paths.output)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.paths.templates)

    @property
    def static_dir(self) -> Path:
        return self.resolve(self.paths.static)


DAY_ZONES = ("source", "site")
_SECRETS = {"password", "smtp_password", "pass", "secret"}


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


def _yaml_key(f: Any) -> str:
    return str(f.metadata.get("key", f.name))


def _section_fields(cls: type) -> dict[str, Any]:
    return {_yaml_key(f): f for f in fields(cls) if not f.metadata.get("internal")}


_SECTIONS: dict[str, type] = {
    "Paths": Paths,
    "DigestConfig": DigestConfig,
    "SmtpConfig": SmtpConfig,
    "MailConfig": MailConfig,
    "Limits": Limits,
}


def setting_names(cls: type = SiteConfig, prefix: str = "") -> list[str]:
    """Every setting as written in briefgen.yaml, nested ones dotted (`mail.smtp.host`)."""
    names = []
    for key, f in _section_fields(cls).items():
        section = _SECTIONS.get(str(f.type))
        names.extend(setting_names(section, f"{prefix}{key}.") if section else [f"{prefix}{key}"])
    return names


class _Reader:
    """Turns a YAML mapping into dataclass values, collecting every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(ConfigError(self.path, line, message))

    def section(self, cls: type, node: Map, prefix: str = "") -> dict[str, Any]:
        known = _section_fields(cls)
        values: dict[str, Any] = {}
        for key, value in node.entries:
            name = f"{prefix}{key.text}"
            self.lines[name] = value.line
            f = known.get(key.text)
            if f is None:
                if key.text.lower() in _SECRETS:
                    self.error(
                        key.line,
                        f"'{name}' is not read from briefgen.yaml: passwords come only "
                        "from the environment (BRIEFGEN_SMTP_PASSWORD or BRIEFGEN_SMTP_PASSWORD_FILE)",
                    )
                else:
                    self.error(key.line, f"unknown setting '{name}'{suggest(key.text, list(known))}")
                continue
            if isinstance(value, Scalar) and value.is_null:
                continue
            parsed = self.value(str(f.type), value, name)
            if parsed is not None:
                values[f.name] = parsed
        return values

    def value(self, kind: str, node: Node, name: str) -> Any:
        section = _SECTIONS.get(kind)
        if section is not None:
            if not isinstance(node, Map):
                self.error(node.line, f"{name} must be a mapping of settings, not {kind_of(node)}")
                return None
            return section(**self.section(section, node, f"{name}."))
        if kind == "tuple[str, ...]":
            items = node.items if isinstance(node, Seq) else (node,)
            if all(isinstance(i, Scalar) for i in items):
                return tuple(i.text.strip() for i in items if isinstance(i, Scalar) and i.text.strip())
            self.error(node.line, f"{name} must be a list of text")
            return None
        if not isinstance(node, Scalar):
            self.error(node.line, f"{name} must be a single value, not {kind_of(node)}")
            return None
        if kind == "bool":
            flag = parse_bool(node)
            if flag is None:
                self.error(node.line, f"{name} must be true or false, not '{node.text}'")
            return flag
        if kind in ("int", "float"):
            try:
                number = int(node.text) if kind == "int" else float(node.text)
            except ValueError:
                self.error(node.line, f"{name} must be a number, not '{node.text}'")
                return None
            if number < 0:
                self.error(node.line, f"{name} must not be negative")
                return None
            return number
        if kind == "Path":
            return Path(node.text)
        return node.text


def load_config(root: Path, **overrides: Any) -> SiteConfig:
    """Read `root/briefgen.yaml` if present; command-line `overrides` (not None) win.

    Overrides use field names; `content` and `output` set `paths.content` and `paths.output`.
    """
    path = root / CONFIG_FILE
    reader = _Reader(path)
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            node = parse_yaml(path.read_bytes().decode("utf-8"), path)
        except UnicodeDecodeError:
            raise Problems([ConfigError(path, None, "not valid UTF-8; save the file as UTF-8")]) from None
        except Problem as error:
            raise Problems([ConfigError(error.path, error.line, error.message)]) from None
        if isinstance(node, Map):
            values = reader.section(SiteConfig, node)
        elif node is not None:
            reader.error(node.line, f"settings must be a mapping of names to values, not {kind_of(node)}")
    paths: Paths = values.pop("paths", Paths())
    if overrides.get("content") is not None:
        paths = replace(paths, content=overrides["content"])
    if overrides.get("output") is not None:
        paths = replace(paths, output=overrides["output"])
    overrides = {k: v for k, v in overrides.items() if k not in ("content", "output")}
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = SiteConfig(root=root, paths=paths, **values)
    reader.problems.extend(_check(config, path, reader.lines))
    if reader.problems:
        raise Problems(reader.problems)
    return config


def _check(config: SiteConfig, path: Path, lines: dict[str, int]) -> list[Problem]:
    """Checks on values, wherever they came from; a value from the command line has no line."""
    problems: list[Problem] = []

    def fail(name: str, message: str) -> None:
        problems.append(ConfigError(path, lines.get(name), message))

    if not LANG_RE.match(config.language):
        fail("language", f"language '{config.language}' is not a language tag such as en or fr-CA")
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(config.timezone, sorted(zoneinfo.available_timezones()))
        if hint.startswith(" (known"):
            hint = " (use an IANA name such as 'Europe/Paris')"
        fail("timezone", f"unknown timezone '{config.timezone}'{hint}")
    if config.day_zone not in DAY_ZONES:
        fail("day_zone", f"day_zone must be one of {', '.join(DAY_ZONES)}, not '{config.day_zone}'")
    if config.base_url and not re.match(r"^https?://[^\s/]+", config.base_url):
        fail("base_url", "base_url must start with http:// or https:// and a host name")
    if config.mentions not in MENTIONS:
        fail("mentions", f"mentions must be one of {', '.join(MENTIONS)}, not '{config.mentions}'")
    if config.digest.paper not in PAPER_SIZES:
        fail("digest.paper", f"digest.paper must be one of {', '.join(PAPER_SIZES)}")
    if config.mail.unsubscribe and not re.match(
        r"^(mailto:[^\s@]+@[^\s@]+|https?://\S+|[^\s@:]+@[^\s@]+)$", config.mail.unsubscribe
    ):
        fail("mail.unsubscribe", "mail.unsubscribe must be an email address or an http:// or https:// URL")
    if config.mail.smtp.security not in SECURITY:
        fail("mail.smtp.security", f"mail.smtp.security must be one of {', '.join(SECURITY)}")
    return problems


__all__ = [
    "DigestConfig",
    "Limits",
    "MailConfig",
    "Paths",
    "SiteConfig",
    "SmtpConfig",
    "load_config",
    "setting_names",
]
