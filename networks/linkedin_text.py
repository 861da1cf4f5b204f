"""LinkedIn's "little text" format for post ``commentary``.

LinkedIn parses ``commentary`` as little text, where ``\\ | { } @ [ ] ( ) < > # * _ ~``
are reserved. An unescaped reserved character that does not form an element makes
LinkedIn **silently truncate** the post at that character while still answering 201, so
every reserved character is backslash-escaped except inside the two elements we want
LinkedIn to see:

* **Mentions** ``@[Name](urn:li:person:abc)`` / ``@[Name](urn:li:organization:123)`` are
  kept verbatim. A display name containing parentheses, brackets or a backslash is not
  treated as a mention (the grammar gives no safe way to write one): it is escaped and
  shows literally, which is ugly but never truncates.
* **Hashtags** ``#word`` are kept verbatim: ``#`` at the start of the text or after a
  non-word character, followed by letters and digits **with at least one letter**.
  ``#1``, ``#2024`` and ``C#`` are *not* hashtags: they are escaped and show as typed.

  An underscore *ends* the hashtag and is escaped like any other: ``#machine_learning``
  becomes ``#machine\\_learning``. Whether LinkedIn's parser accepts ``_`` inside a hashtag
  is not documented, and the two mistakes are not equal: if it does not and we leave ``_``
  raw, the whole post is cut at the underscore; if it does and we escape it, the text
  still reads ``#machine_learning`` and only ``#machine`` is linked. (The sandbox's parser
  takes the strict reading.)

  The rule throughout: when unsure, escape. The worst case of escaping is a plain-text
  ``#1``; the worst case of not escaping is a truncated post.

**URLs** are escaped too, *including* ``#``, ``_``, ``(``, ``)`` and ``~`` inside them.
The escapes are consumed by the little-text parser, so LinkedIn stores and renders the
original URL (``…/Foo_(bar)``) and auto-links it; leaving ``(`` raw inside a URL is what
truncates, and a raw ``#fragment`` would turn into a hashtag. URL detection exists only to
stop ``https://example.com/#intro`` from being taken for a hashtag.

``unescape_little_text`` is the inverse (what LinkedIn shows); ``unescape(escape(t)) == t``
for every ``t``.
"""

from __future__ import annotations

import re

RESERVED = frozenset("\\|{}@[]()<>#*_~")
MAX_COMMENTARY = 3000

_MENTION = re.compile(r"@\[[^\[\]()\\\n]{1,200}\]\(urn:li:(?:person|organization):[A-Za-z0-9_-]+\)")
_HASHTAG = re.compile(r"#[^\W_]*[^\W\d_][^\W_]*")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_PAIRS = {")": "(", "]": "[", "}": "{"}
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def _escape_all(text: str) -> str:
    return "".join(f"\\{ch}" if ch in RESERVED else ch for ch in text)


def _url_at(text: str, pos: int) -> str | None:
    """The URL starting at ``pos``, without trailing punctuation or an unbalanced closer."""
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "/@."):
        return None
    match = _URL.match(text, pos)
    if not match:
        return None
    url = match.group(0)
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url if "." in url or "://" in url else None


def _hashtag_at(text: str, pos: int) -> str | None:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_\\&"):
        return None
    match = _HASHTAG.match(text, pos)
    return match.group(0) if match else None


def escape_little_text(text: str) -> str:
    """Escape ``text`` for LinkedIn ``commentary``, keeping real mentions and hashtags."""
    out: list[str] = []
    pos = 0
    length = len(text)
    while pos < length:
        ch = text[pos]
        if ch == "@" and (mention := _MENTION.match(text, pos)):
            out.append(mention.group(0))
            pos = mention.end()
        elif ch in "hHwW" and (url := _url_at(text, pos)):
            out.append(_escape_all(url))
            pos += len(url)
        elif ch == "#" and (tag := _hashtag_at(text, pos)):
            out.append(tag)
            pos += len(tag)
        else:
            out.append(f"\\{ch}" if ch in RESERVED else ch)
            pos += 1
    return "".join(out)


def unescape_little_text(text: str) -> str:
    """What LinkedIn displays for escaped ``text`` (mentions shown in their raw form)."""
    return _UNESCAPE.sub(r"\1", text)
