"""Turning a ``Digest`` into an email (``templates/emails/digest*.html|txt``).

A chunk renders hundreds of digests that share most of their parts: the same item cards
(only the signed Share-now link differs), per team the same campaign-goals block, and a
handful of layouts (with or without an impact block, rank up or down…). ``DigestRenderer``
renders and inlines each of those once per chunk (``notifications.emails.SlotTemplate``)
and, per person, fills in the values: a digest costs a few string joins and one MIME build.

The templates print only flat, per-person strings (``first_name``, ``new_posts``,
``shares``…) and branch only on the *shape* flags (``has_impact``, ``rank_move``…), so that
a layout can be rendered with placeholders. ``DigestRenderer(slots=False)`` renders the same
templates with the values themselves and inlines each email whole: the reference the
tests compare the fast path with.
"""

import secrets
from dataclasses import replace
from html import escape

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from notifications.emails import RenderedEmail, SlotTemplate, base_context, one_line, render_email
from notifications.models import DeliveryKind
from notifications.services.schedule import schedule_label, zone

# The per-person strings the digest templates print (``values`` below).
VALUES = (
    "subject", "preheader", "first_name", "greeting", "is_are", "new_posts", "shares", "shares_label", "clicks",
    "clicks_label", "points", "rank", "rank_places", "reach", "team_name", "schedule", "unsubscribe_url",
)


class DigestRenderer:
    def __init__(self, *, slots: bool = True) -> None:
        # A marker nobody can guess, so an item's own text (its title, say) can never be
        # taken for the slot and replaced by the reader's signed link.
        self._marker = secrets.token_hex(8).upper()
        self._share_url = f"CHORUS{self._marker}__SHARE_URL__SLOT"
        self._items: dict[tuple, tuple[str, str]] = {}
        self._goals: dict[tuple, tuple[str, str]] = {}
        self._zones: dict[str, object] = {}
        self._base = base_context()
        self._layout = SlotTemplate("digest") if slots else None

    def _item(self, entry) -> tuple[str, str]:
        """An item's card (HTML, text) with the share-URL placeholder; once per chunk."""
        key = (entry.item.pk, entry.is_new, entry.colleagues, entry.image_url, entry.summary)
        found = self._items.get(key)
        if found is None:
            context = {"entry": entry.with_share_url(self._share_url)}
            found = self._items[key] = (
                render_to_string("emails/digest_item.html", context),
                render_to_string("emails/digest_item.txt", context).strip("\n"),
            )
        return found

    def _goals_parts(self, digest) -> tuple[str, str, dict[str, str]]:
        """The campaign-goals block (HTML, text) with a placeholder for each team count, and
        this person's counts for them; the block is rendered once per chunk (with a team or not)."""
        has_team = digest.user.team_id is not None
        key = (has_team, tuple(
            (goal.campaign.pk, goal.campaign.name, tuple((row.label, row.done, row.goal) for row in goal.progress))
            for goal in digest.goals
        ))
        slots = [f"CHORUS{self._marker}__TEAM{i}__SLOT" for i in range(len(digest.goals))]
        found = self._goals.get(key)
        if found is None:
            context = {"goals": [
                replace(goal, team_shares=slot if has_team else None) for goal, slot in zip(digest.goals, slots, strict=True)
            ]}
            found = self._goals[key] = (
                render_to_string("emails/digest_goals.html", context),
                render_to_string("emails/digest_goals.txt", context).strip("\n"),
            )
        counts = {
            slot: f"{intcomma(goal.team_shares)} share{pluralize(goal.team_shares)}"
            for goal, slot in zip(digest.goals, slots, strict=True) if goal.team_shares is not None
        }
        return found[0], found[1], counts

    def _shape_and_values(self, digest, unsubscribe: str) -> tuple[dict, dict[str, str]]:
        user = digest.user
        tz = self._zones.get(user.timezone)
        if tz is None:
            tz = self._zones[user.timezone] = zone(user.timezone)
        hour = digest.as_of.astimezone(tz).hour
        kind = DeliveryKind.WEEKLY_DIGEST if digest.kind == DeliveryKind.TEST_DIGEST else digest.kind
        impact = digest.impact
        n = digest.new_count
        preheader = f"{n} new post{'s' if n != 1 else ''} picked for you" if n else "What's worth sharing"
        if impact is not None and kind == DeliveryKind.WEEKLY_DIGEST:
            preheader += f" · you shared {impact.shares} time{'s' if impact.shares != 1 else ''} last week"
        has_impact = impact is not None and any(
            (impact.shares, impact.clicks, impact.engagements, impact.points, impact.rank)
        )
        change = digest.rank_change
        rank_move = (
            "up" if change and change > 0 else "down" if change and change < 0 else "same" if change == 0
            else "first" if impact is not None and impact.rank else ""
        )
        reach = impact.potential_reach if impact is not None else 0
        shape = {
            "is_test": digest.kind == DeliveryKind.TEST_DIGEST,
            "is_daily": kind == DeliveryKind.DAILY_DIGEST,
            "has_new": bool(n),
            "entries": len(digest.items),
            "has_impact": has_impact,
            "rank_move": rank_move,
            "has_reach": bool(reach),
            "has_goals": bool(digest.goals),
            "has_team": user.team_id is not None,
        }
        places = abs(change or 0)
        values = {
            "subject": one_line(digest.subject),
            "preheader": preheader,
            "first_name": user.get_short_name(),
            "greeting": "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening",
            "is_are": pluralize(n, "is,are"),
            "new_posts": f"{n} new post{pluralize(n)}",
            "rank_places": f"{places} place{pluralize(places)}",
            "team_name": user.team.name if user.team_id is not None else "",
            "schedule": schedule_label(user, kind),
            "unsubscribe_url": unsubscribe,
            "shares": "", "shares_label": "", "clicks": "", "clicks_label": "", "points": "", "rank": "", "reach": "",
        }
        if has_impact:
            values.update(
                shares=intcomma(impact.shares), shares_label=f"Share{pluralize(impact.shares)}",
                clicks=intcomma(impact.clicks), clicks_label=f"Click{pluralize(impact.clicks)}",
                points=intcomma(impact.points), rank=f"#{impact.rank}" if impact.rank else "–",
                reach=intcomma(reach) if reach else "",
            )
        return shape, values

    def render(self, digest, *, unsubscribe: str) -> RenderedEmail:
        shape, values = self._shape_and_values(digest, unsubscribe)
        items = [self._item(entry) for entry in digest.items]
        goals_html, goals_text, counts = self._goals_parts(digest) if digest.goals else ("", "", {})
        slot = self._share_url
        if self._layout is None:  # the reference: the templates with the values, inlined whole
            return render_email("digest", {
                **self._base, **shape, **values,
                # Our templates' output, with our own URL put in escaped: safe to mark safe.
                "entries": [mark_safe(html.replace(slot, escape(e.share_url))) for (html, _), e in zip(
                    items, digest.items, strict=True)],
                "entries_text": [text.replace(slot, e.share_url) for (_, text), e in zip(items, digest.items, strict=True)],
                "goals_html": mark_safe(_fill(goals_html, counts, escape)), "goals_text": _fill(goals_text, counts),
            }, subject=values["subject"], base=self._base)

        def layout(slot_of) -> dict:
            return {
                **self._base, **shape, **{name: slot_of(name) for name in VALUES},
                "entries": [slot_of(f"entry{i}") for i in range(shape["entries"])],
                "entries_text": [slot_of(f"entry_text{i}") for i in range(shape["entries"])],
                "goals_html": slot_of("goals"), "goals_text": slot_of("goals_text"),
            }

        variant = self._layout.variant(tuple(shape.values()), layout)
        html_blocks: dict[str, str | SafeString] = {}
        text_blocks: dict[str, str] = {}
        for i, ((html, text), entry) in enumerate(zip(items, digest.items, strict=True)):
            card = self._layout.inline_block(variant, "entry0", html)
            html_blocks[f"entry{i}"] = card.replace(slot, escape(entry.share_url))
            text_blocks[f"entry_text{i}"] = text.replace(slot, entry.share_url)
        if digest.goals:
            html_blocks["goals"] = _fill(self._layout.inline_block(variant, "goals", goals_html), counts, escape)
            text_blocks["goals_text"] = _fill(goals_text, counts)
        return self._layout.fill(
            variant, values, subject=values["subject"], html_blocks=html_blocks, text_blocks=text_blocks
        )


def _fill(block: str, values: dict[str, str], escaped=str) -> str:
    for slot, value in values.items():
        block = block.replace(slot, escaped(value))
    return block
