"""Email rendering: HTML (table layout, CSS inlined for real mail clients) + plain text,
the signed links they carry, and the message with its List-Unsubscribe headers.

Templates live in ``templates/emails/``; the HTML ones extend ``emails/base_email.html``
whose ``<style>`` block is inlined by css-inline (media queries are kept in a style tag
for clients that understand them).
"""

import re
import secrets
from dataclasses import dataclass
from html import escape

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_SHARE_SALT = "chorus.notifications.share-link"
_UNSUBSCRIBE_SALT = "chorus.notifications.unsubscribe"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def inline_css(html: str) -> str:
    return short_lines(_INLINER.inline(html))


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
        text=_tidy_text(render_to_string(f"emails/{name}.txt", context)),
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


def _tidy_text(text: str) -> str:
    """Templates may leave runs of blank lines where a block was empty."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"


# --- Signed links ---------------------------------------------------------------------


def share_link_token(*, user_id: int, item_id: int) -> str:
    return signing.dumps({"u": user_id, "i": item_id}, salt=_SHARE_SALT)


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
    return signing.dumps({"d": delivery_id}, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_url(delivery_id: int) -> str:
    return _link("notify_unsubscribe", unsubscribe_token(delivery_id))


def unsubscribe_delivery_id(token: str) -> int:
    data = signing.loads(token, salt=_UNSUBSCRIBE_SALT, max_age=settings.NOTIFY_UNSUBSCRIBE_MAX_AGE)
    return int(data["d"])


# --- Messages ---------------------------------------------------------------------------


def build_message(*, to: str, email: RenderedEmail, unsubscribe: str = "", connection=None) -> EmailMultiAlternatives:
    """A multipart/alternative message (text first, HTML preferred by clients that can).

    With ``unsubscribe`` it carries RFC 2369 ``List-Unsubscribe`` and RFC 8058
    ``List-Unsubscribe-Post`` so that mail clients offer a one-click unsubscribe.
    """
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=one_line(email.subject), body=email.text, to=[to], headers=headers, connection=connection
    )
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
