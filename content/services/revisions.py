"""Changes to approved content go through an approver.

Once an item is approved, scheduled or published, an edit by someone who may not approve
(a curator) becomes a pending :class:`ContentRevision`: the live item — what the feed, the
emails, the API and the tracked links read — stays as approved until an approver applies
the revision from the review queue. Some changes have consequences beyond the item itself
(:func:`content_consequences`); only approvers may make them, after confirming.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from content.models import (
    Campaign,
    ContentItem,
    ContentRevision,
    ContentStatus,
    ContentType,
    RevisionStatus,
    ShareText,
)
from content.services.history import content_log_change
from content.services.previews import content_request_preview

APPROVE_PERMISSION = "content.approve_contentitem"
# Statuses in which an item is (or is about to be) in front of employees.
REVISABLE_STATUSES = frozenset({ContentStatus.APPROVED, ContentStatus.SCHEDULED, ContentStatus.PUBLISHED})
# Statuses an item reaches only through approval: its compliance settings were approved.
APPROVED_ONCE = REVISABLE_STATUSES | {ContentStatus.ARCHIVED, ContentStatus.EXPIRED}

# What a revision may change (model attribute names) and how the review queue names it.
FIELDS = [
    "title", "url", "summary", "image", "content_type", "campaign_id", "hashtags",
    "preview_title", "preview_description", "preview_image_url", "preview_site_name",
    "target_everyone", "target_locations", "target_languages",
    "priority", "pinned", "publish_at", "expires_at",
    "text_locked", "disclosure", "allow_linkedin", "allow_x",
]
M2M_FIELDS = ["topics", "target_teams"]
_DATETIMES = {"publish_at", "expires_at"}


class RevisionError(Exception):
    """Shown to the person as is."""


@dataclass(frozen=True)
class Consequence:
    field: str
    message: str


class NeedsConfirmation(RevisionError):
    def __init__(self, consequences: list[Consequence]) -> None:
        self.consequences = consequences
        super().__init__("Confirm: " + " ".join(c.message for c in consequences))


# ----- counting posted links (the advocacy app registers it; content may not import it) -----
_posted_links: Callable[[int], int] | None = None


def register_posted_link_counter(counter: Callable[[int], int]) -> None:
    global _posted_links
    _posted_links = counter


def posted_link_count(item: ContentItem) -> int:
    return _posted_links(item.pk) if _posted_links and item.pk else 0


# ----- values -----
def label(field: str) -> str:
    if field == "texts":
        return "Suggested texts"
    name = field.removesuffix("_id")
    return str(ContentItem._meta.get_field(name).verbose_name).capitalize()


def encode(field: str, value: Any) -> Any:
    """A model value as JSON (what a revision stores)."""
    if field == "image":
        return value.name if value else ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def decode(field: str, value: Any) -> Any:
    if field in _DATETIMES and value:
        return parse_datetime(value)
    return value


def live_value(item: ContentItem, field: str) -> Any:
    if field in M2M_FIELDS:
        return sorted(getattr(item, field).values_list("pk", flat=True))
    if field == "texts":
        return texts_of(item)
    return encode(field, getattr(item, field))


def texts_of(item: ContentItem) -> list[dict[str, Any]]:
    return [
        {"id": t.pk, "network": t.network, "text": t.text, "position": t.position}
        for t in ShareText.objects.filter(item=item).order_by("network", "position", "pk")
    ]


def _same_texts(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def key(rows):
        return sorted((r["network"], r["position"], r["text"]) for r in rows)

    return key(a) == key(b)


def needs_revision(item: ContentItem, user: User) -> bool:
    """Whether ``user``'s edit of ``item`` must wait for an approver."""
    return item.pk is not None and item.status in REVISABLE_STATUSES and not user.has_perm(APPROVE_PERMISSION)


def pending_revision(item: ContentItem) -> ContentRevision | None:
    return ContentRevision.objects.filter(item=item, status=RevisionStatus.PENDING).first()


# ----- consequences -----
def content_consequences(item: ContentItem, new: dict[str, Any]) -> list[Consequence]:
    """What changing ``item`` (its live, saved values) to ``new`` would do beyond the item.

    ``new`` maps model attribute names to proposed values; missing keys are unchanged.
    """
    out = []
    if "url" in new and (new["url"] or "") != (item.url or ""):
        posted = posted_link_count(item)
        if posted:
            target = new["url"] or "no link (a text post)"
            out.append(Consequence(
                "url", f"{posted} posted link{'s' if posted != 1 else ''} on employees' profiles will now "
                       f"point to {target} instead of {item.url}."
            ))
    if item.status not in APPROVED_ONCE:
        return out
    if "text_locked" in new and item.text_locked and not new["text_locked"]:
        out.append(Consequence("text_locked", "The text lock is turned off: advocates may rewrite the approved "
                                              "text before sharing."))
    if "disclosure" in new and item.disclosure and (new["disclosure"] or "") != item.disclosure:
        after = f"“{new['disclosure']}”" if new["disclosure"] else "the global default (if any)"
        out.append(Consequence("disclosure", f"The disclosure “{item.disclosure}” on every new share is "
                                             f"replaced by {after}."))
    for field, network in (("allow_linkedin", "LinkedIn"), ("allow_x", "X")):
        if field in new and new[field] and not getattr(item, field):
            out.append(Consequence(field, f"Advocates may now share it on {network}, which was not approved."))
    return out


def record_consequences(*, item: ContentItem, user: User, consequences: list[Consequence], how: str) -> None:
    if not consequences:
        return
    note = " ".join(c.message for c in consequences)
    content_log_change(item=item, user=user, action="confirmed consequences", note=f"{how}: {note}")


# ----- proposing -----
@transaction.atomic
def revision_propose(
    *,
    item: ContentItem,
    user: User,
    fields: dict[str, Any],
    m2m: dict[str, list[int]] | None = None,
    texts: list[dict[str, Any]] | None = None,
) -> ContentRevision | None:
    """Save a curator's edit of a live ``item`` as a pending revision.

    ``fields`` holds proposed model values (only the changed ones need be present), ``m2m``
    lists of ids, ``texts`` the full proposed list of suggested texts (None: unchanged).
    A pending revision already there is merged into (its proposals stay unless changed
    again) and replaced. Returns None if nothing differs from the live item.
    """
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    previous = pending_revision(item)
    data: dict[str, Any] = {"fields": {}, "m2m": {}}
    if previous:
        data = {"fields": dict(previous.data.get("fields", {})), "m2m": dict(previous.data.get("m2m", {}))}
        if "texts" in previous.data:
            data["texts"] = previous.data["texts"]
    for field, value in fields.items():
        new = encode(field, value)
        if new != live_value(item, field):
            data["fields"][field] = new
        else:  # set back to the live value: no longer proposed
            data["fields"].pop(field, None)
    for field, ids in (m2m or {}).items():
        new_ids = sorted(ids)
        if new_ids != live_value(item, field):
            data["m2m"][field] = new_ids
    if texts is not None and not _same_texts(texts, texts_of(item)):
        data["texts"] = texts
    problems = content_consequences(item, {k: decode(k, v) for k, v in data["fields"].items()})
    if problems:
        raise RevisionError(" ".join(p.message for p in problems) + " Only an Approver can make this change.")
    if not data["fields"] and not data["m2m"] and "texts" not in data:
        return previous
    before = {
        "fields": {f: live_value(item, f) for f in data["fields"]},
        "m2m": {f: live_value(item, f) for f in data["m2m"]},
    }
    if "texts" in data:
        before["texts"] = texts_of(item)
    if previous:
        ContentRevision.objects.filter(pk=previous.pk).update(status=RevisionStatus.REPLACED)
    revision = ContentRevision.objects.create(item=item, data=data, before=before, proposed_by=user)
    content_log_change(
        item=item, user=user, action="revision proposed",
        changes=_diff_changes(revision),
        note="Waiting for an Approver; the approved version stays live.",
    )
    return revision


# ----- reviewing -----
def revision_diff(revision: ContentRevision) -> list[dict[str, Any]]:
    """Field-by-field rows for the review queue: label, live now, proposed, and whether the
    live value changed since the proposal (someone else edited it meanwhile)."""
    item = revision.item
    rows = []
    for field, proposed in revision.data.get("fields", {}).items():
        live = live_value(item, field)
        rows.append({
            "field": field, "label": label(field), "live": _show(field, live), "proposed": _show(field, proposed),
            "moved": live != revision.before.get("fields", {}).get(field, live),
        })
    for field, ids in revision.data.get("m2m", {}).items():
        live = live_value(item, field)
        rows.append({
            "field": field, "label": label(field), "live": _names(field, live), "proposed": _names(field, ids),
            "moved": live != revision.before.get("m2m", {}).get(field, live),
        })
    if "texts" in revision.data:
        live_texts = texts_of(item)
        live_lines, new_lines = _text_lines(live_texts), _text_lines(revision.data["texts"])
        kept = [line for line in new_lines if line in live_lines]
        rows.append({
            "field": "texts",
            "label": label("texts") + (f" ({len(kept)} unchanged, not shown)" if kept else ""),
            "live": "\n\n".join(line for line in live_lines if line not in new_lines) or "—",
            "proposed": "\n\n".join(line for line in new_lines if line not in live_lines) or "—",
            "moved": not _same_texts(live_texts, revision.before.get("texts", live_texts)),
        })
    return rows


def _diff_changes(revision: ContentRevision) -> dict[str, list[str]]:
    """The diff as a history entry's ``{field: [live, proposed]}``."""
    return {row["field"]: [row["live"], row["proposed"]] for row in revision_diff(revision)}


def _show(field: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if field == "campaign_id":
        return str(Campaign.objects.filter(pk=value).first() or f"campaign #{value}")
    if field in _DATETIMES:
        return timezone.localtime(decode(field, value)).strftime("%d %b %Y %H:%M %Z")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "content_type":
        return str(dict(ContentType.choices).get(value, value))
    if field in {"target_locations", "target_languages"}:
        return ", ".join(v for v in value.strip(",").split(",") if v) or "—"
    return str(value)


def _names(field: str, ids: list[int]) -> str:
    model = ContentItem._meta.get_field(field).related_model
    names = sorted(str(o) for o in model.objects.filter(pk__in=ids))
    return ", ".join(names) or "—"


def _text_lines(texts: list[dict[str, Any]]) -> list[str]:
    rows = sorted(texts, key=lambda t: (t["network"], t["position"]))
    return [f"[{'LinkedIn' if t['network'] == 'linkedin' else 'X'}] {t['text']}" for t in rows]


def revision_consequences(revision: ContentRevision) -> list[Consequence]:
    fields = {k: decode(k, v) for k, v in revision.data.get("fields", {}).items()}
    return content_consequences(revision.item, fields)


@transaction.atomic
def revision_approve(*, revision: ContentRevision, user: User, confirmed: bool = False) -> ContentItem:
    """Apply a pending revision to its item (approvers only). Consequences need ``confirmed``."""
    if not user.has_perm(APPROVE_PERMISSION):
        raise RevisionError("Only an Approver can approve a revision.")
    revision = ContentRevision.objects.select_for_update().select_related("item").get(pk=revision.pk)
    if revision.status != RevisionStatus.PENDING:
        raise RevisionError("This revision is no longer waiting for approval.")
    item = revision.item
    consequences = revision_consequences(revision)
    if consequences and not confirmed:
        raise NeedsConfirmation(consequences)
    changes = _diff_changes(revision)
    fields = revision.data.get("fields", {})
    for field, value in fields.items():
        if field == "image":
            item.image.name = value or None
        else:
            setattr(item, field, decode(field, value))
    item.full_clean(exclude=["image"], validate_unique=False)
    item.save()
    for field, ids in revision.data.get("m2m", {}).items():
        getattr(item, field).set(ids)
    if "texts" in revision.data:
        texts_apply(item, revision.data["texts"])
    ContentRevision.objects.filter(pk=revision.pk).update(
        status=RevisionStatus.APPROVED, decided_by=user, decided_at=timezone.now()
    )
    content_log_change(item=item, user=user, action="revision approved", changes=changes,
                       note=f"Proposed by {revision.proposed_by or 'someone since removed'}.")
    record_consequences(item=item, user=user, consequences=consequences, how="Revision approved")
    if "url" in fields:
        transaction.on_commit(lambda: content_request_preview(item=item))
    return item


def texts_apply(item: ContentItem, texts: list[dict[str, Any]]) -> list[int]:
    """Make the item's suggested texts ``texts``, keeping the rows that stay (shares point at
    the variant they used). Returns the ids of the rows, in the order of ``texts``."""
    existing = {t.pk: t for t in ShareText.objects.filter(item=item)}
    keep: list[int] = []
    for row in texts:
        text = existing.get(row.get("id"))
        if text is None:
            text = ShareText(item=item)
        text.network, text.text, text.position = row["network"], row["text"], row["position"]
        text.save()
        keep.append(text.pk)
    for pk, text in existing.items():
        if pk not in keep:
            text.delete()
    return keep


@transaction.atomic
def revision_reject(*, revision: ContentRevision, user: User, note: str = "") -> ContentRevision:
    if not user.has_perm(APPROVE_PERMISSION):
        raise RevisionError("Only an Approver can reject a revision.")
    updated = ContentRevision.objects.filter(pk=revision.pk, status=RevisionStatus.PENDING).update(
        status=RevisionStatus.REJECTED, decided_by=user, decided_at=timezone.now(), note=note[:2000]
    )
    if not updated:
        raise RevisionError("This revision is no longer waiting for approval.")
    revision.refresh_from_db()
    content_log_change(item=revision.item, user=user, action="revision rejected", note=note)
    return revision
