"""Our emails' MIME bytes, as Python's ``email`` package writes them, with less work.

A weekly digest run builds 100,000 messages; flattening one (``message().as_bytes()``, what
Django's SMTP backend sends) cost about as much as rendering it. ``FastEmailMessage`` is
Django's ``EmailMultiAlternatives`` whose ``message()`` flattens with ``FastBytesGenerator``,
which writes the same bytes as the standard library's ``BytesGenerator`` with three shortcuts:

- a header of printable ASCII words is written as the compat32 policy's folding
  (``email.header.Header.encode``, a hundred Python calls) writes it in the three cases our
  emails have: it fits on the line (``Name: value``), it is one long word (the URL of
  ``List-Unsubscribe``: on a line of its own) or two words of which the first fits (the
  multipart ``Content-Type`` and its boundary: broken between them). Anything else (more
  words, other whitespace, non-ASCII, already encoded) is folded by the policy;
- a body without CR is written at once with its line ends swapped, not line by line;
- the multipart boundary is checked against the parts with a substring search, and only
  if it occurs (never, in practice) with the regular expression compiled per message.

And an ASCII text part whose longest line is known (``attach_7bit_alternative``; the
digests' HTML, see ``SlotTemplate``) is made without Django's measuring of every line, which
would choose the same encoding (no quoted-printable) when none is over 998 characters.

tests/notifications/test_mime.py compares the bytes with the standard library's on many
messages; the stock path is taken whenever a message is not the compat32 kind Django makes.
"""

import functools
import re
from email.generator import BytesGenerator
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEMultipart,
    SafeMIMEText,
    forbid_multi_line_headers,
    utf8_charset,
)

# Printable ASCII, neither starting nor ending with a space (other whitespace or line breaks
# take the policy's path).
_PLAIN_VALUE = re.compile(r"[!-~](?:[ -~]*[!-~])?")


def fold_plain(name: str, value: str, limit: int, linesep: str) -> str | None:
    """What ``Compat32.fold(name, value)`` returns, for the values it is sure of; else None."""
    if type(value) is not str or not _PLAIN_VALUE.fullmatch(value):
        return None
    if len(name) + 2 + len(value) <= limit:
        return f"{name}: {value}{linesep}"
    if " " not in value:  # a word too long for the line: alone on the next one
        return f"{name}: {linesep} {value}{linesep}"
    first, _, rest = value.partition(" ")
    if " " not in rest and len(name) + 2 + len(first) <= limit:  # broken at the space
        return f"{name}: {first}{linesep} {rest}{linesep}"
    return None


class FastBytesGenerator(BytesGenerator):
    def _write_headers(self, msg):
        policy = self.policy
        if type(policy) is not Compat32:
            return super()._write_headers(msg)
        limit = policy.max_line_length or 1_000_000  # what compat32 passes Header.encode
        linesep = policy.linesep
        out = []
        for name, value in msg.raw_items():
            folded = fold_plain(name, value, limit, linesep)
            out.append(policy.fold_binary(name, value) if folded is None else folded.encode("ascii"))
        self._fp.write(b"".join(out))
        self.write(self._NL)  # a blank line always separates headers from body

    def _write_lines(self, lines):
        if "\r" in lines:
            return super()._write_lines(lines)
        # Without CR, the stock loop (split at email.generator.NLCRE, write each line and _NL)
        # writes the text with each LF made _NL: in one write here.
        self.write(lines if self._NL == "\n" else lines.replace("\n", self._NL))

    @classmethod
    def _make_boundary(cls, text=None):
        boundary = super()._make_boundary()
        if text is None:
            return boundary
        needle = "--" + boundary
        if (needle.encode("ascii") if isinstance(text, bytes) else needle) not in text:
            return boundary  # cannot start a line of the text: no need for the regex
        # In the text, maybe at a line's start: the standard library's own loop, from the same draw.
        candidate, counter = boundary, 0
        while cls._compile_re("^--" + re.escape(candidate) + "(--)?$", re.MULTILINE).search(text):
            candidate, counter = f"{boundary}.{counter}", counter + 1
        return candidate


@functools.lru_cache(maxsize=64)
def _subject_header(value: str, encoding) -> tuple[str, str]:
    # Django encodes every subject with email.header.Header (even ASCII, ~50 µs); a chunk's
    # digests have a handful of subjects between them.
    return forbid_multi_line_headers("Subject", value, encoding)


class FastMIMEMultipart(SafeMIMEMultipart):
    def __setitem__(self, name, val):
        if name == "Subject" and type(val) is str and (self.encoding is None or type(self.encoding) is str):
            MIMEMultipart.__setitem__(self, *_subject_header(val, self.encoding or settings.DEFAULT_CHARSET))
        else:
            super().__setitem__(name, val)

    def as_bytes(self, unixfrom=False, linesep="\n"):
        fp = BytesIO()
        FastBytesGenerator(fp, mangle_from_=False).flatten(self, unixfrom=unixfrom, linesep=linesep)
        return fp.getvalue()


class FastEmailMessage(EmailMultiAlternatives):
    """``EmailMultiAlternatives`` whose MIME message flattens with ``FastBytesGenerator``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._7bit: list[str] = []

    def attach_7bit_alternative(self, content: str, mimetype: str, *, longest_line: int) -> None:
        """``attach_alternative`` for an ASCII text whose longest line the caller measured
        (``SlotTemplate.fill`` does, to break long lines): no need to measure them again."""
        if not mimetype.startswith("text/") or not content.isascii():
            raise ValueError(f"not an ASCII text part: {mimetype}")
        self.attach_alternative(content, mimetype)
        if longest_line <= RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            self._7bit.append(content)

    def _create_mime_attachment(self, content, mimetype):
        if any(content is known for known in self._7bit) and (self.encoding or settings.DEFAULT_CHARSET) == "utf-8":
            # What SafeMIMEText(content, subtype, "utf-8") picks after measuring every line:
            # Django's utf-8 charset without quoted-printable (short lines); ASCII makes it 7bit.
            return SafeMIMEText(content, mimetype.split("/", 1)[1], utf8_charset)
        return super()._create_mime_attachment(content, mimetype)

    def _create_message(self, msg):
        msg = super()._create_message(msg)
        if type(msg) is SafeMIMEMultipart:  # text + HTML, no attachments: our emails
            msg.__class__ = FastMIMEMultipart  # a subclass adding no state: a safe swap
        return msg
