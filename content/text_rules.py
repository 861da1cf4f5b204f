"""Share-text rules: the one implementation of how long a post is and what Chorus posts.

Admin forms, the employee portal and the API all call these pure functions (no models), and
``static/js/share-counter.js`` mirrors them line for line so the live counter and the server
never disagree; ``tests/content/test_counter_js.py`` runs both over the same strings in
Chromium and asserts equality.

Why our own implementation and not the ``twitter-text-parser`` package (used only as a test
oracle): the counter needs a JavaScript twin anyway, and the package diverges from
twitter-text itself where it matters — it counts a bare ``©``/``®`` as 2 (twitter-text's
emoji regex only takes them with U+FE0F), it lacks twitter-text's "short ccTLD domain"
rule (``example.de`` is not a link, ``example.co`` is), its emoji data stops at Unicode 12
(so ``🐦‍🔥`` or ``🫱🏻‍🫲🏿`` count 5-9 instead of 2), it validates hosts with Python's IDNA
2003 codec (rejecting domains twitter-text accepts), and it imports the deprecated
``pkg_resources``. It is MIT-licensed; the license was never the problem.

X (twitter-text v3 weighting, 280):

* NFC first, ``\\r\\n``/``\\r`` count as one ``\\n`` (browsers submit ``\\r\\n``, X sees ``\\n``).
* Code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1,
  every other code point 2.
* An emoji *sequence* of two or more code points weighs 2 in total: a regional-indicator
  pair (flag), a keycap (``[#*0-9] FE0F? 20E3``), or Extended_Pictographic elements, each
  optionally followed by FE0F, a skin-tone modifier or a tag sequence, joined by ZWJ (at
  most four elements, the longest real sequences). This is the grammar of UTS #51 rather
  than twitter-text's fixed list, so new emoji keep counting 2 (the price: a made-up ZWJ
  pair such as ``👨‍🔥`` also counts 2 where X may count 5); a single code point keeps its
  own weight (a bare ``©`` is 1, ``©️`` is 2).
* Every URL weighs 23. URL detection is twitter-text's own grammar, ported: http(s) URLs
  with any host that has a known TLD (IANA list as shipped by twitter-text, including
  IDN TLDs), and bare domains (``example.com/path``) whose domain is ASCII; a bare
  one-label ccTLD domain without a path is a link only for ``.co``/``.tv``; t.co slugs;
  balanced parentheses in paths; trailing punctuation excluded. Deliberate simplifications,
  identical in the JS: case-insensitivity is ASCII-only (an upper-case ``.РФ`` is not a TLD),
  the IDNA check is reduced to "every label 1–63 code points" (twitter-text measures the
  punycode form of non-ASCII labels), and that label cap sits inside the pattern, which
  keeps long CJK runs linear instead of quadratic (so in "<64+ letters glued>example.com"
  we still find example.com where twitter-text gives up). Hosts without a TLD
  (``localhost``, IP addresses) are not links for X either, which is why :func:`measure`
  counts the tracked link as 23 itself instead of relying on detection.

LinkedIn (3000): the limit applies to the stored ``commentary``, which is the text as shown
(the little-text escapes added by ``networks.linkedin_text`` are consumed by
LinkedIn's parser). LinkedIn's backend counts Java ``String`` length, i.e. UTF-16 code units,
so an emoji outside the BMP counts 2. Counting UTF-16 units is never lower than counting
code points, so we err on the side of a post LinkedIn accepts.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from PIL import Image, UnidentifiedImageError

from networks.x_text import INVALID_CHARS, emoji_regex, url_spans

NETWORK_X = "x"
NETWORK_LINKEDIN = "linkedin"
X_MAX_WEIGHTED = 280
X_URL_WEIGHT = 23
LINKEDIN_MAX_CHARS = 3000

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 8000
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

# Whitespace we strip and collapse, spelled out so Python and JS agree exactly (str.strip()
# and String.prototype.trim() disagree on U+001C-U+001F, U+0085 and U+FEFF).
_SPACE_CHARS = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE_RUN = re.compile(f"[{_SPACE_CHARS}]+")
_NEWLINES = re.compile("\r\n?")
# twitter-text's "invalid characters": a post containing them is rejected, and they are
# invisible, so composing drops them.
_INVALID_RUN = re.compile(f"[{INVALID_CHARS}]+")


# --- X weighted length ---------------------------------------------------------------------


def x_weighted_length(text: str) -> int:
    """The length X gives ``text`` (twitter-text v3 with emoji parsing), see module docstring."""
    text = _count_form(text)
    url_ends = dict(url_spans(text))
    emoji = emoji_regex()
    total = 0
    i = 0
    while i < len(text):
        end = url_ends.get(i)
        if end is not None:
            total += X_URL_WEIGHT
            i = end
            continue
        match = emoji.match(text, i)
        if match and match.end() - i > 1:
            total += 2
            i = match.end()
            continue
        total += _code_point_weight(ord(text[i]))
        i += 1
    return total


def linkedin_length(text: str) -> int:
    """LinkedIn's length of ``text``: UTF-16 code units after NFC (see module docstring)."""
    text = _count_form(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _code_point_weight(cp: int) -> int:
    if cp <= 0x10FF or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037:
        return 1
    return 2


def _count_form(text: str) -> str:
    return _NEWLINES.sub("\n", unicodedata.normalize("NFC", text))


# --- composing and measuring ---------------------------------------------------------------


def compose_share_text(text: str, *, link_url: str | None, disclosure: str) -> str:
    """The exact text Chorus posts; every length check runs on this.

    Layout: the employee's text (NFC, ``\\n`` line ends, invisible invalid characters
    dropped, surrounding whitespace stripped), then ``" " + disclosure`` unless the text
    already contains it (case-insensitive, as a whole word), then ``"\\n" + link_url`` on a
    line of its own unless the text already contains that exact link. Empty parts are
    left out together with their separator.
    """
    body, link = _compose_parts(text, link_url, disclosure)
    if link is None:
        return body
    return f"{body}\n{link}" if body else link


def _compose_parts(text: str, link_url: str | None, disclosure: str) -> tuple[str, str | None]:
    body = _clean(text)
    notice = _clean(disclosure)
    if notice and not _contains_phrase(body.lower(), notice.lower()):
        body = f"{body} {notice}" if body else notice
    link = _clean(link_url or "")
    if not link or link in body:
        return body, None
    return body, link


def _clean(text: str) -> str:
    return _INVALID_RUN.sub("", _count_form(text)).strip(_SPACE_CHARS)


@dataclass(frozen=True)
class Measure:
    """A post's length against its network's limit; ``ok`` also requires a non-empty post."""

    length: int
    limit: int
    remaining: int
    ok: bool


def measure(network: str, text: str, *, link_url: str | None = None, disclosure: str = "") -> Measure:
    """Measure the composed post for ``network`` (``"x"`` or ``"linkedin"``).

    On X the appended tracked link counts 23 whatever it looks like (X shortens every link
    to t.co; a dev ``http://127.0.0.1:8000/r/…`` is not even detected as a URL). On LinkedIn
    its real characters count, so pass the real link or one of the same length.
    """
    body, link = _compose_parts(text, link_url, disclosure)
    if network == NETWORK_X:
        limit = X_MAX_WEIGHTED
        length = x_weighted_length(body)
        if link is not None:
            length += (1 if body else 0) + X_URL_WEIGHT
    elif network == NETWORK_LINKEDIN:
        limit = LINKEDIN_MAX_CHARS
        length = linkedin_length(f"{body}\n{link}" if body and link else body or link or "")
    else:
        raise ValueError(f"Unknown network {network!r}")
    return Measure(length=length, limit=limit, remaining=limit - length, ok=0 < length <= limit)


# --- blocked words and validation ----------------------------------------------------------


def find_blocked_words(text: str, blocked: Iterable[str]) -> list[str]:
    """The entries of ``blocked`` that occur in ``text`` as whole words or phrases.

    Case-insensitive (Unicode case folding), NFC on both sides, any run of whitespace in a
    phrase matches any run in the text. "Whole" means not glued to a letter, mark, digit or
    underscore, so "guarantee" finds "Guarantee!" but not "guaranteed". Returned in the
    order (and spelling) of ``blocked``, without duplicates.
    """
    haystack = _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", text)).casefold()
    found: list[str] = []
    for entry in blocked:
        word = _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", entry)).strip(" ")
        if word and word not in found and _contains_phrase(haystack, word.casefold()):
            found.append(word)
    return found


def _contains_phrase(haystack: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``haystack`` (both already folded) as a whole word."""
    haystack = _SPACE_RUN.sub(" ", haystack)
    phrase = _SPACE_RUN.sub(" ", phrase).strip(" ")
    if not phrase:
        return False
    start = haystack.find(phrase)
    while start != -1:
        end = start + len(phrase)
        glued_before = start > 0 and _is_word_char(haystack[start - 1]) and _is_word_char(phrase[0])
        glued_after = end < len(haystack) and _is_word_char(haystack[end]) and _is_word_char(phrase[-1])
        if not glued_before and not glued_after:
            return True
        start = haystack.find(phrase, start + 1)
    return False


def _is_word_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LMN"


def validate_share_text(
    network: str,
    text: str,
    *,
    link_url: str | None = None,
    disclosure: str = "",
    blocked_words: Iterable[str] = (),
) -> list[str]:
    """Human-readable problems with the post Chorus would publish; empty when it can go."""
    body, link = _compose_parts(text, link_url, disclosure)
    result = measure(network, text, link_url=link_url, disclosure=disclosure)
    errors: list[str] = []
    if result.length == 0:
        errors.append("There is nothing to post yet: write some text.")
    elif result.length > result.limit and network == NETWORK_X:
        links = len(url_spans(_count_form(body))) + (link is not None)
        note = "" if not links else " (the link counts as 23)" if links == 1 else " (each link counts as 23)"
        errors.append(f"This post is {result.length} characters on X; the limit is {result.limit}{note}.")
    elif result.length > result.limit:
        errors.append(f"This post is {result.length} characters on LinkedIn; the limit is {result.limit}.")
    composed = f"{body}\n{link}" if body and link else body or link or ""
    for word in find_blocked_words(composed, blocked_words):
        errors.append(f"“{word}” is on your company's blocked-words list.")
    return errors


def check_share_text(
    network: str,
    text: str,
    *,
    link_url: str | None = None,
    disclosure: str = "",
    blocked_words: Iterable[str] = (),
) -> None:
    """:func:`validate_share_text` for forms and services: raises ``ValidationError``."""
    errors = validate_share_text(
        network, text, link_url=link_url, disclosure=disclosure, blocked_words=blocked_words
    )
    if errors:
        raise ValidationError(errors)


# "name:" that is a scheme ("mailto:", "javascript:"), not a host and its port ("example.com:8080").
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")


def link_with_scheme(url: str) -> str:
    """``url`` stripped, with ``https://`` in front if it was typed without a scheme
    ("example.com/post", "//example.com/post"); anything else is left for validation."""
    url = (url or "").strip()
    if not url or _HAS_SCHEME.match(url):
        return url
    return f"https:{url}" if url.startswith("//") else f"https://{url}"


def validate_http_url(url: str, *, max_length: int = 2000) -> str:
    """Return ``url`` stripped if it is an absolute http(s) link we are willing to store
    (typed without a scheme, it gets ``https://``: :func:`link_with_scheme`).

    No user-info (``https://bank.example@evil.example/`` phishing), no whitespace or control
    characters, a host is required. This checks shape only: fetching a user-supplied URL
    must still go through the SSRF-safe fetcher.
    """
    url = link_with_scheme(url)
    if not url:
        raise ValidationError("Enter a link.")
    if len(url) > max_length:
        raise ValidationError(f"This link is {len(url)} characters long; the limit is {max_length}.")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        raise ValidationError("A link cannot contain spaces or invisible characters.")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port
    except ValueError:
        raise ValidationError("Enter a valid link.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Only http:// and https:// links are allowed.")
    if "@" in parts.netloc:
        raise ValidationError("Links with a user name or password are not allowed.")
    if not parts.hostname:
        raise ValidationError("This link has no host name.")
    if not port_ok:
        raise ValidationError("This link has an invalid port.")
    validator = URLValidator(schemes=["http", "https"], message="Enter a valid link.")
    validator.max_length = max(max_length, validator.max_length)
    validator(url)
    return url


class ImageUpload(Protocol):
    """What :func:`validate_image_file` needs: a Django ``UploadedFile`` or any binary file.

    ``size`` is optional; without it the file is measured by seeking to its end.
    """

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


def validate_image_file(f: ImageUpload) -> None:
    """Accept only a real JPEG/PNG/GIF/WebP of at most 5 MB and 8000 px a side.

    Only those four decoders are tried (Pillow's rarer parsers are a larger attack surface).
    Decompression bombs are refused: Pillow raises above 2 × ``MAX_IMAGE_PIXELS`` and warns
    above it; the warning is turned into an error, and because ``catch_warnings`` is not
    thread-safe the pixel count is also checked explicitly. The file is left at position 0
    for whoever saves it.
    """
    size = getattr(f, "size", None)
    if size is None:
        f.seek(0, 2)
        size = f.tell()
    if not size:
        raise ValidationError("The image file is empty.")
    if size > MAX_IMAGE_BYTES:
        raise ValidationError(
            f"This image is {size / (1024 * 1024):.1f} MB; the limit is {MAX_IMAGE_BYTES // (1024 * 1024)} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            f.seek(0)
            with Image.open(f, formats=IMAGE_FORMATS) as image:
                image.verify()
            f.seek(0)
            with Image.open(f, formats=IMAGE_FORMATS) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("This image has too many pixels to be processed safely.") from None
    except UnidentifiedImageError:
        raise ValidationError("This file is not a JPEG, PNG, GIF or WebP image.") from None
    except Exception:  # Pillow's decoders raise OSError, SyntaxError, ValueError, struct.error…
        raise ValidationError("This image file is damaged or incomplete.") from None
    finally:
        f.seek(0)
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        raise ValidationError("This image has too many pixels to be processed safely.")
    if not (1 <= width <= MAX_IMAGE_SIDE and 1 <= height <= MAX_IMAGE_SIDE):
        raise ValidationError(
            f"This image is {width}×{height} pixels; each side must be between 1 and {MAX_IMAGE_SIDE}."
        )
