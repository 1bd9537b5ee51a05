"""Emailing the daily digest: what a subscriber receives, and that each one gets it exactly once.

The integration tests run real SMTP servers on 127.0.0.1 (tests/smtp_servers.py) and read what
they received with the standard library's email parser.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import smtplib
from collections import Counter
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import article
from smtp_servers import Mailbox, free_port, make_certificate, smtp_server

from briefgen.config import load_config
from briefgen.delivery import (
    MemorySender,
    Parcel,
    RecipientRefused,
    ServerRefused,
    TemporaryFailure,
    classify,
    deliver,
)
from briefgen.ledger import Ledger, SentDigest, ledger_path, locked
from briefgen.mail import address, compose, parse_address, prepare
from briefgen.pipeline import load

DAY = "2023-06-18"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PASSWORD = "pa55-W0rd-never-shown"
PEOPLE = ("alice@example.org", "Bob Martin <bob@example.org>", "carol@example.net")
ADDRESSES = ["alice@example.org", "bob@example.org", "carol@example.net"]


@pytest.fixture(autouse=True)
def no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from a clean environment: no SMTP or mail variables, no extra CA file."""
    for name in list(os.environ):
        if name.startswith(("BRIEFGEN_SMTP_", "BRIEFGEN_MAIL_")) or name == "SSL_CERT_FILE":
            monkeypatch.delenv(name)


def settings(
    port: int,
    *,
    to: tuple[str, ...] = PEOPLE,
    security: str = "none",
    language: str = "fr",
    title: str = "Briefing",
    extra: str = "",
    base_url: str = "https://brief.example.org/",
    sender: str = "Équipe Briefing <briefing@example.org>",
) -> str:
    recipients = ", ".join(json.dumps(r) for r in to)
    lines = [
        f"title: {json.dumps(title)}",
        f"language: {language}",
        f"base_url: {base_url}" if base_url else "",
        "mail:",
        f"  from: {json.dumps(sender)}",
        f"  to: [{recipients}]",
        *(f"  {line}" for line in extra.splitlines()),
        "  smtp:",
        "    host: 127.0.0.1",
        f"    port: {port}",
        f"    security: {security}",
        "    retries: 2",
        "    backoff: 0.01",
        "    timeout: 5",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def mail_site(make_site):  # type: ignore[no-untyped-def]
    """The sample project with mail settings and the day's PDF already built into site/digests/."""

    def make(port: int, files: dict[str, str | bytes] | None = None, **options: object):  # type: ignore[no-untyped-def]
        return make_site(
            {
                "briefgen.yaml": settings(port, **options),  # type: ignore[arg-type]
                f"site/digests/{DAY}.pdf": PDF,
                **(files or {}),
            }
        )

    return make


def mail(cli, project, *extra: str):  # type: ignore[no-untyped-def]
    return cli(project, "mail", "--date", DAY, *extra)


def ledger_of(project) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    path = ledger_path(project.root)
    return json.loads(path.read_text(encoding="utf-8"))["sent"] if path.exists() else []


def subject_of(message: EmailMessage) -> str:
    return str(message["Subject"])


def part(message: EmailMessage, content_type: str) -> EmailMessage:
    found = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(found) == 1, content_type
    assert isinstance(found[0], EmailMessage)
    return found[0]


def text_of(message: EmailMessage, content_type: str = "text/plain") -> str:
    content = part(message, content_type).get_content()
    assert isinstance(content, str)
    return content


# ---------------------------------------------------------------- what subscribers receive


def test_each_recipient_gets_text_html_and_the_built_pdf(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port)
        result = mail(cli, project)
    assert result.code == 0, result.err
    assert result.out.strip() == "sent 3, skipped 0 already sent, failed 0"
    received = server.mailbox.received
    assert [r.rcpt_tos for r in received] == [(a,) for a in ADDRESSES]  # one message per recipient
    assert {r.mail_from for r in received} == {"briefing@example.org"}
    message = received[1].message
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    pdf = part(message, "application/pdf")
    assert pdf.get_filename() == f"briefing-{DAY}.pdf"
    assert pdf.get_content_disposition() == "attachment"
    assert pdf.get_content() == (project.root / f"site/digests/{DAY}.pdf").read_bytes()
    # addresses, with the non-ASCII display name RFC 2047-encoded on the wire
    assert str(message["To"]) == "Bob Martin <bob@example.org>"
    assert str(message["From"]) == "Équipe Briefing <briefing@example.org>"
    assert subject_of(message) == "Briefing — dimanche 18 juin 2023 — 1 article"
    assert message["Content-Language"] == "fr"
    assert message["Date"] is not None
    assert re.fullmatch(r"<2023-06-18\.[0-9a-f]{32}@example\.org>", str(message["Message-ID"]))
    # the text part: headline, summary, people and absolute links, in French
    text = text_of(message)
    assert "1. Blinken meets Qin in Beijing" in text
    assert "Long talks." in text
    assert "Personnes\u00a0: Antony Blinken, Qin Gang" in text
    assert "https://brief.example.org/articles/2023-06-18-talks/" in text
    assert f"pièce jointe\u00a0: briefing-{DAY}.pdf" in text


def test_headers_and_bodies_travel_as_7bit_ascii_with_encoded_words(mail_site, cli):
    with smtp_server() as server:
        mail(cli, mail_site(server.port, to=("alice@example.org",)))
    raw = server.mailbox.received[0].data
    raw.decode("ascii")  # nothing relies on the server accepting 8-bit data
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject = re.search(r"^Subject: (.*(?:\r\n[ \t].*)*)", head, re.M)
    assert subject is not None and "=?utf-8?" in subject.group(1)
    decoded = "".join(
        chunk.decode(charset or "ascii") if isinstance(chunk, bytes) else chunk
        for chunk, charset in decode_header(subject.group(1).replace("\r\n", ""))
    )
    assert "dimanche 18 juin 2023" in decoded and "—" in decoded
    for mime_part in server.mailbox.received[0].message.walk():
        if mime_part.get_content_maintype() == "text":
            assert mime_part["Content-Transfer-Encoding"] == "quoted-printable"


def test_html_part_uses_inline_styles_absolute_links_and_no_script(mail_site, cli):
    hostile = {
        "content/2023-06-18-xss.md": article(
            "<script>alert(1)</script> & friends", "2023-06-18T12:00:00+08:00", lang="en"
        )
    }
    with smtp_server() as server:
        mail(cli, mail_site(server.port, hostile, to=("alice@example.org",)))
    html = text_of(server.mailbox.received[0].message, "text/html")
    assert html.lstrip().startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in html
    assert "<style" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html)  # no event handlers
    assert 'style="' in html
    links = re.findall(r'href="([^"]+)"', html)
    assert "https://brief.example.org/articles/2023-06-18-talks/" in links
    assert "https://brief.example.org/days/2023-06-18/" in links
    assert all(link.startswith("https://brief.example.org/") for link in links)
    assert 'lang="en"' in html  # each headline carries its own language


def test_hostile_titles_cannot_add_headers_or_recipients(mail_site, cli):
    files = {
        "content/2023-06-18-evil.md": article(
            r"Evil\r\nBcc: victim@evil.example\r\nX-Injected: yes",
            "2023-06-18",
            summary=r'"first\nX-Summary: injected\u2028"',
        )
    }
    title = "Briefing\r\nBcc: boss@evil.example\nX-Injected: title\x00"
    with smtp_server() as server:
        result = mail(cli, mail_site(server.port, files, title=title))
    assert result.code == 0, result.err
    assert server.mailbox.recipients == ADDRESSES  # nobody else got a copy
    for received in server.mailbox.received:
        message = received.message
        for mime_part in message.walk():
            names = {name.lower() for name in mime_part}  # header names
            assert not names & {"bcc", "cc", "x-injected", "x-summary"}, names
        assert "\n" not in subject_of(message)
        assert subject_of(message).startswith("Briefing Bcc: boss@evil.example X-Injected: title —")
        assert not re.search(rb"^(Bcc|X-Injected|X-Summary):", received.data, re.M)
        assert "Evil Bcc: victim@evil.example X-Injected: yes" in text_of(message)


def test_dates_and_words_follow_the_site_language_and_the_subject_template(mail_site, cli):
    with smtp_server() as server:
        english = mail_site(
            server.port,
            to=("alice@example.org",),
            language="en",
            extra='subject: "[{count}] {title}: {date}"',
        )
        assert mail(cli, english).code == 0
    message = server.mailbox.received[0].message
    assert subject_of(message) == "[1] Briefing: Sunday, June 18, 2023"
    assert "People: Antony Blinken, Qin Gang" in text_of(message)
    assert "The day’s PDF digest is attached" in text_of(message)


def test_a_pdf_over_the_size_limit_is_linked_with_a_warning(mail_site, cli, tmp_path):
    project = mail_site(free_port(), extra="max_attachment_mb: 0.001")  # PDF is 2 kB
    result = mail(cli, project, "--dry-run", str(tmp_path / "outbox"))
    assert result.code == 0, result.err
    assert "warning: the PDF digest is 0.0 MB, over mail.max_attachment_mb (0.001 MB)" in result.err
    message = read_eml(tmp_path / "outbox" / f"{DAY}-alice@example.org.eml")
    assert "application/pdf" not in [p.get_content_type() for p in message.walk()]
    assert message.get_content_type() == "multipart/alternative"
    pdf_url = f"https://brief.example.org/digests/{DAY}.pdf"
    assert f'href="{pdf_url}"' in text_of(message, "text/html")
    assert pdf_url in text_of(message)


def test_a_pdf_too_large_to_attach_and_no_base_url_is_an_error(mail_site, cli, tmp_path):
    project = mail_site(free_port(), extra="max_attachment_mb: 0.001", base_url="")
    result = mail(cli, project, "--dry-run", str(tmp_path / "outbox"))
    assert result.code == 1
    assert "no base_url to link it from" in result.err
    assert not (tmp_path / "outbox").exists()


def test_message_id_is_stable_per_day_recipient_and_digest(make_site):
    project = make_site({"briefgen.yaml": settings(25)})
    config = load_config(project.root)
    _, index, _ = load(config)
    day = dt.date(2023, 6, 18)
    url = "https://brief.example.org/digests/2023-06-18.pdf"
    first = compose(config, index, day, "alice@example.org", PDF, url)
    again = compose(config, index, day, "Alice <ALICE@example.org>", PDF, url)
    other = compose(config, index, day, "bob@example.org", PDF, url)
    changed = compose(config, index, day, "alice@example.org", PDF + b" ", url)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"] != changed["Message-ID"]
    assert first["Date"] is None  # compose is pure: the send time is added when sending
    mail_ = prepare(config, index, day, PDF, url)
    sent_at = dt.datetime(2023, 6, 18, 7, 0, tzinfo=dt.UTC)
    dated = address(mail_, parse_address(config.mail.sender), parse_address("alice@example.org"), sent_at)
    assert dated["Date"] == "Sun, 18 Jun 2023 07:00:00 +0000"
    assert dated["Message-ID"] == first["Message-ID"]


# ---------------------------------------------------------------- exactly once


def test_rerun_sends_nothing_and_resend_sends_the_same_message_again(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port)
        assert mail(cli, project).code == 0
        first_ids = [str(r.message["Message-ID"]) for r in server.mailbox.received]
        rerun = mail(cli, project)
        assert rerun.code == 0
        assert rerun.out.strip() == "sent 0, skipped 3 already sent, failed 0"
        assert len(server.mailbox.received) == 3
        resend = mail(cli, project, "--resend")
        assert resend.out.strip() == "sent 3, skipped 0 already sent, failed 0"
    again_ids = [str(r.message["Message-ID"]) for r in server.mailbox.received[3:]]
    assert again_ids == first_ids  # same digest, same Message-IDs: clients see one message
    entries = ledger_of(project)
    assert [(e["day"], e["recipient"]) for e in entries[:3]] == [(DAY, a) for a in ADDRESSES]
    assert [e["message_id"] for e in entries[:3]] == first_ids


def test_a_changed_digest_is_not_sent_again_without_resend(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port)
        assert mail(cli, project).code == 0
        project.write({"content/2023-06-18-late.md": article("Late news", "2023-06-18T23:00:00+08:00")})
        rerun = mail(cli, project)
    assert rerun.out.strip() == "sent 0, skipped 3 already sent, failed 0"
    assert "3 recipients already got an earlier version of this digest" in rerun.err
    assert "--resend" in rerun.err
    assert len(server.mailbox.received) == 3


def test_a_dropped_connection_is_retried_then_the_rerun_completes_the_list(mail_site, cli):
    everyone = (*PEOPLE, "dave@example.org", "erin@example.org")
    with smtp_server(Mailbox(drop_after=2)) as server:
        project = mail_site(server.port, to=everyone)
        first = mail(cli, project)
        assert first.code == 1
        assert first.out.strip() == "sent 2, skipped 0 already sent, failed 3"
        assert "carol@example.net: the server closed the connection; retrying" in first.err
        assert "not sent to dave@example.org: not attempted" in first.err
        # carol was tried three times (retries: 2), dave and erin not at all once the server stayed down
        assert server.mailbox.rcpt_attempts.count("carol@example.net") == 3
        assert "dave@example.org" not in server.mailbox.rcpt_attempts
        assert [e["recipient"] for e in ledger_of(project)] == ADDRESSES[:2]
        server.mailbox.recover()
        second = mail(cli, project)
    assert second.code == 0, second.err
    assert second.out.strip() == "sent 3, skipped 2 already sent, failed 0"
    served = Counter(server.mailbox.recipients)
    assert served == Counter([*ADDRESSES, "dave@example.org", "erin@example.org"])  # each exactly once
    assert len(ledger_of(project)) == 5


def test_a_server_that_is_down_leaves_the_ledger_empty(mail_site, cli):
    project = mail_site(free_port())  # nothing listens there
    result = mail(cli, project)
    assert result.code == 1
    assert "not sent to alice@example.org: connection refused (gave up)" in result.err
    assert result.out.strip() == "sent 0, skipped 0 already sent, failed 3"
    assert ledger_of(project) == []


def test_a_refused_recipient_is_reported_and_the_others_are_served(mail_site, cli):
    mailbox = Mailbox(refuse={"bob@example.org": "550 5.1.1 <bob@example.org>: no such user"})
    with smtp_server(mailbox) as server:
        project = mail_site(server.port)
        result = mail(cli, project)
        assert result.code == 1
        assert "not sent to bob@example.org: the server refused it: 550 5.1.1" in result.err
        assert result.out.strip() == "sent 2, skipped 0 already sent, failed 1"
        assert server.mailbox.recipients == ["alice@example.org", "carol@example.net"]
        assert server.mailbox.rcpt_attempts.count("bob@example.org") == 1  # a 5xx is not retried
        rerun = mail(cli, project)
    assert rerun.out.strip() == "sent 0, skipped 2 already sent, failed 1"  # only bob is tried again
    assert server.mailbox.recipients == ["alice@example.org", "carol@example.net"]


def test_a_deferred_recipient_is_retried_then_reported_without_stopping_the_others(mail_site, cli):
    mailbox = Mailbox(refuse={"alice@example.org": "451 4.3.0 try again later"})
    with smtp_server(mailbox) as server:
        result = mail(cli, mail_site(server.port))
    assert result.code == 1
    assert server.mailbox.rcpt_attempts.count("alice@example.org") == 3
    assert "not sent to alice@example.org: the server deferred it: 451 4.3.0" in result.err
    assert server.mailbox.recipients == ADDRESSES[1:]


def test_dry_run_writes_eml_files_and_leaves_the_ledger_untouched(mail_site, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("BRIEFGEN_SMTP_USER", "briefing")
    outbox = tmp_path / "outbox"
    with smtp_server() as server:
        project = mail_site(server.port)
        result = mail(cli, project, "--dry-run", str(outbox))
        assert result.code == 0, result.err
        assert server.mailbox.rcpt_attempts == []
        assert not ledger_path(project.root).exists()
        assert "wrote 3 messages" in result.out and "nothing was sent" in result.out
        files = sorted(outbox.glob("*.eml"))
        assert [f.name for f in files] == [f"{DAY}-{a}.eml" for a in sorted(ADDRESSES)]
        message = read_eml(outbox / f"{DAY}-bob@example.org.eml")
        assert str(message["To"]) == "Bob Martin <bob@example.org>"
        assert part(message, "application/pdf").get_content() == PDF
        assert all(PASSWORD.encode() not in f.read_bytes() for f in files)
        # a real run afterwards still serves everyone
        monkeypatch.delenv("BRIEFGEN_SMTP_PASSWORD")
        monkeypatch.delenv("BRIEFGEN_SMTP_USER")
        assert mail(cli, project).out.strip() == "sent 3, skipped 0 already sent, failed 0"


def test_to_sends_one_test_message_and_records_nothing(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port)
        result = mail(cli, project, "--to", "editor@example.org")
        assert result.code == 0, result.err
        assert server.mailbox.recipients == ["editor@example.org"]
        assert "not recorded" in result.out
        assert ledger_of(project) == []
        assert mail(cli, project).out.strip() == "sent 3, skipped 0 already sent, failed 0"


def test_environment_wins_over_briefgen_yaml(mail_site, cli, monkeypatch):
    with smtp_server() as server:
        project = mail_site(free_port())  # the configured port has no server
        monkeypatch.setenv("BRIEFGEN_SMTP_PORT", str(server.port))
        monkeypatch.setenv("BRIEFGEN_MAIL_FROM", "desk@example.com")
        monkeypatch.setenv("BRIEFGEN_MAIL_TO", '"Martin, Zoé" <zoe@example.com>, yann@example.com')
        result = mail(cli, project)
    assert result.code == 0, result.err
    assert server.mailbox.recipients == ["zoe@example.com", "yann@example.com"]
    assert {r.mail_from for r in server.mailbox.received} == {"desk@example.com"}
    assert str(server.mailbox.received[0].message["To"]) == '"Martin, Zoé" <zoe@example.com>'


def test_every_bad_address_is_reported_before_anything_is_sent(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port, to=("alice@example.org", "bob@", "carol example.net"), sender="desk")
        result = mail(cli, project)
    assert result.code == 2
    assert "briefgen.yaml: mail.from: 'desk' is not an email address" in result.err
    assert "mail.to[2]: 'bob@' is not an email address" in result.err
    assert "mail.to[3]: 'carol example.net' is not an email address" in result.err
    assert server.mailbox.rcpt_attempts == []


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (["--date", "2023-02-30"], "--date '2023-02-30' is not a date: write the day as YYYY-MM-DD"),
        (["--date", "18/06/2023"], "--date '18/06/2023' is not a date"),
        (["--date", DAY, "--to", "not-an-address"], "--to: 'not-an-address' is not an email address"),
    ],
)
def test_bad_usage_exits_2_and_sends_nothing(mail_site, cli, argument, message):
    with smtp_server() as server:
        result = cli(mail_site(server.port), "mail", *argument)
    assert result.code == 2
    assert message in result.err
    assert server.mailbox.rcpt_attempts == []


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{title} {titre}",
            "mail.subject: unknown placeholder {titre} (known: {title}, {date}, {articles}, {count})",
        ),
        ("{title:d}", "mail.subject: Unknown format code 'd'"),
        ("{title", "mail.subject: expected '}' before end of string"),
    ],
)
def test_a_bad_subject_template_is_reported_before_anything_is_sent(mail_site, cli, template, message):
    with smtp_server() as server:
        result = mail(cli, mail_site(server.port, extra=f"subject: {json.dumps(template)}"))
    assert result.code == 2
    assert message in result.err
    assert server.mailbox.rcpt_attempts == []


def test_a_day_without_articles_sends_nothing(mail_site, cli):
    with smtp_server() as server:
        result = cli(mail_site(server.port), "mail", "--date", "2023-06-17")
    assert result.code == 1
    assert "no articles on 2023-06-17" in result.err
    assert server.mailbox.rcpt_attempts == []


def test_a_damaged_ledger_stops_everything(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port, files={".briefgen/mail-ledger.json": "{not json"})
        result = mail(cli, project)
    assert result.code == 1
    assert "mail ledger is damaged" in result.err
    assert server.mailbox.rcpt_attempts == []


def test_a_second_run_at_the_same_time_is_refused(mail_site, cli):
    with smtp_server() as server:
        project = mail_site(server.port)
        with locked(project.root):
            result = mail(cli, project)
    assert result.code == 1
    assert "another 'briefgen mail' is running" in result.err
    assert server.mailbox.rcpt_attempts == []


# ---------------------------------------------------------------- TLS, login and the password


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):  # type: ignore[no-untyped-def]
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("how", ["variable", "file"])
def test_starttls_and_login_with_a_password_that_is_never_shown(
    mail_site, cli, certificate, monkeypatch, tmp_path, how
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))  # trust the test's own CA
    monkeypatch.setenv("BRIEFGEN_SMTP_USER", "briefing")
    if how == "variable":
        monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    else:
        secret = tmp_path / "smtp-password"
        secret.write_text(PASSWORD + "\n", encoding="utf-8")
        monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD_FILE", str(secret))
    with smtp_server(starttls=certificate, users={"briefing": PASSWORD}) as server:
        project = mail_site(server.port, security="starttls")
        result = mail(cli, project)
    assert result.code == 0, result.err
    assert server.mailbox.recipients == ADDRESSES
    assert server.mailbox.logins == ["briefing"]  # one connection, one login, three messages
    assert PASSWORD not in result.out + result.err
    assert PASSWORD not in ledger_path(project.root).read_text(encoding="utf-8")


def test_implicit_tls(mail_site, cli, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    monkeypatch.setenv("BRIEFGEN_SMTP_SECURITY", "ssl")
    with smtp_server(implicit_tls=certificate) as server:
        result = mail(cli, mail_site(server.port, security="starttls"))  # the variable wins
    assert result.code == 0, result.err
    assert server.mailbox.recipients == ADDRESSES


def test_a_refused_login_stops_the_run_and_does_not_show_the_password(
    mail_site, cli, certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    monkeypatch.setenv("BRIEFGEN_SMTP_USER", "briefing")
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    with smtp_server(starttls=certificate, users={"briefing": "another one"}) as server:
        project = mail_site(server.port, security="starttls")
        result = mail(cli, project)
    assert result.code == 1
    assert "not sent to alice@example.org: the server refused the login: 535" in result.err
    assert "not sent to bob@example.org: not attempted" in result.err
    assert PASSWORD not in result.out + result.err
    assert ledger_of(project) == []


def test_an_untrusted_certificate_is_refused(mail_site, cli, certificate):
    with smtp_server(starttls=certificate) as server:  # SSL_CERT_FILE not set: self-signed is unknown
        result = mail(cli, mail_site(server.port, security="starttls"))
    assert result.code == 1
    assert "certificate" in result.err
    assert server.mailbox.received == []


def test_the_password_is_never_sent_over_plain_text(mail_site, cli, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_SMTP_USER", "briefing")
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", PASSWORD)
    with smtp_server() as server:
        result = mail(cli, mail_site(server.port, security="none"))
    assert result.code == 2
    assert "refusing to send the SMTP password over an unencrypted connection" in result.err
    assert server.mailbox.rcpt_attempts == []
    assert PASSWORD not in result.err


# ---------------------------------------------------------------- delivery and ledger, in memory


def parcels(*recipients: str) -> list[Parcel]:
    sender = parse_address("briefing@example.org")
    out = []
    for recipient in recipients:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = parse_address(recipient)
        message.set_content("digest")
        out.append(Parcel(recipient, message))
    return out


def ignore(parcel: Parcel) -> None:
    pass


def test_transient_failures_are_retried_with_doubling_delays():
    sender = MemorySender({"b@x.org": [TemporaryFailure("lost", connection=True)] * 2})
    sleeps: list[float] = []
    sent: list[str] = []
    outcomes = deliver(
        parcels("a@x.org", "b@x.org", "c@x.org"),
        sender,
        retries=3,
        backoff=0.5,
        on_sent=lambda p: sent.append(p.recipient),
        sleep=sleeps.append,
    )
    assert sleeps == [0.5, 1.0]
    assert sent == ["a@x.org", "b@x.org", "c@x.org"]
    assert [o.attempts for o in outcomes] == [1, 3, 1]


def test_a_server_out_of_reach_stops_the_run_but_a_deferred_recipient_does_not():
    down = MemorySender({"b@x.org": [TemporaryFailure("connection refused", connection=True)] * 9})
    outcomes = deliver(parcels("a@x.org", "b@x.org", "c@x.org"), down, retries=1, backoff=0, on_sent=ignore)
    assert [o.sent for o in outcomes] == [True, False, False]
    assert down.attempts == ["a@x.org", "b@x.org", "b@x.org"]
    assert outcomes[2].problem.startswith("not attempted: connection refused")
    busy = MemorySender({"b@x.org": [TemporaryFailure("451 mailbox busy", connection=False)] * 9})
    outcomes = deliver(parcels("a@x.org", "b@x.org", "c@x.org"), busy, retries=1, backoff=0, on_sent=ignore)
    assert [o.sent for o in outcomes] == [True, False, True]


def test_a_crash_halfway_leaves_the_ledger_true_and_the_next_run_serves_the_rest(tmp_path):
    path = ledger_path(tmp_path)
    ledger = Ledger.load(path)
    day = dt.date(2023, 6, 18)
    everyone = ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]

    def record(parcel: Parcel) -> None:
        ledger.record(
            SentDigest(day.isoformat(), parcel.recipient, "h", "<id@x.org>", "2023-06-18T05:00:00+00:00")
        )

    crashing = MemorySender({"c@x.org": [KeyboardInterrupt()]})
    with pytest.raises(KeyboardInterrupt):
        deliver(parcels(*everyone), crashing, retries=3, backoff=0, on_sent=record)
    reread = Ledger.load(path)
    assert [e.recipient for e in reread.entries] == ["a@x.org", "b@x.org"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    ledger = reread
    remaining = [r for r in everyone if reread.find(day, r) is None]
    healthy = MemorySender()
    deliver(parcels(*remaining), healthy, retries=3, backoff=0, on_sent=record)
    assert [str(m["To"]) for m in healthy.sent] == ["c@x.org", "d@x.org"]
    assert Ledger.load(path).find(day, "D@X.ORG") is not None


@pytest.mark.parametrize(
    ("error", "kind", "connection"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"no such user")}), RecipientRefused, None),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (452, b"mailbox full")}), TemporaryFailure, False),
        (smtplib.SMTPDataError(421, b"closing"), TemporaryFailure, True),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), ServerRefused, None),
        (smtplib.SMTPSenderRefused(553, b"not allowed", "a@x.org"), ServerRefused, None),
        (smtplib.SMTPServerDisconnected("gone"), TemporaryFailure, True),
        (ConnectionRefusedError(111, "refused"), TemporaryFailure, True),
    ],
)
def test_smtp_errors_are_sorted_into_retry_skip_or_stop(error, kind, connection):
    classified = classify(error)
    assert isinstance(classified, kind)
    if connection is not None:
        assert isinstance(classified, TemporaryFailure) and classified.connection is connection


# ---------------------------------------------------------------- with the real PDF


@pytest.mark.skipif(importlib.util.find_spec("briefgen.pdf") is None, reason="briefgen.pdf not written yet")
def test_the_pdf_is_built_when_missing_and_attached_byte_for_byte(make_site, cli):
    with smtp_server() as server:
        project = make_site({"briefgen.yaml": settings(server.port, to=("alice@example.org",))})
        assert not (project.root / f"site/digests/{DAY}.pdf").exists()
        result = mail(cli, project)
    assert result.code == 0, result.err
    built = (project.root / f"site/digests/{DAY}.pdf").read_bytes()
    assert built.startswith(b"%PDF")
    attached = part(server.mailbox.received[0].message, "application/pdf").get_content()
    assert attached == built
    assert cli(project, "build").code == 0  # the output folder mail wrote into is still briefgen's


def test_each_article_shows_its_source_and_its_time_in_its_own_zone(mail_site, cli, tmp_path):
    files = {
        "content/2023-06-18-talks.md": article(
            "Blinken meets Qin in Beijing",
            "2023-06-18T10:00:00+08:00",
            lang="en",
            source="{name: Xinhua, url: 'https://english.news.cn/'}",
            actors="[Antony Blinken]",
        ),
        "content/places/beijing.yaml": "name: {fr: Pékin, en: Beijing}\ntimezone: Asia/Shanghai\n",
    }
    project = mail_site(free_port(), files)
    with open(project.root / "briefgen.yaml", "a", encoding="utf-8") as handle:
        handle.write("timezone: Europe/Paris\n")
    result = mail(cli, project, "--dry-run", str(tmp_path / "outbox"))
    assert result.code == 0, result.err
    message = read_eml(tmp_path / "outbox" / f"{DAY}-alice@example.org.eml")
    shown = "Xinhua · 10:00 UTC+08:00 (04:00 heure de Paris)"
    assert shown in text_of(message) and shown in text_of(message, "text/html")
    assert message["List-Unsubscribe"] is None  # not configured


def test_list_unsubscribe_is_sent_when_configured(mail_site, cli, tmp_path):
    project = mail_site(free_port(), extra="unsubscribe: desk+stop@example.org")
    assert mail(cli, project, "--dry-run", str(tmp_path / "outbox")).code == 0
    message = read_eml(tmp_path / "outbox" / f"{DAY}-alice@example.org.eml")
    assert message["List-Unsubscribe"] == "<mailto:desk+stop@example.org>"


def test_without_base_url_mail_refuses_unless_told_links_may_not_work(mail_site, cli, tmp_path):
    project = mail_site(free_port(), base_url="")
    refused = mail(cli, project, "--dry-run", str(tmp_path / "outbox"))
    assert refused.code == 1
    assert "briefgen.yaml: base_url is not set, so the links of the email and of the PDF" in refused.err
    assert "--allow-relative-links" in refused.err
    assert not (tmp_path / "outbox").exists()
    allowed = mail(cli, project, "--dry-run", str(tmp_path / "outbox"), "--allow-relative-links")
    assert allowed.code == 0 and "base_url is not set" in allowed.err
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def read_eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
