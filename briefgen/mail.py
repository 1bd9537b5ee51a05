"""The digest email: its addresses and settings, and the message itself.

What every recipient of a day gets is prepared once (`prepare`): a subject, a plain-text part and
an HTML part rendered from the theme's templates/mail/, and the PDF, attached or linked. `address`
turns it into one message per recipient. Nothing here sends, prints or touches the ledger:
`briefgen mail`, which reads the environment, the PDF and the ledger, sends (delivery.py) and
prints, is commands/mail.py.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from types import MappingProxyType

from . import urls
from .config import CONFIG_FILE, SiteConfig
from .errors import ConfigError, Problem, Problems
from .hashing import ledger_hash, ledger_hasher
from .i18n import Translator
from .index import SiteIndex
from .pages import PageSpec
from .render import make_environment, render

SUBJECT_FIELDS = ("title", "date", "articles", "count")
MEGABYTE = 1_000_000
# Characters that would end a header line or garble one: C0 and C1 controls, line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
ADDR_SPEC = re.compile(rf"^{ATOM}(?:\.{ATOM})*@(?:{LABEL}\.)+{LABEL}$")


def one_line(text: str) -> str:
    """`text` fit for a header or a heading: control characters become spaces, runs of spaces one."""
    return re.sub(" {2,}", " ", CONTROL.sub(" ", text)).strip()


# ---------------------------------------------------------------- addresses


def parse_address(text: str) -> Address:
    """`alice@example.org` or `Alice Martin <alice@example.org>`; ValueError says what is wrong."""
    if CONTROL.search(text):
        raise ValueError("contains a control character")
    found = getaddresses([text])
    if len(found) != 1:
        raise ValueError("holds more than one address")
    name, spec = found[0]
    if not ADDR_SPEC.match(spec):
        raise ValueError("is not an email address (ASCII name@domain.tld)")
    return Address(display_name=name, addr_spec=spec)


@dataclass(frozen=True, slots=True)
class Addresses:
    sender: Address
    recipients: tuple[Address, ...]  # each address once, in the order given


def with_environment(config: SiteConfig, environ: Mapping[str, str]) -> SiteConfig:
    """The config with BRIEFGEN_MAIL_FROM and BRIEFGEN_MAIL_TO (comma-separated) applied."""
    mail = config.mail
    sender = environ.get("BRIEFGEN_MAIL_FROM", "").strip()
    if sender:
        mail = replace(mail, sender=sender)
    recipients = environ.get("BRIEFGEN_MAIL_TO", "").strip()
    if recipients:
        mail = replace(mail, recipients=tuple(_split(recipients)))
    return replace(config, mail=mail)


def _split(text: str) -> list[str]:
    """Comma-separated addresses, where a quoted display name may itself hold a comma."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def mail_addresses(config: SiteConfig, environ: Mapping[str, str], test_to: str | None) -> Addresses:
    """The sender and the recipients (only `test_to` when given); Problems lists every bad one.

    A problem names where the address came from: the setting in briefgen.yaml, the environment
    variable that overrides it, or --to.
    """
    yaml = config.root / CONFIG_FILE
    problems: list[Problem] = []

    def place(setting: str, variable: str) -> tuple[Path | None, str]:
        overridden = bool(environ.get(variable, "").strip())
        return (None, variable) if overridden else (yaml, setting)

    def parse(where: tuple[Path | None, str], text: str) -> Address | None:
        try:
            return parse_address(text)
        except ValueError as error:
            problems.append(Problem(where[0], None, f"{where[1]}: {one_line(text)!r} {error}"))
            return None

    sender = None
    if config.mail.sender:
        sender = parse(place("mail.from", "BRIEFGEN_MAIL_FROM"), config.mail.sender)
    else:
        problems.append(
            ConfigError(yaml, None, "no sender: set mail.from in briefgen.yaml or BRIEFGEN_MAIL_FROM")
        )
    given: list[tuple[tuple[Path | None, str], str]]
    if test_to is not None:
        given = [((None, "--to"), test_to)]
    else:
        given = [
            (place(f"mail.to[{n}]", "BRIEFGEN_MAIL_TO"), text)
            for n, text in enumerate(config.mail.recipients, 1)
        ]
    if not given:
        problems.append(
            ConfigError(
                yaml,
                None,
                "no recipients: list them in mail.to in briefgen.yaml or BRIEFGEN_MAIL_TO, "
                "or send a test with --to ADDR",
            )
        )
    recipients: dict[str, Address] = {}
    for where, text in given:
        found = parse(where, text)
        if found is not None:
            recipients.setdefault(found.addr_spec.casefold(), found)  # listed twice, sent once
    if problems or sender is None:
        raise Problems(problems)
    return Addresses(sender, tuple(recipients.values()))


def subject_problems(config: SiteConfig) -> list[Problem]:
    """A subject template that is not valid, or uses a placeholder other than SUBJECT_FIELDS."""
    template = config.mail.subject
    known = ", ".join("{" + name + "}" for name in SUBJECT_FIELDS)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        unknown = sorted(names - set(SUBJECT_FIELDS))
        if unknown:
            raise ValueError("unknown placeholder " + ", ".join("{" + name + "}" for name in unknown))
        template.format(title="", date="", articles="", count=0)  # a spec such as {title:d} fails here
    except (ValueError, IndexError) as error:
        return [ConfigError(config.root / CONFIG_FILE, None, f"mail.subject: {error} (known: {known})")]
    return []


# ---------------------------------------------------------------- the message


@dataclass(frozen=True, slots=True)
class MailArticle:
    """One headline as the email shows it: plain text, with an absolute link when there is a base_url."""

    title: str
    summary: str
    people: tuple[str, ...]
    url: str
    lang: str
    source: str = ""
    time: str = ""  # as the source wrote it, with its zone: `09:00 heure de Pékin (03:00 heure de Paris)`


@dataclass(frozen=True, slots=True)
class DigestMail:
    """What every recipient of one day's digest gets; only the addresses differ between messages."""

    day: dt.date
    language: str
    subject: str
    text: str
    html: str
    pdf: bytes
    pdf_name: str  # briefing-YYYY-MM-DD.pdf
    pdf_url: str  # "" when there is no base_url
    attached: bool  # False when the PDF is over mail.max_attachment_mb and linked instead
    fingerprint: str  # sha256 of all of the above that a reader sees
    unsubscribe: str = ""  # the List-Unsubscribe header, when mail.unsubscribe is set


def prepare(config: SiteConfig, index: SiteIndex, day: dt.date, pdf: bytes, pdf_url: str) -> DigestMail:
    """Render the day's email once for everyone; raises ConfigError for a bad subject template or
    a PDF too large to attach with nowhere to link it from."""
    problems = subject_problems(config)
    if problems:
        raise problems[0]
    t = Translator(config.language, config.timezone)
    slugs = index.days.get(day, ())
    base = config.base_url

    def link(target: object) -> str:
        return urls.absolute(urls.url_of(target), base) if base else ""

    articles = tuple(
        MailArticle(
            title=one_line(a.title),
            summary=one_line(a.summary),
            people=tuple(one_line(index.people[p].name) for p in a.actors if p in index.people),
            url=link(a),
            lang=a.lang,
            source=one_line(a.source.name) if a.source else "",
            time=t.clock(a),
        )
        for a in index.articles_of(slugs)
    )
    subject = one_line(
        config.mail.subject.format(
            title=config.title,
            date=t.date(day),
            articles=t.count(len(articles), "articles"),
            count=len(articles),
        )
    )
    attached = len(pdf) <= config.mail.max_attachment_mb * MEGABYTE
    if not attached and not pdf_url:
        raise ConfigError(
            config.root / CONFIG_FILE,
            None,
            f"the PDF digest ({len(pdf) / MEGABYTE:.1f} MB) is over mail.max_attachment_mb "
            f"({config.mail.max_attachment_mb:g} MB) and there is no base_url to link it from: "
            "set base_url or raise mail.max_attachment_mb",
        )
    pdf_name = f"briefing-{day.isoformat()}.pdf"
    context = MappingProxyType(
        {
            "subject": subject,
            "site_title": one_line(config.title),
            "day": day,
            "day_label": t.date(day),
            "count_label": t.count(len(articles), "articles"),
            "articles": articles,
            "attached": attached,
            "pdf_name": pdf_name,
            "pdf_url": pdf_url,
            "day_url": link(day),
            "home_url": link(urls.HOME),
        }
    )
    env = make_environment(config, index)
    page = urls.url_of(day)
    text = render(env, PageSpec("mail/digest.txt", page, context))
    html = render(env, PageSpec("mail/digest.html", page, context))
    seen = ledger_hasher()
    unsubscribe = list_unsubscribe(config.mail.unsubscribe)
    for part in (day.isoformat(), subject, text, html, pdf_name, str(attached), unsubscribe):
        seen.update(part.encode("utf-8") + b"\0")
    seen.update(pdf)
    return DigestMail(
        day=day,
        language=config.language,
        subject=subject,
        text=text,
        html=html,
        pdf=pdf,
        pdf_name=pdf_name,
        pdf_url=pdf_url,
        attached=attached,
        fingerprint=seen.hexdigest(),
        unsubscribe=unsubscribe,
    )


def list_unsubscribe(setting: str) -> str:
    """The List-Unsubscribe header for `mail.unsubscribe` (an address or a URL), or ""."""
    if not setting:
        return ""
    if setting.startswith(("http://", "https://", "mailto:")):
        return f"<{setting}>"
    return f"<mailto:{setting}>"


def message_id(day: dt.date, recipient: Address, fingerprint: str, sender: Address) -> str:
    """The same (day, recipient, digest) always gets the same Message-ID, so a copy sent twice
    after a crash is recognisably the same message."""
    key = f"{day.isoformat()}\n{recipient.addr_spec.casefold()}\n{fingerprint}".encode()
    return f"<{day.isoformat()}.{ledger_hash(key)[:32]}@{sender.domain}>"


def address(
    mail: DigestMail, sender: Address, recipient: Address, sent_at: dt.datetime | None = None
) -> EmailMessage:
    """The message for one recipient: multipart/alternative (text, HTML) in multipart/mixed with
    the PDF when it is attached. Every part is 7-bit clean; headers are RFC 2047-encoded."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = mail.subject
    if sent_at is not None:
        message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(mail.day, recipient, mail.fingerprint, sender)
    message["Auto-Submitted"] = "auto-generated"  # asks auto-responders not to answer
    if mail.unsubscribe:
        message["List-Unsubscribe"] = mail.unsubscribe
    message.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if mail.attached:
        message.add_attachment(mail.pdf, maintype="application", subtype="pdf", filename=mail.pdf_name)
    message["Content-Language"] = mail.language  # last: making a multipart moves Content-* headers down
    return message


def compose(
    config: SiteConfig, index: SiteIndex, day: dt.date, recipient: str, pdf: bytes, pdf_url: str
) -> EmailMessage:
    """The digest of `day` for `recipient`, from `config.mail.sender`, with no Date header."""
    mail = prepare(config, index, day, pdf, pdf_url)
    return address(mail, parse_address(config.mail.sender), parse_address(recipient))


__all__ = [
    "Addresses",
    "DigestMail",
    "MailArticle",
    "address",
    "compose",
    "mail_addresses",
    "message_id",
    "one_line",
    "parse_address",
    "prepare",
    "with_environment",
]
