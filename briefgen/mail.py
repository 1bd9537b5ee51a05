"""The digest email: addresses, the message (pure), and `briefgen mail`, which sends it exactly once.

What every recipient of a day gets is prepared once (`prepare`): a subject, a plain-text part and
an HTML part rendered from templates/mail/, and the PDF, attached or linked. `address` turns it
into one message per recipient. Everything here is pure except `cmd_mail` and the helpers below
it: the command's edge, which reads the environment, the PDF and the ledger, sends, and prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import re
import string
import sys
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
from .delivery import Parcel, SmtpSender, SmtpSettings, deliver, smtp_settings
from .digest import parse_day
from .errors import ConfigError, DigestError, Problem, Problems
from .i18n import Translator
from .index import SiteIndex
from .ledger import Entry, Ledger, LedgerError, ledger_path, locked
from .pages import PageSpec
from .render import make_environment, render

SUBJECT_FIELDS = ("title", "date", "articles", "count")
MEGABYTE = 1_000_000
# Characters that would end a header line or garble one: C0 and C1 controls, line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
ADDR_SPEC = re.compile(rf"^{ATOM}(?:\.{ATOM})*@(?:{LABEL}\.)+{LABEL}$")
EXIT_OK, EXIT_UNSERVED, EXIT_USAGE = 0, 1, 2


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
    seen = hashlib.sha256()
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
    return f"<{day.isoformat()}.{hashlib.sha256(key).hexdigest()[:32]}@{sender.domain}>"


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


# ---------------------------------------------------------------- the command (the edge)


def cmd_mail(config: SiteConfig, args: argparse.Namespace) -> int:
    """`briefgen mail`: 0 when every recipient was served (now or before), 1 when anyone was not,
    2 for bad usage (date, addresses, subject template, SMTP settings); nothing is sent on 2."""
    from .pipeline import load

    try:
        day = parse_day(args.date)
    except DigestError as error:
        _error(f"--date {error}")
        return EXIT_USAGE
    config = with_environment(config, os.environ)
    dry_run: Path | None = args.dry_run
    problems = subject_problems(config)
    addresses: Addresses | None = None
    settings: SmtpSettings | None = None
    try:
        addresses = mail_addresses(config, os.environ, args.to)
    except Problems as found:
        problems.extend(found.problems)
    if dry_run is None:  # a dry run connects to nothing, so it needs no SMTP settings
        try:
            settings = smtp_settings(config.mail.smtp, os.environ)
        except Problems as found:
            problems.extend(found.problems)
    if problems or addresses is None:
        for problem in problems:
            _error(_show(problem))
        return EXIT_USAGE
    _, index, _ = load(config)
    if day not in index.days:
        _error(f"no articles on {day.isoformat()}: there is no digest to send")
        return EXIT_UNSERVED
    mail = _prepare_with_warnings(config, index, day, args.allow_relative_links)
    test = args.to is not None
    sent_at = dt.datetime.now(config.tz).replace(microsecond=0)
    if dry_run is not None:
        return _dry_run(config, mail, addresses, dry_run, resend=args.resend or test, sent_at=sent_at)
    assert settings is not None
    return _send(
        config, mail, addresses, settings, resend=args.resend or test, record=not test, sent_at=sent_at
    )


def _prepare_with_warnings(
    config: SiteConfig, index: SiteIndex, day: dt.date, allow_relative_links: bool = False
) -> DigestMail:
    pdf = _digest_pdf(config, index, day)
    pdf_url = urls.absolute(urls.digest_url(day), config.base_url) if config.base_url else ""
    mail = prepare(config, index, day, pdf, pdf_url)
    if not config.base_url:
        if not allow_relative_links:
            raise ConfigError(
                config.root / CONFIG_FILE,
                None,
                "base_url is not set, so the links of the email and of the PDF to the site cannot work "
                "for a reader: set base_url (the site's public address), or pass --allow-relative-links "
                "to send anyway",
            )
        _warn("base_url is not set, so the email cannot link to the site")
    if not mail.attached:
        _warn(
            f"the PDF digest is {len(pdf) / MEGABYTE:.1f} MB, over mail.max_attachment_mb "
            f"({config.mail.max_attachment_mb:g} MB): the email links to it instead of attaching it"
        )
    return mail


def _digest_pdf(config: SiteConfig, index: SiteIndex, day: dt.date) -> bytes:
    """The day's PDF from the output folder, built and written there first (as `briefgen digest`
    does) when it is missing."""
    path = config.output_dir / urls.digest_url(day)
    if path.is_file():
        return path.read_bytes()
    from .pdf import write_digest  # PDF tools load only when needed

    return write_digest(config, index, day)[1]


def _dry_run(
    config: SiteConfig,
    mail: DigestMail,
    addresses: Addresses,
    folder: Path,
    *,
    resend: bool,
    sent_at: dt.datetime,
) -> int:
    """Write the messages a real run would send as .eml files; the ledger is read, never written."""
    due, skipped = _due(addresses, Ledger.load(ledger_path(config.root)), mail, resend)
    folder.mkdir(parents=True, exist_ok=True)
    for recipient in due:
        message = address(mail, addresses.sender, recipient, sent_at)
        name = f"{mail.day.isoformat()}-{re.sub(r'[^A-Za-z0-9@._+-]', '_', recipient.addr_spec)}.eml"
        (folder / name).write_bytes(message.as_bytes())
    noun = "message" if len(due) == 1 else "messages"
    print(f"dry run: wrote {len(due)} {noun} to {folder}, skipped {skipped} already sent; nothing was sent")
    return EXIT_OK


def _send(
    config: SiteConfig,
    mail: DigestMail,
    addresses: Addresses,
    settings: SmtpSettings,
    *,
    resend: bool,
    record: bool,
    sent_at: dt.datetime,
) -> int:
    """Send to everyone not yet served, recording each acceptance at once; print the outcome."""
    with locked(config.root):
        ledger = Ledger.load(ledger_path(config.root))  # under the lock: another run may have added to it
        due, skipped = _due(addresses, ledger, mail, resend)

        def accepted(parcel: Parcel) -> None:
            if record:  # a test to one address (--to) is not a delivery to a subscriber
                _record(ledger, mail, parcel)

        parcels = [Parcel(r.addr_spec, address(mail, addresses.sender, r, sent_at)) for r in due]
        with SmtpSender(settings) as sender:
            outcomes = deliver(
                parcels,
                sender,
                retries=settings.retries,
                backoff=settings.backoff,
                on_sent=accepted,
                log=lambda line: print(f"briefgen: {line}", file=sys.stderr),
            )
    failed = [o for o in outcomes if not o.sent]
    for outcome in failed:
        print(f"briefgen: not sent to {outcome.recipient}: {outcome.problem}", file=sys.stderr)
    summary = f"sent {len(outcomes) - len(failed)}, skipped {skipped} already sent, failed {len(failed)}"
    print(summary if record else f"{summary} (test message, not recorded in the ledger)")
    return EXIT_UNSERVED if failed else EXIT_OK


def _record(ledger: Ledger, mail: DigestMail, parcel: Parcel) -> None:
    entry = Entry(
        day=mail.day.isoformat(),
        recipient=parcel.recipient,
        digest=mail.fingerprint,
        message_id=str(parcel.message["Message-ID"]),
        sent_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    try:
        ledger.record(entry)
    except OSError as error:
        raise LedgerError(
            ledger.path,
            None,
            f"{parcel.recipient} was sent the digest but the ledger could not record it "
            f"({error.strerror}); fix this before the next run or they will get it twice",
        ) from None


def _due(addresses: Addresses, ledger: Ledger, mail: DigestMail, resend: bool) -> tuple[list[Address], int]:
    """Who gets the digest now, and how many are skipped as already served that day."""
    due: list[Address] = []
    changed = 0
    for recipient in addresses.recipients:
        entry = None if resend else ledger.find(mail.day, recipient.addr_spec)
        if entry is None:
            due.append(recipient)
        elif entry.digest != mail.fingerprint:
            changed += 1
    if changed:
        _warn(
            f"{changed} recipient{'s' if changed != 1 else ''} already got an earlier version of this "
            "digest and will not get this one; use --resend to send it to everyone again"
        )
    return due, len(addresses.recipients) - len(due)


def _show(problem: Problem) -> str:
    """`briefgen.yaml: mail.to[2]: ...` with the path relative to the current folder when inside it."""
    if problem.path is None:
        return problem.message
    path = os.path.relpath(problem.path)
    return f"{problem.path if path.startswith('..') else path}: {problem.message}"


def _error(message: str) -> None:
    print(f"briefgen: error: {message}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


__all__ = [
    "Addresses",
    "DigestMail",
    "MailArticle",
    "address",
    "cmd_mail",
    "compose",
    "mail_addresses",
    "message_id",
    "one_line",
    "parse_address",
    "prepare",
    "with_environment",
]
