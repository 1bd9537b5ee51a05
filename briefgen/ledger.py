"""The mail ledger: which digest went to whom, recorded only once a server accepted it.

The ledger is one JSON file, `.briefgen/mail-ledger.json` under the project folder. Every change
rewrites it whole into a temporary file beside it, flushed to disk, then moved over the old one, so
a crash at any moment leaves either the old ledger or the new one, never half of one. A lock held
for the whole run keeps two `briefgen mail` processes from serving the same list at once; the
operating system releases it when a process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import Problem
from .faults import crash_point
from .writer import write_atomically

STATE_DIR = ".briefgen"
LEDGER_FILE = "mail-ledger.json"
LOCK_FILE = "mail.lock"
FORMAT = 1


class LedgerError(Problem):
    """The ledger cannot be read or written; sending stops rather than risk sending twice."""


@dataclass(frozen=True, slots=True)
class SentDigest:
    """One digest accepted by the server for one recipient."""

    day: str  # YYYY-MM-DD
    recipient: str  # the address as sent to, compared case-insensitively
    digest: str  # fingerprint of what the message said (subject, parts, PDF)
    message_id: str
    sent_at: str  # ISO timestamp, UTC

    def matches(self, day: dt.date, recipient: str) -> bool:
        return self.day == day.isoformat() and self.recipient.casefold() == recipient.casefold()


def ledger_path(root: Path) -> Path:
    return root / STATE_DIR / LEDGER_FILE


class Ledger:
    """The entries of one ledger file; `record()` adds one and saves the file atomically."""

    def __init__(self, path: Path, entries: tuple[SentDigest, ...] = ()) -> None:
        self.path = path
        self.entries = entries

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read the ledger; a missing file is an empty ledger, a damaged one an error."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except OSError as error:
            raise LedgerError(path, None, f"cannot read the mail ledger: {error.strerror}") from None
        try:
            data = json.loads(text)
            entries = tuple(SentDigest(**item) for item in data["sent"])
        except (ValueError, KeyError, TypeError):
            raise LedgerError(
                path,
                None,
                "the mail ledger is damaged, so briefgen cannot tell who already got which digest; "
                "repair the file or move it away (everyone would then be sent the digest again)",
            ) from None
        return cls(path, entries)

    def find(self, day: dt.date, recipient: str) -> SentDigest | None:
        """The latest entry for this day and recipient, if they were ever served."""
        found = [entry for entry in self.entries if entry.matches(day, recipient)]
        return found[-1] if found else None

    def record(self, entry: SentDigest) -> None:
        crash_point("ledger")  # the tests' "the server accepted it, then the process died"
        self.entries = (*self.entries, entry)
        data = {"format": FORMAT, "sent": [asdict(e) for e in self.entries]}
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        write_atomically(self.path, text.encode(), durable=True)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold `.briefgen/mail.lock` for the duration; fail at once if another run holds it."""
    path = root / STATE_DIR / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise LedgerError(path, None, f"cannot create the mail lock: {error.strerror}") from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: run without the lock
            yield
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise LedgerError(
                path, None, "another 'briefgen mail' is running for this project; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(descriptor)


__all__ = ["Ledger", "LedgerError", "SentDigest", "ledger_path", "locked"]
