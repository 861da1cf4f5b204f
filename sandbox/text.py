"""Text rules of the two networks: LinkedIn "little text" and X's weighted length.

LinkedIn: ``| { } @ [ ] ( ) < > # \\ * _ ~`` must be backslash-escaped unless they form a
mention ``@[Name](urn:li:person:...)`` or a hashtag ``#tag``; an unescaped one makes
LinkedIn keep only the text before it (and still answer 201). The sandbox does the same,
so a client that forgets to escape loses text in tests, not in production.

X (twitter-text v3): NFC, then code points up to U+10FF and a few punctuation ranges
weigh 1, everything else 2, an emoji sequence 2, and every URL 23.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

LITTLE_TEXT_RESERVED = frozenset("|{}@[]()<>#\\*_~")
# Strict readings where LinkedIn's grammar is undocumented (a stricter sandbox catches more
# client bugs): a mention's name has no brackets, parentheses, backslash or newline; a
# hashtag follows the start or a non-word character and has at least one letter, so
# "#2024" and "C#" must be escaped, and "_" ends a hashtag.
_MENTION = re.compile(r"@\[([^\[\]()\\\n]+)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")
_HASHTAG = re.compile(r"#[^\W_]*[^\W\d_][^\W_]*")
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|([^{}|\\]+)\}")


@dataclass
class LittleText:
    text: str  # what LinkedIn stores and shows
    truncated: bool
    stopped_at: int | None  # index in the raw commentary of the offending character


def parse_little_text(raw: str) -> LittleText:
    """Unescape ``\\x``, keep mentions and hashtags, truncate at the first bare reserved char."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
            continue
        if ch == "@" and (m := _MENTION.match(raw, i)):
            out.append(m.group(0))
            i = m.end()
            continue
        if ch == "#" and (i == 0 or not raw[i - 1].isalnum()) and (m := _HASHTAG.match(raw, i)):
            out.append(m.group(0))
            i = m.end()
            continue
        if ch == "{" and (m := _HASHTAG_TEMPLATE.match(raw, i)):
            out.append("#" + m.group(1))
            i = m.end()
            continue
        if ch in LITTLE_TEXT_RESERVED:
            return LittleText(text="".join(out), truncated=True, stopped_at=i)
        out.append(ch)
        i += 1
    return LittleText(text="".join(out), truncated=False, stopped_at=None)


# --- X ---
URL_WEIGHT = 23
_ONE_WEIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_TLDS = "com|org|net|io|co|ai|dev|app|edu|gov|info|biz|me|tv|uk|de|fr|es|it|nl|eu|us|ca|jp|ly|gl|sh"
URL_PATTERN = re.compile(
    r"(?:https?://[^\s<>\"]+|\bwww\.[^\s<>\"]+|\b(?:[a-z0-9-]+\.)+(?:" + _TLDS + r")\b(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\")]}"


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL, trailing punctuation excluded as twitter-text does."""
    spans = []
    for match in URL_PATTERN.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING_PUNCTUATION:
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _is_emoji_start(cp: int) -> bool:
    return cp >= 0x1F000 or 0x2190 <= cp <= 0x2BFF


def _emoji_sequence_end(text: str, i: int) -> int:
    """Index after the emoji sequence starting at ``i`` (ZWJ, modifiers, flags, keycaps)."""
    n = len(text)
    cp = ord(text[i])
    if 0x1F1E6 <= cp <= 0x1F1FF:  # regional indicators pair into one flag
        return i + 2 if i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF else i + 1
    j = i + 1
    while j < n:
        nxt = ord(text[j])
        if nxt in (0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= nxt <= 0x1F3FF or 0xE0020 <= nxt <= 0xE007F:
            j += 1
        elif nxt == 0x200D and j + 1 < n and _is_emoji_start(ord(text[j + 1])):
            j += 2
        else:
            break
    return j


def _char_weight(cp: int) -> int:
    return 1 if any(lo <= cp <= hi for lo, hi in _ONE_WEIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """twitter-text v3 weighted length (the limit is 280)."""
    text = unicodedata.normalize("NFC", text)
    total, i = 0, 0
    spans = find_urls(text)
    span_at = {start: end for start, end in spans}
    while i < len(text):
        if i in span_at:
            total += URL_WEIGHT
            i = span_at[i]
            continue
        cp = ord(text[i])
        is_keycap = text[i] in "0123456789#*" and text[i + 1 : i + 3] == "\ufe0f\u20e3"
        if is_keycap or _is_emoji_start(cp):
            total += 2
            i = i + 3 if is_keycap else _emoji_sequence_end(text, i)
            continue
        total += _char_weight(cp)
        i += 1
    return total


def tco_link(url: str, post_id: str) -> str:
    """A t.co-looking short link, stable for a given post and URL."""
    digest = hashlib.sha256(f"{post_id}|{url}".encode()).hexdigest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int(digest[:16], 16)
    code = "".join(alphabet[(number >> (6 * k)) % 62] for k in range(10))
    return f"https://t.co/{code}"


def x_escape(text: str) -> str:
    """X returns post text with ``&``, ``<`` and ``>`` as HTML entities (quotes stay as they are)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap_urls(text: str, post_id: str) -> tuple[str, list[dict[str, object]]]:
    """Replace URLs by t.co links as X does; returns the new text and ``entities.urls``."""
    out, entities, last = [], [], 0
    for start, end in find_urls(text):
        url = text[start:end]
        expanded = url if re.match(r"https?://", url, re.IGNORECASE) else f"http://{url}"
        short = tco_link(expanded, post_id)
        out.append(text[last:start])
        position = sum(len(part) for part in out)
        out.append(short)
        entities.append(
            {
                "start": position,
                "end": position + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": re.sub(r"^https?://(www\.)?", "", expanded)[:26],
                # X follows redirects to the final page; the sandbox fetches nothing, so the
                # link itself is the final page.
                "unwound_url": expanded,
            }
        )
        last = end
    out.append(text[last:])
    return "".join(out), entities
