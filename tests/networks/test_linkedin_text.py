"""LinkedIn little-text escaping: every reserved character, and the elements we keep."""

import random

import pytest

from networks.linkedin_text import RESERVED, escape_little_text, unescape_little_text

CASES = [
    # plain text is untouched
    ("Hello, world! 100% great.", "Hello, world! 100% great."),
    ("", ""),
    ("Line one\nLine two", "Line one\nLine two"),
    ("Emoji 👋 and ünïcödé", "Emoji 👋 and ünïcödé"),
    # each reserved character
    ("Our results (Q3) are in", r"Our results \(Q3\) are in"),
    ("[draft] {beta} a|b", r"\[draft\] \{beta\} a\|b"),
    ("*bold* _under_ ~strike~", r"\*bold\* \_under\_ \~strike\~"),
    ("1 < 2 > 0", r"1 \< 2 \> 0"),
    ("C:\\path\\file", r"C:\\path\\file"),
    ("snake_case_name", r"snake\_case\_name"),
    # @ outside a mention
    ("Write to jane.doe@example.com", r"Write to jane.doe\@example.com"),
    ("Thanks @jane!", r"Thanks \@jane!"),
    # mentions kept verbatim
    ("Thanks @[Jane Doe](urn:li:person:AbC-12_x)!", "Thanks @[Jane Doe](urn:li:person:AbC-12_x)!"),
    ("Welcome @[Acme Corp](urn:li:organization:2414183) (our partner)", r"Welcome @[Acme Corp](urn:li:organization:2414183) \(our partner\)"),
    # not mentions: wrong entity type, parentheses in the name, incomplete
    ("@[Group](urn:li:group:1)", r"\@\[Group\]\(urn:li:group:1\)"),
    ("@[Acme (UK)](urn:li:organization:1)", r"\@\[Acme \(UK\)\]\(urn:li:organization:1\)"),
    ("@[Jane](urn:li:person:)", r"\@\[Jane\]\(urn:li:person:\)"),
    # hashtags kept verbatim; an underscore ends the hashtag and is escaped (see module doc)
    ("Big news #AI #MachineLearning", "Big news #AI #MachineLearning"),
    ("#machine_learning rocks", r"#machine\_learning rocks"),
    ("#AI_", r"#AI\_"),
    ("#2024goals", "#2024goals"),
    ("Grüße #München!", "Grüße #München!"),
    ("(#hiring)", r"\(#hiring\)"),
    ("#AI.", "#AI."),
    # not hashtags: digits only, after a letter, bare, doubled
    ("We are #1", r"We are \#1"),
    ("#2024", r"\#2024"),
    ("Learn C# today", r"Learn C\# today"),
    ("a # b", r"a \# b"),
    ("##double", r"\##double"),
    ("#_", r"\#\_"),
    # URLs survive: escaped inside (LinkedIn strips the escapes, then auto-links)
    ("Read https://example.com/a_b/c", r"Read https://example.com/a\_b/c"),
    ("See https://en.wikipedia.org/wiki/Foo_(bar) now", r"See https://en.wikipedia.org/wiki/Foo\_\(bar\) now"),
    ("(see https://example.com/x)", r"\(see https://example.com/x\)"),
    ("Docs: https://example.com/page#intro.", r"Docs: https://example.com/page\#intro."),
    ("https://example.com/#/route #tag", r"https://example.com/\#/route #tag"),
    ("https://example.com/~user?q=a|b", r"https://example.com/\~user?q=a\|b"),
    ("www.example.com/#top", r"www.example.com/\#top"),
    ("https://example.com/@jane", r"https://example.com/\@jane"),
]


@pytest.mark.parametrize(("text", "escaped"), CASES)
def test_escape_table(text, escaped):
    assert escape_little_text(text) == escaped


@pytest.mark.parametrize(("text", "escaped"), CASES)
def test_unescape_shows_what_was_typed(text, escaped):
    assert unescape_little_text(escaped) == text


def test_no_unescaped_reserved_character_is_left_outside_elements():
    """The property that prevents truncation: after removing the kept elements, every
    reserved character left is preceded by a backslash."""
    import re

    escaped = escape_little_text(
        "Q3 (final) _draft_ #AI @[Jane](urn:li:person:x1) https://e.com/a_(b)#c <tag> ~ok~ {x} [y] a|b * \\ #1 C#"
    )
    stripped = re.sub(r"@\[[^\]]*\]\(urn:li:person:x1\)|(?<![\w\\])#AI\b", "", escaped)
    stripped = stripped.replace("\\\\", "")
    for index, ch in enumerate(stripped):
        if ch in RESERVED and ch != "\\":
            assert index > 0 and stripped[index - 1] == "\\", (ch, stripped)


def test_round_trip_on_random_text():
    alphabet = "ab #@_()[]{}<>|*~\\:/.éx1\nhttps"
    rng = random.Random(42)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert unescape_little_text(escape_little_text(text)) == text
