"""content.text_rules: the share-text rules every surface (admin, portal, API, JS) relies on.

The X counter is checked three ways: the vectors from NETWORKS.md, hand-picked cases for
each rule, and agreement with the ``twitter-text-parser`` package (a Python port of
twitter-text v3) over a few thousand generated strings, minus the cases where that port
is known to differ from twitter-text itself (see ``ORACLE_DIVERGENCES``).
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from twitter_text import parse_tweet

from content import text_rules
from content.text_rules import (
    LINKEDIN_MAX_CHARS,
    X_MAX_WEIGHTED,
    Measure,
    check_share_text,
    compose_share_text,
    find_blocked_words,
    linkedin_length,
    measure,
    validate_http_url,
    validate_image_file,
    validate_share_text,
    x_weighted_length,
)
from networks import x_text as twitter_text

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"

# --- generated strings (also used by test_counter_js.py) -------------------------------------

WORDS = ["Hello", "world", "launch", "Chorus", "team", "great", "news", "we're", "hiring", "2026", "x", "I"]
ACCENTED = ["café", "cafe\u0301", "naïve", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m", "señor",
            "sen\u0303or", "Zürich", "\u1100\u1161\u11a8", "ελληνικά", "привет", "עברית", "عربى", "हिन्दी"]
CJK = ["日本語", "中文", "한국어", "こんにちは", "カタカナ", "漢字テスト", "你好世界"]
PUNCT = [",", ".", "!", "?", ":", ";", "(", ")", "\"", "'", "—", "–", "…", "’", "“", "”", "″", "€", "•",
         "#", "@", "$", "&", "*", "/", "-", "_", "~", "|", "%"]
# Emoji that twitter-text-parser (Unicode 12) knows, so the oracle can judge them.
EMOJI = ["😀", "👍", "👍🏽", "👋🏿", "❤️", "❤", "☺️", "✨", "🚀", "🎉", FAMILY, "👩\u200d💻",
         "🏳️\u200d🌈", "🏴\u200d☠️", "🇫🇷", "🇯🇵", "🇺🇸", "1️⃣", "#️⃣", "*️⃣", "9\u20e3", "©️", "®️",
         "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "👨\u200d❤️\u200d💋\u200d👨",
         "🧑\u200d🤝\u200d🧑", "👁️\u200d🗨️", "↔️", "⏰", "🀄", "🅰️"]
# Newer emoji and other cases where the oracle is wrong about twitter-text (module docstring
# of content.text_rules): used for the JS agreement test, not for the oracle.
ORACLE_DIVERGENCES = ["©", "®", "🫠", "🐦\u200d🔥", "🫱🏻\u200d🫲🏿", "🧑\u200d🧑\u200d🧒", "🙂\u200d↔️",
                      "example.de", "example.io", "example.co", "www.example.de", "עבריתexample.com",
                      "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007fexample.com"]
URLS = ["https://example.com", "http://www.example.org/path/to?x=1&y=2", "example.com", "example.com/path",
        "sub.example.co.uk/a_b", "https://t.co/abc123", "https://en.wikipedia.org/wiki/Foo_(bar)",
        "HTTPS://EXAMPLE.COM/X", "example.io/x", "http://日本語.jp", "https://example.com/#frag",
        "http://example.com:8080/x", "(https://example.com)", "\"example.com\"", "foo@example.com",
        "@example.com", "$example.com", "#example.com", "-example.com", "_example.com", "/example.com",
        "example.com.", "example.com/path.", "https://example.com/a?b=c!", "www.example.com",
        "https://chorus.example.org/r/AbCdEfGhIj", "http://localhost:8000/x", "http://127.0.0.1/x",
        "ftp://example.com", "https://example.com/ünïcode", "https://пример.рф/путь", "example.online",
        "https://a.b.c.d.example.net/x/y/z?q=1#f", "t.co/x", "https://t.co/" + "a" * 41, "foo.bar",
        "e.g.", "i.e.", "file.txt", "v1.2.3", "3.14", "example.com/(x)", "example.com/@user/",
        "https://example.com/~user/a-b_c", "xn--bcher-kva.example", "http://xn--bcher-kva.com"]
SPACES = [" ", " ", " ", "\n", "\r\n", "\t", "  ", "", "", "\u00a0"]
ODD = ["\u200d", "\ufe0f", "\u0301", "\u2028", "\u202e", "\ufeff"]


def realistic_strings(seed: int, count: int, *, divergent: bool = False) -> Iterator[str]:
    """Post-like strings: words, accents (NFC and not), CJK, emoji sequences, URLs, glued or not.

    Without ``divergent`` the strings avoid what twitter-text-parser gets wrong: the pieces in
    ``ORACLE_DIVERGENCES``, and a URL glued to non-ASCII text (the port runs Python's IDNA
    2003 codec, whose bidi and prohibited-character rules reject domains like
    ``עבריתexample.com`` that twitter-text accepts).
    """
    rng = random.Random(seed)
    pools = [WORDS, WORDS, ACCENTED, CJK, PUNCT, EMOJI, URLS]
    if divergent:
        pools += [ORACLE_DIVERGENCES, ODD]
    for _ in range(count):
        parts: list[str] = []
        for _ in range(rng.randint(1, 14)):
            pool = rng.choice(pools)
            piece = rng.choice(pool)
            if pool is URLS and not divergent and parts and parts[-1] == "" and not parts[-2][-1:].isascii():
                parts[-1] = " "
            parts.append(piece)
            parts.append(rng.choice(SPACES))
        yield "".join(parts)


def random_code_point_strings(seed: int, count: int) -> Iterator[str]:
    """Arbitrary code points from the interesting ranges (weights, emoji, joiners, marks)."""
    rng = random.Random(seed)
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1000, 0x1200), (0x1F00, 0x2040),
              (0x2100, 0x2BFF), (0x3000, 0x30FF), (0x4E00, 0x4E80), (0xFE00, 0xFE0F),
              (0x1F1E6, 0x1F1FF), (0x1F300, 0x1F6FF), (0x1F900, 0x1F9FF), (0xE0020, 0xE007F)]
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 30)):
            low, high = rng.choice(ranges)
            chars.append(chr(rng.randint(low, high)))
        yield "".join(chars)


# --- X: the vectors from NETWORKS.md --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world! 👋", 16),
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("Check https://example.com/very/long/path?x=1 now", 33),
        ("中" * 140, 280),
        ("中" * 141, 282),
        (FAMILY, 2),
    ],
)
def test_networks_md_vectors(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected
    assert measure("x", text).ok is (expected <= X_MAX_WEIGHTED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🇫🇷", 2),  # regional-indicator pair
        ("🇫🇷🇩🇪", 4),
        ("🇫", 2),  # a lone indicator is just a code point
        ("👍🏽", 2),  # skin tone
        ("1️⃣", 2),  # keycap
        ("1\u20e3", 2),  # keycap without VS16
        ("#", 1),
        ("❤", 2),
        ("❤️", 2),
        ("©", 1),  # bare ©/® are text (twitter-text only takes them with VS16)
        ("©️", 2),
        ("™", 2),
        ("🏳️\u200d🌈", 2),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2),  # tag sequence
        ("🐦\u200d🔥", 2),  # Unicode 15.1 ZWJ sequence: still one emoji
        ("🫱🏻\u200d🫲🏿", 2),
        ("👨\u200d", 3),  # dangling joiner counts on its own
        ("👨\u200d" * 8, 2 * 2 + 2 * 1),  # chains stop after four elements
        ("a\u200db", 3),
        ("e\u0301", 1),  # NFC composes to é
        ("\u1100\u1161", 2),  # NFC composes to 가 (U+AC00, weight 2)
        ("—’“”″", 5),  # punctuation ranges of weight 1
        ("…€", 4),
        ("a\r\nb", 3),  # \r\n is one line break
        ("", 0),
    ],
)
def test_weights_and_emoji_sequences(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com", 23),
        ("http://a.co", 23),  # shorter than 23 still counts 23
        ("HTTPS://EXAMPLE.COM/PATH", 23),
        ("see example.com/path ok", 4 + 23 + 3),
        ("example.com", 23),
        ("www.example.de", 23),  # subdomain: a link
        ("example.de", 10),  # one-label ccTLD without path: not a link (twitter-text rule)
        ("example.de/x", 23),
        ("example.co", 23),  # .co and .tv are the exceptions
        ("foo.bar", 23),  # .bar is a gTLD
        ("file.txt", 8),
        ("3.14", 4),
        ("e.g. this", 9),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", 23),
        ("(https://example.com)", 25),
        ("https://example.com.", 24),  # trailing dot is not part of the URL
        ("https://example.com/a?b=c!", 24),
        ("foo@example.com", 15),  # e-mail addresses are not links
        ("$example.com", 12),
        ("-example.com", 12),
        ("http://example.com:8080/x", 23),
        ("https://t.co/abc123/more", 28),  # t.co URLs stop after the slug
        ("https://t.co/" + "a" * 41, 54),  # slug too long: not a link
        ("これはexample.comです", 6 + 23 + 4),  # ASCII domain inside CJK text
        ("http://日本語.jp", 23),
        ("http://localhost:8000/x", 23),  # no "." at all: counted per character (23 of them)
        ("http://127.0.0.1:8000/r/abcdefghij", 34),  # IP hosts are not links on X
        ("http://" + "a" * 64 + ".com", 75),  # label longer than 63: not a link
        ("中" * 70 + "example.com", 140 + 23),  # glued run longer than a label: we still find it
        ("a https://example.com b https://example.org", 2 + 23 + 3 + 23),
    ],
)
def test_urls(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_twitter_text_parser_on_realistic_strings(seed: int) -> None:
    mismatches = [
        (text, x_weighted_length(text), parse_tweet(text).weightedLength)
        for text in realistic_strings(seed, 600)
        if x_weighted_length(text) != parse_tweet(text).weightedLength
    ]
    assert mismatches == []


def test_agrees_with_twitter_text_parser_on_random_code_points() -> None:
    def judged(text: str) -> bool:
        # The oracle counts a bare ©/® as 2 and stops at Unicode 12 (module docstring).
        return "©" not in text and "®" not in text

    mismatches = [
        (text, x_weighted_length(text), parse_tweet(text).weightedLength)
        for text in random_code_point_strings(7, 1500)
        if judged(text) and x_weighted_length(text) != parse_tweet(text).weightedLength
    ]
    # Random code points form emoji sequences the oracle's fixed Unicode 12 list does not
    # know (our grammar counts any well-formed sequence as 2); everything else must agree.
    unexplained = [m for m in mismatches if not _has_sequence_unknown_to_oracle(m[0])]
    assert unexplained == []
    assert len(mismatches) < 150


def _has_sequence_unknown_to_oracle(text: str) -> bool:
    from twitter_text.regexp.emoji import emoji as oracle_emoji

    ours = twitter_text.emoji_regex()
    text = text_rules._count_form(text)
    i = 0
    while i < len(text):
        match = ours.match(text, i)
        if match and match.end() - i > 1:
            if not oracle_emoji.fullmatch(match.group(0)):
                return True
            i = match.end()
        else:
            i += 1
    return False


@pytest.mark.parametrize(
    ("text", "ours", "oracle"),
    [
        ("©", 1, 2),
        ("visit example.de now", 20, 33),
        ("🐦\u200d🔥", 2, 5),
        ("🫱🏻\u200d🫲🏿", 2, 9),
    ],
)
def test_known_oracle_divergences(text: str, ours: int, oracle: int) -> None:
    """Where twitter-text-parser differs from twitter-text; if these start agreeing, revisit."""
    assert x_weighted_length(text) == ours
    assert parse_tweet(text).weightedLength == oracle


@pytest.mark.parametrize(
    "text",
    [
        "中" * 2999 + ".",
        "中." * 1500,
        "a." * 1500,
        "http://" + "a." * 1400 + "x",
        "http://example.com/" + "(a" * 1500,
        "http://example.com/?" + "!" * 3000,
        "a-" * 1500 + ".com",
        "👨\u200d" * 1500,
    ],
)
def test_adversarial_texts_stay_fast(text: str) -> None:
    x_weighted_length("warm up the compiled grammar example.com")
    started = time.perf_counter()
    x_weighted_length(text)
    assert time.perf_counter() - started < 1.5


def test_tld_tables_are_regex_safe_and_nfc() -> None:
    import unicodedata

    for tld in twitter_text._GENERIC_TLDS + twitter_text._COUNTRY_TLDS:
        assert tld == tld.lower() == unicodedata.normalize("NFC", tld)
        assert not set(tld) & set("\\^$.|?*+()[]{}-")
    assert {"com", "org", "app", "dev"} <= set(twitter_text._GENERIC_TLDS)
    assert {"de", "uk", "io", "co", "tv", "рф"} <= set(twitter_text._COUNTRY_TLDS)


# --- LinkedIn ---------------------------------------------------------------------------------


def test_linkedin_counts_utf16_units_after_nfc() -> None:
    assert linkedin_length("abc") == 3
    assert linkedin_length("cafe\u0301") == 4
    assert linkedin_length("👍") == 2
    assert linkedin_length(FAMILY) == 11
    assert linkedin_length("中文") == 2
    assert linkedin_length("a\r\nb") == 3


def test_linkedin_limit() -> None:
    assert measure("linkedin", "a" * LINKEDIN_MAX_CHARS) == Measure(3000, 3000, 0, True)
    assert measure("linkedin", "a" * 3001) == Measure(3001, 3000, -1, False)


# --- composing --------------------------------------------------------------------------------

LINK = "https://chorus.example.com/r/AbCdEfGhIj"


@pytest.mark.parametrize(
    ("text", "link", "disclosure", "expected"),
    [
        ("Great launch!", LINK, "#employee", f"Great launch! #employee\n{LINK}"),
        ("Great launch!", None, "#employee", "Great launch! #employee"),
        ("Great launch!", LINK, "", f"Great launch!\n{LINK}"),
        ("Great launch!", None, "", "Great launch!"),
        ("", LINK, "#employee", f"#employee\n{LINK}"),
        ("", LINK, "", LINK),
        ("", None, "", ""),
        ("  Great\r\nlaunch!  \n", None, "", "Great\nlaunch!"),
        ("Proud #Employee here", LINK, "#employee", f"Proud #Employee here\n{LINK}"),
        ("Proud #employees here", None, "#employee", "Proud #employees here #employee"),
        ("I work here (ad)", None, "(ad)", "I work here (ad)"),
        ("Read " + LINK, LINK, "", "Read " + LINK),  # link already there: not repeated
        ("cafe\u0301\ufeff", None, " #employee ", "café #employee"),
    ],
)
def test_compose_share_text(text: str, link: str | None, disclosure: str, expected: str) -> None:
    assert compose_share_text(text, link_url=link, disclosure=disclosure) == expected


def test_measure_x_counts_the_tracked_link_as_23_whatever_it_is() -> None:
    dev_link = "http://127.0.0.1:8000/r/AbCdEfGhIj"  # not even a URL for twitter-text
    for link in (LINK, dev_link, "https://x.co/1"):
        result = measure("x", "Hi", link_url=link, disclosure="#employee")
        assert result == Measure(length=2 + 10 + 1 + 23, limit=280, remaining=244, ok=True)
    composed = compose_share_text("Hi", link_url=LINK, disclosure="#employee")
    assert measure("x", "Hi", link_url=LINK, disclosure="#employee").length == x_weighted_length(composed)


def test_measure_linkedin_counts_the_real_link() -> None:
    result = measure("linkedin", "Hi", link_url=LINK, disclosure="#employee")
    assert result.length == len(f"Hi #employee\n{LINK}")
    assert result.remaining == 3000 - result.length


def test_measure_limits_and_emptiness() -> None:
    assert measure("x", "a" * 247, link_url=LINK) == Measure(271, 280, 9, True)
    assert measure("x", "a" * 257, link_url=LINK).ok is False
    assert measure("x", "   ") == Measure(0, 280, 280, False)
    with pytest.raises(ValueError, match="Unknown network"):
        measure("mastodon", "hi")


# --- blocked words and validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "blocked", "expected"),
    [
        ("We Guarantee! results", ["guarantee"], ["guarantee"]),
        ("Results guaranteed", ["guarantee"], []),
        ("Totally risk  free\nmoney", ["free money", "risk free"], ["free money", "risk free"]),
        ("free moneyed", ["free money"], []),
        ("STRASSE", ["Straße"], ["Straße"]),
        ("Ein Straße-Fest", ["straße"], ["straße"]),
        ("ÉCOLE", ["école", "ecole"], ["école"]),
        ("cure_all", ["cure"], []),
        ("#ad here", ["#ad"], ["#ad"]),
        ("#adverts", ["#ad"], []),
        ("win win", ["win", "WIN", " ", ""], ["win", "WIN"]),
        ("完全保証します", ["保証"], []),  # no spaces in Japanese: CJK letters are word characters
        ("nothing", [], []),
    ],
)
def test_find_blocked_words(text: str, blocked: list[str], expected: list[str]) -> None:
    assert find_blocked_words(text, blocked) == expected


def test_validate_share_text_messages() -> None:
    assert validate_share_text("x", "All good", link_url=LINK, disclosure="#employee", blocked_words=["bad"]) == []
    errors = validate_share_text(
        "x", "a" * 254 + " guarantee", link_url=LINK, disclosure="", blocked_words=["guarantee", "free"]
    )
    assert errors == [
        "This post is 288 characters on X; the limit is 280 (the link counts as 23).",
        "“guarantee” is on your company's blocked-words list.",
    ]
    assert validate_share_text("x", "a" * 281) == ["This post is 281 characters on X; the limit is 280."]
    assert validate_share_text("x", "a" * 260 + " example.com example.org") == [
        "This post is 308 characters on X; the limit is 280 (each link counts as 23)."
    ]
    assert validate_share_text("linkedin", "a" * 3001) == [
        "This post is 3001 characters on LinkedIn; the limit is 3000."
    ]
    assert validate_share_text("linkedin", " ") == ["There is nothing to post yet: write some text."]


def test_check_share_text_raises_with_all_messages() -> None:
    check_share_text("x", "fine", link_url=LINK, disclosure="#employee", blocked_words=["bad"])
    with pytest.raises(ValidationError) as caught:
        check_share_text("x", "a bad and worse text", blocked_words=["worse", "bad"])
    assert caught.value.messages == [
        "“worse” is on your company's blocked-words list.",
        "“bad” is on your company's blocked-words list.",
    ]


# --- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/path?x=1#frag",
        "https://sub.example.co.uk:8443/a_b",
        "https://bücher.example/",
        "http://localhost:8000/x",
        "http://192.168.0.1/",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_validate_http_url_accepts(url: str) -> None:
    assert validate_http_url(f"  {url}\n") == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter a link."),
        ("   ", "Enter a link."),
        ("ftp://example.com/file", "Only http:// and https:// links are allowed."),
        ("javascript:alert(1)", "Only http:// and https:// links are allowed."),
        ("https://user:pass@example.com/", "Links with a user name or password are not allowed."),
        ("https://bank.example@evil.example/", "Links with a user name or password are not allowed."),
        ("https:///path", "This link has no host name."),
        ("https://exa mple.com", "A link cannot contain spaces or invisible characters."),
        ("https://example.com/\u200bx", "A link cannot contain spaces or invisible characters."),
        ("https://example.com:99999/", "Enter a valid link."),
        ("https://[::1/", "Enter a valid link."),
        ("https://-bad-.com/", "Enter a valid link."),
        ("https://example.com/" + "a" * 2000, "This link is 2020 characters long; the limit is 2000."),
    ],
)
def test_validate_http_url_rejects(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_http_url(url)
    assert caught.value.messages == [message]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("example.com", "https://example.com"), ("//example.com/x", "https://example.com/x"),
     ("  news.example.com/post?id=1 ", "https://news.example.com/post?id=1")],
)
def test_validate_http_url_gives_a_link_typed_without_a_scheme_https(typed: str, stored: str) -> None:
    assert validate_http_url(typed) == stored


def test_validate_http_url_max_length_is_configurable() -> None:
    long_url = "https://example.com/" + "a" * 2500
    assert validate_http_url(long_url, max_length=4000) == long_url
    with pytest.raises(ValidationError):
        validate_http_url("https://example.com/abc", max_length=10)


# --- images -----------------------------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, format=fmt)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` without the pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_validate_image_accepts_the_four_formats(fmt: str) -> None:
    upload = SimpleUploadedFile(f"pic.{fmt.lower()}", image_bytes(fmt), content_type=f"image/{fmt.lower()}")
    upload.read(5)
    validate_image_file(upload)
    assert upload.tell() == 0  # left ready to be saved


def test_validate_image_accepts_plain_file_objects_and_the_limits() -> None:
    validate_image_file(io.BytesIO(image_bytes("PNG", (8000, 1), "L")))
    validate_image_file(io.BytesIO(image_bytes("PNG", (1, 8000), "L")))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "The image file is empty."),
        (b"hello, I am text", "This file is not a JPEG, PNG, GIF or WebP image."),
        (image_bytes("BMP"), "This file is not a JPEG, PNG, GIF or WebP image."),
        (image_bytes("TIFF"), "This file is not a JPEG, PNG, GIF or WebP image."),
        (image_bytes("PNG")[:-30], "This image file is damaged or incomplete."),
        (image_bytes("PNG", (8001, 1), "L"), "This image is 8001×1 pixels; each side must be between 1 and 8000."),
        (image_bytes("GIF", (1, 8001), "L"), "This image is 1×8001 pixels; each side must be between 1 and 8000."),
        (png_header_only(30000, 30000), "This image has too many pixels to be processed safely."),
    ],
)
def test_validate_image_rejects(payload: bytes, message: str) -> None:
    upload = SimpleUploadedFile("upload.bin", payload)
    with pytest.raises(ValidationError) as caught:
        validate_image_file(upload)
    assert caught.value.messages == [message]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_validate_image_refuses_pillow_bomb_warnings_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 40×30 = 1200: warning zone, not error
    with pytest.raises(ValidationError, match="too many pixels"):
        validate_image_file(io.BytesIO(image_bytes("PNG")))
    # Even if another thread's catch_warnings() swallowed the warning meanwhile.
    monkeypatch.setattr(text_rules.warnings, "simplefilter", lambda *args, **kwargs: None)
    with pytest.raises(ValidationError, match="too many pixels"):
        validate_image_file(io.BytesIO(image_bytes("PNG")))


def test_validate_image_size_limit_uses_size_before_reading() -> None:
    upload = SimpleUploadedFile("big.png", image_bytes("PNG"))
    upload.size = 5 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as caught:
        validate_image_file(upload)
    assert caught.value.messages == ["This image is 5.0 MB; the limit is 5 MB."]
