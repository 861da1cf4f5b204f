"""The text rules: twitter-text weighted length (NETWORKS.md examples) and LinkedIn little text."""

import pytest

from sandbox.text import parse_little_text, weighted_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world! 👋", 16),
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("Check https://example.com/very/long/path?x=1 now", 33),
        ("漢" * 140, 280),
        ("漢" * 141, 282),
        ("👨‍👩‍👧‍👦", 2),  # family emoji: one ZWJ sequence
        ("👍🏽", 2),  # skin-tone modifier
        ("🇫🇷", 2),  # flag
        ("“quotes” — dash…", 17),  # quotes and dash weigh 1, the ellipsis (U+2026) 2
        ("café", 4),
        ("cafe\u0301", 4),  # NFC first
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("raw", "stored", "truncated"),
    [
        ("plain text, fine.", "plain text, fine.", False),
        ("Results (Q3)", "Results ", True),
        (r"Results \(Q3\)", "Results (Q3)", False),
        ("#launch day", "#launch day", False),
        ("# not a tag", "", True),
        ("Happy #2024", "Happy ", True),
        ("I write C# daily", "I write C", True),
        (r"I write C\# in \#2024 #Dev", "I write C# in #2024 #Dev", False),
        ("#machine_learning", "#machine", True),
        ("ping @[Ada](urn:li:person:A1) now", "ping @[Ada](urn:li:person:A1) now", False),
        ("mail me@example.com", "mail me", True),
        (r"mail me\@example.com", "mail me@example.com", False),
        ("a_b", "a", True),
        ("trailing backslash \\", "trailing backslash ", True),
        (r"{hashtag|\#|Chorus} rocks", "#Chorus rocks", False),
    ],
)
def test_little_text(raw: str, stored: str, truncated: bool) -> None:
    parsed = parse_little_text(raw)
    assert (parsed.text, parsed.truncated) == (stored, truncated)
