"""Saving content items and their suggested texts: what the admin's change form and the
API both do once the input is valid.

An edit that must wait for an approver is not saved here: it becomes a pending revision
(:mod:`content.services.revisions`). Deleting is refused for what employees have seen or
shared (:func:`content_deletable`): such items are archived instead.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from content.models import ComplianceSettings, ContentItem
from content.services.history import content_log_change, diff_fields
from content.services.previews import content_request_preview
from content.services.revisions import (
    Consequence,
    posted_link_count,
    record_consequences,
    texts_apply,
    texts_of,
)
from content.text_rules import validate_share_text

# The item's fields whose changes go into its history.
HISTORY_FIELDS = [
    "title", "url", "summary", "content_type", "campaign_id", "hashtags", "target_everyone", "target_locations",
    "target_languages", "priority", "pinned", "publish_at", "expires_at", "text_locked", "disclosure",
    "allow_linkedin", "allow_x", "preview_title", "preview_description", "preview_image_url",
]


def tracked_link_example() -> str:
    """What a tracked link looks like when posted: SITE_URL/r/<10-char code>."""
    return f"{settings.SITE_URL}/r/AbCdEfGhIj"


def share_text_problems(
    item: ContentItem, network: str, text: str, *, compliance: ComplianceSettings | None = None
) -> dict[str, list[str]]:
    """What is wrong with ``text`` as a suggested text for ``item`` (as it will be saved) on
    ``network``: ``{"network": [...], "text": [...]}``, empty when it may be saved.

    The text must fit the network with the item's disclosure and a tracked link added, and
    contain no blocked word; the network must be allowed for the item. Pass ``compliance``
    (``ComplianceSettings.load()``) when checking several texts.
    """
    problems: dict[str, list[str]] = {}
    if network == "x" and not item.allow_x or network == "linkedin" and not item.allow_linkedin:
        problems["network"] = ["This network is not allowed for this item."]
    compliance = compliance or ComplianceSettings.load()
    messages = validate_share_text(
        network, text, link_url=tracked_link_example() if item.url else None,
        disclosure=item.disclosure or compliance.default_disclosure, blocked_words=compliance.blocked_word_list,
    )
    if messages:
        problems["text"] = messages
    return problems


def content_deletable(item: ContentItem) -> bool:
    """Whether ``item`` may be deleted: not once employees have seen it (published) or shared
    it (a posted link points at it) — archive it instead."""
    return item.published_at is None and posted_link_count(item) == 0


def content_item_save(
    *, item: ContentItem, user: User, consequences: Iterable[Consequence] = (), how: str = "Edited by an Approver"
) -> ContentItem:
    """Save a validated new item, or an edit applied directly (not through a revision).

    Writes the history (``create``, or ``edit`` with the changed fields), records the
    consequences the editor confirmed, and queues the link preview when the link is new or
    changed. Many-to-many fields and suggested texts are saved by the caller afterwards.
    """
    created = item.pk is None
    before: dict[str, Any] = {}
    url_changed = created
    if created:
        item.created_by = user
    else:
        old = ContentItem.objects.get(pk=item.pk)
        before = {f: getattr(old, f) for f in HISTORY_FIELDS}
        url_changed = old.url != item.url
    item.save()
    if created:
        content_log_change(item=item, user=user, action="create")
    else:
        changes = diff_fields(before, {f: getattr(item, f) for f in HISTORY_FIELDS})
        if changes:
            content_log_change(item=item, user=user, action="edit", changes=changes)
        record_consequences(item=item, user=user, consequences=list(consequences), how=how)
    if url_changed:
        content_request_preview(item=item)
    return item


def _text_lines(texts: list[dict[str, Any]]) -> list[str]:
    return [f"{t['network']}: {t['text']}" for t in sorted(texts, key=lambda t: (t["network"], t["position"]))]


def content_texts_logged(*, item: ContentItem, user: User, before: list[dict[str, Any]]) -> None:
    """Write the history entry for a change of ``item``'s suggested texts (from ``before``,
    as :func:`texts_of` gave them, to what is saved now), if they changed."""
    after = texts_of(item)
    if _text_lines(before) != _text_lines(after):
        content_log_change(item=item, user=user, action="texts",
                           changes={"suggested texts": [_text_lines(before), _text_lines(after)]})


@transaction.atomic
def content_texts_set(*, item: ContentItem, user: User, texts: list[dict[str, Any]], log: bool = True) -> list[int]:
    """Make ``item``'s suggested texts ``texts`` (``{id?, network, text, position}``) directly;
    rows whose ``id`` stays are changed in place (shares point at the variant they used).
    Returns the rows' ids in the order of ``texts``. ``log=False`` for a new item (its
    ``create`` entry says it all).

    Validate the texts first (:func:`share_text_problems`); a curator's edit of a live item
    is a revision instead (:func:`content.services.revisions.revision_propose`).
    """
    before = texts_of(item)
    ids = texts_apply(item, texts)
    if log:
        content_texts_logged(item=item, user=user, before=before)
    return ids
