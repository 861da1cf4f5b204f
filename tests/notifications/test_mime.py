"""Our messages' MIME bytes (notifications.mime): byte for byte what Django and the standard
library's generator write, and a valid multipart/alternative message once parsed."""

import email
import email.generator
import email.policy
import random
import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart

from notifications.emails import RenderedEmail, build_message
from notifications.mime import FastEmailMessage, fold_plain
from notifications.services.digests import digest_chunk
from tests.notifications.helpers import item_for, person

UNSUBSCRIBE = "https://chorus.example.com/n/unsubscribe/eyJkIjoxMjM0NX0:1vQ2xY:abcdefghijklmnopqrstuvwxyz0123456789ABCDEF/"
FIXED = {"Date": "Mon, 01 Dec 2025 04:00:00 -0000", "Message-ID": "<1.2.3@chorus.example.com>"}
HTML = "<!DOCTYPE html><html><body>\n<p style=\"color: red;\">Hello &#9680; &amp; you</p>\n" + "<p>x</p>\n" * 50 + "</body></html>"


def messages():
    """Pairs of (stock Django message, ours) with the same content, for the shapes we send."""
    cases = [
        dict(subject="Your week in Chorus: 5 new posts to share", to="advocate1@example.com", unsubscribe=UNSUBSCRIBE),
        dict(subject="Ünïcode subject — with a dash, and long enough to need folding across lines",
             to="Zoë O'Brien <zoe@example.com>", unsubscribe=UNSUBSCRIBE),
        dict(subject="[Test] Your week in Chorus", to="a@example.com", unsubscribe=""),
        dict(subject="x" * 120, to="b@example.com", unsubscribe=UNSUBSCRIBE + "a" * 100),
    ]
    texts = ["Good morning, Ann\n\n1. Story · with “quotes”\n   Share now: https://x/\n", "plain ascii\n", "a\r\nb\rc\n"]
    for case in cases:
        for text in texts:
            for html, seven_bit in ((HTML, True), (HTML, False), ("<p>Zoë</p>\n", False), ("<p>" + "y " * 600 + "</p>", False)):
                headers = {**FIXED, "Auto-Submitted": "auto-generated"}
                if case["unsubscribe"]:
                    headers["List-Unsubscribe"] = f"<{case['unsubscribe']}>"
                    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
                stock = EmailMultiAlternatives(subject=case["subject"], body=text, to=[case["to"]], headers=headers)
                stock.attach_alternative(html, "text/html")
                ours = FastEmailMessage(subject=case["subject"], body=text, to=[case["to"]], headers=headers)
                if seven_bit:
                    ours.attach_7bit_alternative(html, "text/html", longest_line=max(map(len, html.split("\n"))))
                else:
                    ours.attach_alternative(html, "text/html")
                yield stock, ours


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_bytes_are_the_standard_librarys(linesep):
    count = 0
    for stock, ours in messages():
        for seed in (1, 2):
            random.seed(seed)  # the same multipart boundary for both
            want = stock.message().as_bytes(linesep=linesep)
            random.seed(seed)
            message = ours.message()
            got = message.as_bytes(linesep=linesep)
            assert got == want
            assert type(message) is not SafeMIMEMultipart  # the fast path was taken
            count += 1
    assert count == 2 * 4 * 3 * 4


def test_a_boundary_found_in_the_text_is_replaced_as_the_standard_library_does():
    random.seed(7)
    boundary = email.generator.Generator._make_boundary()  # the next one drawn after seed(7)
    body = f"line\n--{boundary}\nmore\n"
    stock = EmailMultiAlternatives(subject="s", body=body, to=["a@example.com"], headers=FIXED)
    stock.attach_alternative("<p>x</p>", "text/html")
    ours = FastEmailMessage(subject="s", body=body, to=["a@example.com"], headers=FIXED)
    ours.attach_alternative("<p>x</p>", "text/html")
    random.seed(7)
    want = stock.message().as_bytes()
    random.seed(7)
    got = ours.message().as_bytes()
    assert got == want and f'boundary="{boundary}.0"'.encode() in got.replace(b"\n ", b" ")


def test_header_folding_shortcuts_match_compat32():
    rng = random.Random(18)
    chars = 'abcXYZ019;,="<>/:.-_()!~'
    checked = 0
    for _ in range(20_000):
        name = rng.choice(["X", "Subject", "List-Unsubscribe", "Content-Type", "A" * 40])
        words = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 110))) for _ in range(rng.choice([1, 2, 3]))]
        value = rng.choice([" ", "  "]).join(words)
        for linesep in ("\n", "\r\n"):
            folded = fold_plain(name, value, 78, linesep)
            if folded is not None:
                assert folded.encode() == email.policy.compat32.clone(linesep=linesep).fold_binary(name, value)
                checked += 1
    assert checked > 10_000
    assert fold_plain("X", "tab\there", 78, "\n") is None and fold_plain("X", "é", 78, "\n") is None


def test_a_7bit_alternative_must_be_ascii():
    message = FastEmailMessage(subject="s", body="b", to=["a@example.com"])
    with pytest.raises(ValueError, match="ASCII"):
        message.attach_7bit_alternative("<p>Zoë</p>", "text/html", longest_line=11)


@pytest.mark.django_db
def test_a_sent_digest_parses_as_multipart_alternative_with_its_headers(sales, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ann = person("weekly", team=sales, full_name="Zoë Ünal")
    item_for(everyone=True, title="Frankfurt — now open")
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    [sent] = mail.outbox
    raw = sent.message().as_bytes(linesep="\r\n")  # what the SMTP backend sends
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative" and not parsed.defects
    assert parsed["Subject"] == sent.subject and parsed["To"] == ann.email
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/n/unsubscribe/\S+/>", parsed["List-Unsubscribe"].strip())  # folded
    text, html = parsed.iter_parts()
    assert text.get_content_type() == "text/plain" and text["Content-Transfer-Encoding"] == "8bit"
    assert html.get_content_type() == "text/html" and html["Content-Transfer-Encoding"] == "7bit"
    assert text.get_content().replace("\r\n", "\n") == sent.body and "Frankfurt — now open" in sent.body
    assert html.get_content().replace("\r\n", "\n") == sent.alternatives[0][0]
    assert "Frankfurt &#8212; now open" in sent.alternatives[0][0]  # ASCII: a character reference
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_build_message_uses_the_7bit_path_only_for_measured_ascii_html():
    plain = build_message(to="a@example.com", email=RenderedEmail(subject="s", text="t", html="<p>é</p>"))
    measured = build_message(to="a@example.com", email=RenderedEmail(
        subject="s", text="t", html="<p>x</p>", html_longest_line=8))
    assert plain._7bit == [] and measured._7bit == ["<p>x</p>"]
    for message in (plain, measured):
        parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
        assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
