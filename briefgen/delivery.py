"""Delivery: the Sender protocol, its SMTP and in-memory implementations, and deliver() with retries.

A Sender takes one message addressed to one recipient and either returns (the server accepted it)
or raises one of three DeliveryErrors, which decide what happens next:

- TemporaryFailure: may work later (connection refused or lost, timeout, 4xx). Retried with
  backoff; once the retries are spent, a lost connection stops the run, a 4xx moves on.
- RecipientRefused: this recipient will never be accepted as things stand (5xx); the others go on.
- ServerRefused: nobody can be served (login refused, TLS failure, sender refused); the run stops.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from .config import SECURITY, SmtpConfig
from .errors import DeliveryError, Problem, Problems

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
PASSWORD_VARIABLES = ("BRIEFGEN_SMTP_PASSWORD", "BRIEFGEN_SMTP_PASSWORD_FILE")


class TemporaryFailure(DeliveryError):
    """Worth retrying. `connection` is true when the server itself is out of reach."""

    def __init__(self, reason: str, *, connection: bool) -> None:
        super().__init__(reason)
        self.connection = connection


class RecipientRefused(DeliveryError):
    """The server refused this one recipient or message for good."""


class ServerRefused(DeliveryError):
    """The server refuses every message from us; trying the others is pointless."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` to its one recipient; return only once it was accepted."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to connect; the password never appears in a repr or a message."""

    host: str
    port: int
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0


def smtp_settings(config: SmtpConfig, environ: Mapping[str, str]) -> SmtpSettings:
    """`mail.smtp` from briefgen.yaml with BRIEFGEN_SMTP_* variables winning; every problem at once.

    The password is read only from BRIEFGEN_SMTP_PASSWORD, or from the file BRIEFGEN_SMTP_PASSWORD_FILE
    names. An empty variable counts as unset.
    """
    problems: list[Problem] = []

    def env(name: str) -> str:
        return environ.get(name, "").strip()

    host = env("BRIEFGEN_SMTP_HOST") or config.host
    security = (env("BRIEFGEN_SMTP_SECURITY") or config.security).lower()
    if security not in SECURITY:
        problems.append(Problem(None, None, f"BRIEFGEN_SMTP_SECURITY must be one of {', '.join(SECURITY)}"))
        security = "starttls"
    port = config.port
    if env("BRIEFGEN_SMTP_PORT"):
        text = env("BRIEFGEN_SMTP_PORT")
        port = int(text) if text.isdigit() else -1
        if not 0 < port < 65536:
            problems.append(Problem(None, None, f"BRIEFGEN_SMTP_PORT '{text}' is not a port number"))
    if port == 0:
        port = DEFAULT_PORTS[security]
    user = env("BRIEFGEN_SMTP_USER") or config.user
    password = ""
    try:
        password = _password(environ)
    except Problem as problem:
        problems.append(problem)
    if user and not password and not problems:
        problems.append(
            Problem(
                None,
                None,
                f"an SMTP user ('{user}') is set but no password: set BRIEFGEN_SMTP_PASSWORD, or "
                "BRIEFGEN_SMTP_PASSWORD_FILE to a file holding it",
            )
        )
    if password and not user:
        problems.append(
            Problem(None, None, "an SMTP password but no user: set mail.smtp.user or BRIEFGEN_SMTP_USER")
        )
    if user and security == "none":
        problems.append(
            Problem(
                None,
                None,
                "refusing to send the SMTP password over an unencrypted connection: "
                "set mail.smtp.security (or BRIEFGEN_SMTP_SECURITY) to starttls or ssl",
            )
        )
    if problems:
        raise Problems(problems)
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        user=user,
        password=password,
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
    )


def _password(environ: Mapping[str, str]) -> str:
    direct = environ.get("BRIEFGEN_SMTP_PASSWORD", "")
    file_name = environ.get("BRIEFGEN_SMTP_PASSWORD_FILE", "").strip()
    if direct and file_name:
        raise Problem(None, None, f"set only one of {' or '.join(PASSWORD_VARIABLES)}, not both")
    if not file_name:
        return direct
    path = Path(file_name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise Problem(path, None, f"cannot read the SMTP password file: {reason}") from None
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        raise Problem(path, None, "the SMTP password file is empty")
    return password


def envelope(message: EmailMessage) -> tuple[str, str]:
    """(sender, recipient) addresses of a message written for exactly one recipient."""
    senders: tuple[Address, ...] = message["From"].addresses
    recipients: tuple[Address, ...] = message["To"].addresses
    if len(senders) != 1 or len(recipients) != 1:
        raise ValueError("a digest message has exactly one sender and one recipient")
    return senders[0].addr_spec, recipients[0].addr_spec


class SmtpSender:
    """Sends over one SMTP connection, opened on first use and reopened after any failure."""

    def __init__(self, settings: SmtpSettings, context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.context = context if context is not None else ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        sender, recipient = envelope(message)
        try:
            if self._client is None:
                self._client = self._connect()
            self._client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except Exception as error:
            self.close()
            raise classify(error) from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self.context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                client.starttls(context=self.context)
            if s.user:
                client.login(s.user, s.password)
        except BaseException:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.close()
            raise
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            client.close()

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def classify(error: Exception) -> DeliveryError:
    """What an smtplib or socket error means for this recipient and for the run."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return ServerRefused(f"the server refused the login: {_reply(error.smtp_code, error.smtp_error)}")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (-1, b""))
        return _by_code(code, text, per_message=True)
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _by_code(error.smtp_code, error.smtp_error, per_message=False, what="refused the sender")
    if isinstance(error, smtplib.SMTPDataError):
        return _by_code(error.smtp_code, error.smtp_error, per_message=True)
    if isinstance(error, smtplib.SMTPResponseException):  # greeting, HELO, STARTTLS replies
        return _by_code(error.smtp_code, error.smtp_error, per_message=False)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return ServerRefused(f"the server does not support what is needed: {_clean(str(error))}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryFailure("the server closed the connection", connection=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return ServerRefused(f"the server's TLS certificate was not accepted: {error.verify_message}")
    if isinstance(error, ssl.SSLError):
        return ServerRefused(f"TLS failed: {error.reason or error}")
    if isinstance(error, ConnectionRefusedError):
        return TemporaryFailure("connection refused", connection=True)
    if isinstance(error, TimeoutError):
        return TemporaryFailure("the server did not answer in time", connection=True)
    if isinstance(error, OSError):
        return TemporaryFailure(_clean(error.strerror or str(error)), connection=True)
    return ServerRefused(_clean(str(error)) or type(error).__name__)


def _by_code(code: int, text: bytes | str, *, per_message: bool, what: str = "refused") -> DeliveryError:
    reply = _reply(code, text)
    if code == 421:  # the server is closing the connection
        return TemporaryFailure(f"the server is unavailable: {reply}", connection=True)
    if 400 <= code < 500:
        return TemporaryFailure(f"the server deferred it: {reply}", connection=False)
    if 500 <= code < 600:
        if per_message:
            return RecipientRefused(f"the server refused it: {reply}")
        return ServerRefused(f"the server {what}: {reply}")
    return TemporaryFailure(f"unexpected reply: {reply}", connection=True)


def _reply(code: int, text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return _clean(f"{code} {decoded}")


def _clean(text: str) -> str:
    """A server's words on one printable line."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())


class MemorySender:
    """The in-memory twin: keeps what it accepts. `failures[address]` lists errors (or interruptions)
    to raise, in order, on the next attempts for that recipient."""

    def __init__(self, failures: Mapping[str, Sequence[BaseException]] | None = None) -> None:
        self.sent: list[EmailMessage] = []
        self.attempts: list[str] = []
        self._failures = {k.casefold(): list(v) for k, v in (failures or {}).items()}

    def send(self, message: EmailMessage) -> None:
        recipient = envelope(message)[1]
        self.attempts.append(recipient)
        pending = self._failures.get(recipient.casefold())
        if pending:
            raise pending.pop(0)
        self.sent.append(message)


@dataclass(frozen=True, slots=True)
class Parcel:
    recipient: str
    message: EmailMessage


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one recipient's message: sent or not, after how many attempts, and why not."""

    recipient: str
    sent: bool
    attempts: int
    problem: str = ""  # why it was not sent


def deliver(
    parcels: Iterable[Parcel],
    sender: Sender,
    *,
    retries: int,
    backoff: float,
    on_sent: Callable[[Parcel], None],
    log: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Send each parcel, calling `on_sent` as soon as the server accepted it; never raises a
    DeliveryError. Once the server is out of reach or refuses us, the rest are not attempted."""
    outcomes: list[Delivery] = []
    halted = ""
    for parcel in parcels:
        if halted:
            outcomes.append(Delivery(parcel.recipient, False, 0, f"not attempted: {halted}"))
            continue
        attempt = 0
        while True:
            attempt += 1
            try:
                sender.send(parcel.message)
            except TemporaryFailure as failure:
                if attempt <= retries:
                    delay = backoff * 2 ** (attempt - 1)
                    log(f"{parcel.recipient}: {failure}; retrying in {delay:g} s ({attempt}/{retries})")
                    sleep(delay)
                    continue
                outcomes.append(Delivery(parcel.recipient, False, attempt, f"{failure} (gave up)"))
                if failure.connection:
                    halted = f"{failure} after {attempt} attempts"
            except RecipientRefused as refusal:
                outcomes.append(Delivery(parcel.recipient, False, attempt, str(refusal)))
            except ServerRefused as refusal:
                outcomes.append(Delivery(parcel.recipient, False, attempt, str(refusal)))
                halted = str(refusal)
            else:
                on_sent(parcel)
                outcomes.append(Delivery(parcel.recipient, True, attempt))
            break
    return outcomes


__all__ = [
    "Delivery",
    "MemorySender",
    "Parcel",
    "RecipientRefused",
    "Sender",
    "ServerRefused",
    "SmtpSender",
    "SmtpSettings",
    "TemporaryFailure",
    "classify",
    "deliver",
    "envelope",
    "smtp_settings",
]
