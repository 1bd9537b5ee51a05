"""Real SMTP servers on 127.0.0.1 for the mail tests (aiosmtpd), with the faults a test needs:
a recipient refused, a 4xx deferral, a connection dropped after N messages, STARTTLS or implicit
TLS with a self-signed certificate, and AUTH with one known user."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and the raw bytes that came over the wire."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The aiosmtpd handler: records what it accepts and plays the faults it is told to.

    `refuse` maps an address to the reply its RCPT gets (`550 ...`, `451 ...`); `drop_after` makes
    the server cut every connection, at RCPT, once it holds that many messages, until `recover()`.
    """

    refuse: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    received: list[Received] = field(default_factory=list)
    rcpt_attempts: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def recover(self) -> None:
        self.drop_after = None

    @property
    def recipients(self) -> list[str]:
        """Every address served, once per message (a duplicate shows up twice)."""
        with self.lock:
            return [address for got in self.received for address in got.rcpt_tos]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.lock:
            self.rcpt_attempts.append(address)
            dropping = self.drop_after is not None and len(self.received) >= self.drop_after
        if dropping:
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()  # the connection is gone: no reply reaches the client
            return "421 4.3.0 going away"
        reply = self.refuse.get(address.casefold())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content
        assert isinstance(data, bytes) and envelope.mail_from is not None
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), data))
        return "250 2.0.0 accepted"

    def authenticate(
        self, users: dict[str, str]
    ) -> Any:  # aiosmtpd's authenticator callable: (server, session, envelope, mechanism, data)
        def check(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            user, password = data.login.decode(), data.password.decode()
            ok = users.get(user) == password
            if ok:
                with self.lock:
                    self.logins.append(user)
            return AuthResult(success=ok, handled=False)

        return check


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    port: int
    mailbox: Mailbox


@contextmanager
def smtp_server(
    mailbox: Mailbox | None = None,
    *,
    port: int | None = None,
    starttls: Certificate | None = None,
    implicit_tls: Certificate | None = None,
    users: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run an SMTP server on 127.0.0.1 for the duration of the block.

    With `starttls`, STARTTLS is required before anything else; with `users`, AUTH is required
    (and, as real servers do, offered only over TLS).
    """
    mailbox = mailbox if mailbox is not None else Mailbox()
    port = port or free_port()
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls.server_context(), require_starttls=True)
    if implicit_tls is not None:
        options.update(ssl_context=implicit_tls.server_context())
    if users is not None:
        options.update(authenticator=mailbox.authenticate(users), auth_required=True, auth_require_tls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield Server(port, mailbox)
    finally:
        controller.stop()
