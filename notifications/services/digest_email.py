"""Turning a ``Digest`` into an email (``templates/emails/digest*.html|txt``).

A chunk renders hundreds of digests that share most of their parts: the same item cards
(only the signed Share-now link differs) and, per team, the same campaign-goals block.
``DigestRenderer`` renders each such part once per chunk and fills in the per-person link,
so a digest costs one small template render, one CSS inlining and one MIME build.
"""

import secrets
from html import escape

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from notifications.emails import RenderedEmail, base_context, render_email
from notifications.models import DeliveryKind
from notifications.services.schedule import schedule_label, zone


class DigestRenderer:
    def __init__(self) -> None:
        # A marker nobody can guess, so an item's own text (its title, say) can never be
        # taken for the slot and replaced by the reader's signed link.
        self._share_url = f"CHORUS{secrets.token_hex(8).upper()}__SHARE_URL__SLOT"
        self._items: dict[tuple, tuple[str, str]] = {}
        self._goals: dict[int | None, tuple[str, str]] = {}
        self._base = base_context()

    def _item(self, entry) -> tuple[SafeString, str]:
        key = (entry.item.pk, entry.is_new, entry.colleagues, entry.image_url, entry.summary)
        if key not in self._items:
            context = {"entry": entry.with_share_url(self._share_url)}
            self._items[key] = (
                render_to_string("emails/digest_item.html", context),
                render_to_string("emails/digest_item.txt", context).strip("\n"),
            )
        html, text = self._items[key]
        # Our template's output, with our own URL put in escaped: safe to mark safe.
        slot = self._share_url
        return mark_safe(html.replace(slot, escape(entry.share_url))), text.replace(slot, entry.share_url)

    def _goals_parts(self, digest) -> tuple[SafeString, str]:
        key = digest.user.team_id
        if key not in self._goals:
            context = {"digest": digest}
            self._goals[key] = (
                render_to_string("emails/digest_goals.html", context),
                render_to_string("emails/digest_goals.txt", context).strip("\n"),
            )
        html, text = self._goals[key]
        return mark_safe(html), text  # rendered by our template, autoescaped

    def render(self, digest, *, unsubscribe: str) -> RenderedEmail:
        local = digest.as_of.astimezone(zone(digest.user.timezone))
        greeting = "Good morning" if local.hour < 12 else "Good afternoon" if local.hour < 18 else "Good evening"
        kind = DeliveryKind.WEEKLY_DIGEST if digest.kind == DeliveryKind.TEST_DIGEST else digest.kind
        impact = digest.impact
        preheader = (
            f"{digest.new_count} new post{'s' if digest.new_count != 1 else ''} picked for you"
            if digest.new_count else "What's worth sharing"
        )
        if impact is not None and kind == DeliveryKind.WEEKLY_DIGEST:
            preheader += f" · you shared {impact.shares} time{'s' if impact.shares != 1 else ''} last week"
        items = [self._item(entry) for entry in digest.items]
        goals_html, goals_text = self._goals_parts(digest) if digest.goals else ("", "")
        return render_email(
            "digest",
            {
                **self._base,
                "digest": digest,
                "user": digest.user,
                "entries": [html for html, _ in items],
                "entries_text": [text for _, text in items],
                "goals_html": goals_html,
                "goals_text": goals_text,
                "first_name": digest.user.get_short_name(),
                "greeting": greeting,
                "is_daily": kind == DeliveryKind.DAILY_DIGEST,
                "is_test": digest.kind == DeliveryKind.TEST_DIGEST,
                "impact": impact,
                "has_impact": impact is not None and any(
                    (impact.shares, impact.clicks, impact.engagements, impact.points, impact.rank)
                ),
                "rank_change": digest.rank_change,
                "rank_places": abs(digest.rank_change or 0),
                "schedule": schedule_label(digest.user, kind),
                "unsubscribe_url": unsubscribe,
                "preheader": preheader,
            },
            subject=digest.subject,
            base=self._base,
        )
