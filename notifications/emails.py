"""Email rendering: HTML (table layout, CSS inlined for real mail clients) + plain text,
the signed links they carry, and the message with its List-Unsubscribe headers.

Templates live in ``templates/emails/``; the HTML ones extend ``emails/base_email.html``
whose ``<style>`` block is inlined by css-inline (media queries are kept in a style tag
for clients that understand them). ``SlotTemplate`` renders and inlines an email once per
*shape* and fills in each person's values: what a digest chunk of hundreds uses.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import css_inline
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.safestring import SafeString, mark_safe

from notifications.mime import FastEmailMessage

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_SHARE_SALT = "chorus.notifications.share-link"
_UNSUBSCRIBE_SALT = "chorus.notifications.unsubscribe"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    # The HTML's longest line, when it is ASCII and was measured (``SlotTemplate.fill``): the
    # message needs not measure it again (``notifications.mime``). 0: not known.
    html_longest_line: int = 0


def inline_css(html: str) -> str:
    return short_lines(_INLINER.inline(html))


def ascii_html(html: str) -> str:
    """``html`` with every non-ASCII character as a character reference (``&#9680;``): the
    same document to any HTML parser, and a 7bit MIME part the email package handles fast."""
    return html if html.isascii() else html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _escape_value(value: str) -> str:
    return ascii_html(escape(value, quote=True))


def short_lines(html: str, limit: int = 700) -> str:
    """Break lines longer than ``limit`` at a space.

    Inlining makes long lines; a line over 998 bytes forces quoted-printable encoding of the
    whole part (RFC 5322), which is slow to build and bulky. Outside ``<pre>`` (not used in
    our emails) a newline and a space are the same whitespace to HTML, in text and between
    attributes alike, and our URLs contain no spaces.
    """
    out = []
    for line in html.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                break
            out.append(line[:cut])
            line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)


def one_line(text: str) -> str:
    """``text`` on one line: a subject with CR/LF is refused by the mail library (header injection)."""
    return " ".join(str(text).split())


def render_email(name: str, context: dict, *, subject: str, base: dict | None = None) -> RenderedEmail:
    """Render ``emails/<name>.html`` and ``.txt`` with ``context`` (on top of ``base_context``)."""
    subject = one_line(subject)
    context = {**(base if base is not None else base_context()), **context, "subject": subject}
    return RenderedEmail(
        subject=subject,
        text=tidy_text(render_to_string(f"emails/{name}.txt", context)),
        html=inline_css(render_to_string(f"emails/{name}.html", context)),
    )


def base_context() -> dict:
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "preferences_url": absolute(reverse("preferences")),
        "feed_url": absolute(reverse("home")),
    }


_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """Templates may leave runs of blank lines where a block was empty."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"


# --- Rendering once per shape -------------------------------------------------------------


class SlotTemplate:
    """``emails/<name>.html`` and ``.txt`` rendered, and the HTML's CSS inlined, once per *shape*;
    each person's values are then filled into placeholders.

    A chunk renders hundreds of emails that differ in a few values (a name, some counts,
    signed links) and in which blocks they show. Rendering the templates and running the
    inliner per person was most of a digest's cost; filling a ready copy is a string join.

    - The *shape* is whatever decides the markup (the ``{% if %}`` flags, how many entries):
      ``variant(key, context)`` renders with ``context(self.slot)``, in which every
      per-person value is ``slot(name)``, a placeholder carrying a random marker (content can
      neither guess one nor name a slot). Variants are cached by ``key``.
    - ``fill`` puts each value in: HTML-escaped in the HTML, as it is in the text (which is
      tidied afterwards, as ``render_email`` does). ``html_blocks`` / ``text_blocks`` are
      per-person markup made by our own templates, put in as they are (HTML ones in ASCII:
      ``ascii_html``, as the whole HTML is, so that it goes out 7bit).
    - An HTML block must carry inlined styles too: ``inline_block`` inlines it once, in its
      place in the layout (so descendant selectors such as ``.item-title a`` apply as they
      would to the whole email), and caches it by its markup.

    Inlining in pieces gives the styles css-inline gives the whole email because no rule of
    ``base_email.html`` depends on siblings or position (no ``+``, ``~``, ``:first-child``...);
    tests/notifications/test_digest_slots.py compares both on realistic digests.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        marker = secrets.token_hex(8).upper()
        self._marker = marker
        self._slot_re = re.compile(rf"CHORUS{marker}_([a-z0-9_]+?)_SLOT")
        self._variants: dict[tuple, _Variant] = {}
        self._blocks: dict[str, str] = {}

    def slot(self, name: str) -> SafeString:
        return mark_safe(f"CHORUS{self._marker}_{name}_SLOT")  # letters, digits and _: nothing to escape

    def variant(self, key: tuple, context: Callable[[Callable[[str], SafeString]], dict]) -> "_Variant":
        found = self._variants.get(key)
        if found is None:
            ctx = context(self.slot)
            raw = render_to_string(f"emails/{self.name}.html", ctx)
            html = ascii_html(inline_css(raw))
            if sorted(self._slot_re.findall(html)) != sorted(self._slot_re.findall(raw)):
                raise ValueError(f"{self.name}: the CSS inliner changed a placeholder")  # never seen
            text = render_to_string(f"emails/{self.name}.txt", ctx)
            found = self._variants[key] = _Variant(raw, self._slot_re.split(html), self._slot_re.split(text))
        return found

    def inline_block(self, variant: "_Variant", slot: str, html: str) -> str:
        """``html`` (one of our templates' output) with inlined styles, as it gets them in the
        place of ``slot`` of ``variant``; cached by ``html``."""
        found = self._blocks.get(html)
        if found is None:
            begin, end = f"<!--CHORUS{self._marker}B-->", f"<!--CHORUS{self._marker}E-->"
            placeholder = self.slot(slot)
            if placeholder not in variant.raw:
                raise ValueError(f"{self.name}: no {slot} slot in this variant")
            inlined = _INLINER.inline(variant.raw.replace(placeholder, f"{begin}{html}{end}", 1))
            found = self._blocks[html] = ascii_html(short_lines(inlined.split(begin, 1)[1].split(end, 1)[0]))
        return found

    def fill(
        self, variant: "_Variant", values: dict[str, str], *, subject: str,
        html_blocks: dict[str, str], text_blocks: dict[str, str],
    ) -> RenderedEmail:
        html, text = variant.html[:], variant.text[:]
        for i in range(1, len(html), 2):
            name = html[i]
            html[i] = html_blocks[name] if name in html_blocks else _escape_value(values[name])
        for i in range(1, len(text), 2):
            name = text[i]
            text[i] = text_blocks[name] if name in text_blocks else values[name]
        filled = "".join(html)
        longest = max(map(len, filled.split("\n")))
        if longest > 700:  # long values: break the lines as inline_css does
            filled = short_lines(filled)
            longest = max(map(len, filled.split("\n")))
        return RenderedEmail(subject=subject, text=tidy_text("".join(text)), html=filled,
                             html_longest_line=longest if filled.isascii() else 0)


@dataclass(frozen=True)
class _Variant:
    raw: str  # the rendered HTML before inlining (``inline_block`` puts blocks in its slots)
    html: list[str]  # inlined, split at the placeholders: text, slot name, text, slot name, …
    text: list[str]


# --- Signed links ---------------------------------------------------------------------


class _Signer(signing.TimestampSigner):
    """Django's ``TimestampSigner`` (same tokens, verified by ``signing.loads``) that derives
    its salted HMAC key once instead of once per signature: fan-out and digests sign a few
    links per person. ``tests/notifications/test_signing.py`` pins the equivalence."""

    def __init__(self, *, salt: str) -> None:
        super().__init__(salt=salt)
        hasher = getattr(hashlib, self.algorithm)
        # django.utils.crypto.salted_hmac: key = H(key_salt + secret), then HMAC(key, value).
        derived = hasher(force_bytes(self.salt + "signer") + force_bytes(self.key)).digest()
        self._mac = hmac.new(derived, digestmod=hasher)

    def sign_json(self, data: bytes) -> str:
        """``sign_object`` of the object whose compact JSON is ``data`` (not compressed)."""
        return self.sign(signing.b64_encode(data).decode())

    def signature(self, value, key=None):
        if key is not None and key != self.key:
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


_SIGNERS: dict[tuple[str, str], _Signer] = {}


def _signer(salt: str) -> _Signer:
    key = (salt, settings.SECRET_KEY)  # a changed SECRET_KEY (tests, rotation) gets a new signer
    signer = _SIGNERS.get(key)
    if signer is None:
        signer = _SIGNERS[key] = _Signer(salt=salt)
    return signer


def share_link_token(*, user_id: int, item_id: int) -> str:
    # signing.dumps({"u": user_id, "i": item_id}): the same JSON, written without json.dumps.
    return _signer(_SHARE_SALT).sign_json(b'{"u":%d,"i":%d}' % (user_id, item_id))


def _link(name: str, token: str) -> str:
    # reverse() once per URL name, then string building: fan-out makes two links a person.
    key = (name, settings.SITE_URL)
    prefix = _LINK_PREFIXES.get(key)
    if prefix is None:
        prefix = _LINK_PREFIXES[key] = absolute(reverse(name, args=["TOKEN"])).removesuffix("TOKEN/")
    return f"{prefix}{token}/"


_LINK_PREFIXES: dict[tuple[str, str], str] = {}


def share_link_url(*, user_id: int, item_id: int) -> str:
    return _link("notify_share_link", share_link_token(user_id=user_id, item_id=item_id))


def share_link_item_id(token: str) -> int:
    """The item a Share-now link points at; ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) when the link was altered or is too old."""
    data = signing.loads(token, salt=_SHARE_SALT, max_age=settings.NOTIFY_SHARE_LINK_MAX_AGE)
    return int(data["i"])


def unsubscribe_token(delivery_id: int) -> str:
    return _signer(_UNSUBSCRIBE_SALT).sign_json(b'{"d":%d}' % delivery_id)  # signing.dumps({"d": delivery_id})


def unsubscribe_url(delivery_id: int) -> str:
    return _link("notify_unsubscribe", unsubscribe_token(delivery_id))


def unsubscribe_delivery_id(token: str) -> int:
    data = signing.loads(token, salt=_UNSUBSCRIBE_SALT, max_age=settings.NOTIFY_UNSUBSCRIBE_MAX_AGE)
    return int(data["d"])


# --- Messages ---------------------------------------------------------------------------


def build_message(*, to: str, email: RenderedEmail, unsubscribe: str = "", connection=None) -> FastEmailMessage:
    """A multipart/alternative message (text first, HTML preferred by clients that can).

    With ``unsubscribe`` it carries RFC 2369 ``List-Unsubscribe`` and RFC 8058
    ``List-Unsubscribe-Post`` so that mail clients offer a one-click unsubscribe.
    """
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = FastEmailMessage(
        subject=one_line(email.subject), body=email.text, to=[to], headers=headers, connection=connection
    )
    if email.html_longest_line:
        message.attach_7bit_alternative(email.html, "text/html", longest_line=email.html_longest_line)
    else:
        message.attach_alternative(email.html, "text/html")
    return message


class EmailTemplate:
    """An email rendered once with placeholders, then personalised per recipient.

    Fan-out sends the same item to thousands of people: rendering and inlining once per
    chunk and substituting a few values per person keeps 100,000 emails within seconds.
    Values are HTML-escaped in the HTML part and used as they are in the text part.

    The placeholders carry a random marker chosen per template, so content (an item title
    such as "CHORUS__SHARE_URL__SLOT") can neither guess one to pull another person's
    value into view nor name a slot that does not exist; unknown names stay as they are.
    """

    def __init__(self, name: str, context: dict, *, subject: str, slots: tuple[str, ...]) -> None:
        marker = secrets.token_hex(8).upper()
        self._slot = re.compile(rf"CHORUS{marker}__([A-Z_]+?)__SLOT")
        placeholders = {slot: f"CHORUS{marker}__{slot.upper()}__SLOT" for slot in slots}
        self.rendered = render_email(name, {**context, **placeholders}, subject=subject)

    def personalise(self, values: dict[str, str]) -> RenderedEmail:
        upper = {k.upper(): v for k, v in values.items()}
        escaped = {k: escape(v, quote=True) for k, v in upper.items()}
        plain = {k: one_line(v) for k, v in upper.items()}

        def fill(table: dict[str, str]):
            return lambda m: table.get(m.group(1), m.group(0))

        return RenderedEmail(
            subject=self._slot.sub(fill(plain), self.rendered.subject),
            text=self._slot.sub(fill(upper), self.rendered.text),
            html=self._slot.sub(fill(escaped), self.rendered.html),
        )
