"""Reading the development mail folder (Django's file email backend) for the admin Outbox.

The file backend appends each message to ``EMAIL_FILE_PATH/<timestamp>-<id>.log``, one
file per connection, messages separated by a line of 79 dashes. Only files directly in
that folder whose names look like the backend's are ever opened.
"""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
_FILE_NAME = re.compile(r"^[\w.-]{1,200}\.log$")


@dataclass(frozen=True)
class OutboxEntry:
    key: str  # "<file name>:<index in file>"
    subject: str
    to: str
    sender: str
    date: datetime | None
    message: EmailMessage

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in self.message.items()]


def outbox_enabled() -> bool:
    return settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"


def outbox_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _files() -> list[Path]:
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and _FILE_NAME.match(p.name)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def _parse(path: Path) -> list[OutboxEntry]:
    # Bytes, not text: 8bit UTF-8 bodies only decode right when the parser sees bytes.
    raw = path.read_bytes()
    entries = []
    for index, chunk in enumerate(part for part in raw.split(SEPARATOR) if part.strip()):
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
        try:
            date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
        except (TypeError, ValueError):
            date = None
        entries.append(OutboxEntry(
            key=f"{path.name}:{index}", subject=str(message["Subject"] or "(no subject)"),
            to=str(message["To"] or ""), sender=str(message["From"] or ""), date=date,
            message=message,  # type: ignore[arg-type]
        ))
    return entries


def outbox_list(*, limit: int = 200, search: str = "") -> list[OutboxEntry]:
    """The newest messages first, at most ``limit``."""
    needle = search.strip().lower()
    found: list[OutboxEntry] = []
    for path in _files():
        for entry in reversed(_parse(path)):
            if needle and needle not in f"{entry.subject} {entry.to}".lower():
                continue
            found.append(entry)
            if len(found) >= limit:
                return found
    return found


def outbox_get(key: str) -> OutboxEntry | None:
    name, _, index = key.rpartition(":")
    if not _FILE_NAME.match(name) or not index.isdigit():
        return None
    path = outbox_dir() / name
    if not path.is_file() or path.parent.resolve() != outbox_dir().resolve():
        return None
    entries = _parse(path)
    position = int(index)
    return entries[position] if position < len(entries) else None
