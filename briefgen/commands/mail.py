"""`briefgen mail`: the digest email at the edge. It reads the environment, the day's PDF (made
first if missing) and the delivery ledger, sends to everyone not yet served, records each acceptance
at once, and prints what happened; mail.py makes the messages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from email.headerregistry import Address
from pathlib import Path

from .. import urls
from ..config import CONFIG_FILE, SiteConfig
from ..delivery import Parcel, SmtpSender, SmtpSettings, deliver, smtp_settings
from ..digest import parse_day
from ..errors import ConfigError, DigestError, Problem, Problems, shown
from ..index import SiteIndex
from ..ledger import Ledger, LedgerError, SentDigest, ledger_path, locked
from ..mail import (
    MEGABYTE,
    Addresses,
    DigestMail,
    address,
    mail_addresses,
    prepare,
    subject_problems,
    with_environment,
)
from ..pipeline import load
from .report import EXIT_OK, EXIT_USAGE, print_error, print_note, print_warning

EXIT_UNSERVED = 1  # someone was not served


def cmd_mail(config: SiteConfig, args: argparse.Namespace) -> int:
    """`briefgen mail`: 0 when every recipient was served (now or before), 1 when anyone was not,
    2 for bad usage (date, addresses, subject template, SMTP settings); nothing is sent on 2."""
    try:
        day = parse_day(args.date)
    except DigestError as error:
        print_error(f"--date {error}")
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
            print_error(shown(problem))
        return EXIT_USAGE
    _, index, _ = load(config)
    if day not in index.days:
        print_error(f"no articles on {day.isoformat()}: there is no digest to send")
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
    from ..pdf import write_digest  # PDF tools load only when needed

    return write_digest(config, index, day, warn=print_warning)[1]


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
                log=print_note,
            )
    failed = [o for o in outcomes if not o.sent]
    for outcome in failed:
        print_note(f"not sent to {outcome.recipient}: {outcome.problem}")
    summary = f"sent {len(outcomes) - len(failed)}, skipped {skipped} already sent, failed {len(failed)}"
    print(summary if record else f"{summary} (test message, not recorded in the ledger)")
    return EXIT_UNSERVED if failed else EXIT_OK


def _record(ledger: Ledger, mail: DigestMail, parcel: Parcel) -> None:
    entry = SentDigest(
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


def _warn(message: str) -> None:
    print_warning(Problem(None, None, message))
