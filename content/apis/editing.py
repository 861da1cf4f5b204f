"""Creating and editing items from the API with the admin's rules and services.

The input is checked by the admin's own form (``ContentItemForm``: model validation, the
form's rules and the consequences of an edit) and texts by ``share_text_problems``, so
the API cannot accept what the admin refuses. Then the same services save it: directly,
or — a Curator's edit of an approved, scheduled or published item — as a pending revision
that leaves the live item untouched (``needs_revision`` / ``revision_propose``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from accounts.models import User
from content.admin.forms import ContentItemForm
from content.models import ComplianceSettings, ContentItem, ContentRevision, Network, RevisionStatus
from content.services.items import content_item_save, content_texts_set, share_text_problems
from content.services.revisions import FIELDS as REVISION_FIELDS
from content.services.revisions import M2M_FIELDS, RevisionError, needs_revision, revision_propose, texts_of
from core.api import ApiError

# API names of the form's own fields (the model stores these lists encoded).
_FORM_NAMES = {"target_locations": "target_locations_text", "target_languages": "target_languages_choice"}
_API_NAMES = {form: api for api, form in _FORM_NAMES.items()}
# The form's field names as the model's attributes (what a revision stores).
_ATTRIBUTES = {"target_locations_text": "target_locations", "target_languages_choice": "target_languages",
               "campaign": "campaign_id"}
_NOT_FORM_INPUT = {"texts", "confirm_consequences"}


@dataclass(frozen=True)
class Edited:
    """What an edit did: saved it (``text_ids``: the texts' ids, for a texts edit), or —
    ``proposed`` — made it a pending revision (``revision``; None if nothing differed from
    the live item)."""

    item: ContentItem
    proposed: bool = False
    revision: ContentRevision | None = None
    text_ids: tuple[int, ...] = ()


def _form_data(item: ContentItem) -> dict[str, Any]:
    """What the admin's form would show for ``item``, as bound data."""
    fields = [f for f in ContentItemForm._meta.fields if f != "image"]
    data = model_to_dict(item, fields=fields)
    for name in M2M_FIELDS:
        data[name] = [obj.pk for obj in data.get(name, [])]
    data["target_locations_text"] = ", ".join(item.target_location_list)
    data["target_languages_choice"] = item.target_language_list
    return data


def _first_error(form: ContentItemForm) -> tuple[str | None, str]:
    for name, errors in form.errors.items():
        if name != "__all__":
            return _API_NAMES.get(name, name), str(errors[0])
    return None, str(form.errors["__all__"][0])


def _validated_form(item: ContentItem, user: User, data: dict[str, Any], *, base: ContentItem) -> ContentItemForm:
    """The admin's form for ``item`` with ``data`` over ``base``'s values, validated."""
    form_data = _form_data(base)
    for name, value in data.items():
        if name in _NOT_FORM_INPUT:
            continue
        form_data[_FORM_NAMES.get(name, name)] = ", ".join(value) if name == "target_locations" else value
    if data.get("confirm_consequences"):
        form_data["confirm_consequences"] = "1"
    form = ContentItemForm(data=form_data, instance=item)
    form.user = user
    if form.is_valid():
        return form
    if form.consequences and set(form.errors) == {"__all__"}:
        listed = " ".join(c.message for c in form.consequences)
        raise ApiError("confirmation_required",
                       f"This change reaches beyond the item: {listed} Send it again with "
                       "\"confirm_consequences\": true to make it.",
                       http_status=409, field="confirm_consequences")
    field, message = _first_error(form)
    raise ApiError("invalid", message, field=field)


def _validated_texts(item: ContentItem, rows: list[dict[str, Any]], *, known_ids: set[int]) -> list[dict[str, Any]]:
    """``rows`` checked against ``item`` as it will be (the admin formset's rules)."""
    compliance = ComplianceSettings.load()
    seen: set[int] = set()
    texts = []
    for n, row in enumerate(rows, start=1):
        pk = row.get("id")
        if pk is not None and (pk not in known_ids or pk in seen):
            raise ApiError("invalid", f"Text {n}: this item has no suggested text {pk}"
                                      f"{' (or it is listed twice)' if pk in known_ids else ''}.", field="texts")
        if pk is not None:
            seen.add(pk)
        network, text = row["network"], row["text"]
        problems = share_text_problems(item, network, text, compliance=compliance)
        if problems:
            message = next(iter(problems.values()))[0]
            raise ApiError("invalid", f"Text {n} ({Network(network).label}): {message}", field="texts")
        texts.append({"id": pk, "network": network, "text": text, "position": row.get("position") or 0})
    return texts


def _propose(*, item_id: int, user: User, fields: dict[str, Any], m2m: dict[str, list[int]],
             texts: list[dict[str, Any]] | None) -> Edited:
    live = ContentItem.objects.get(pk=item_id)
    try:
        revision = revision_propose(item=live, user=user, fields=fields, m2m=m2m, texts=texts)
    except RevisionError as exc:
        raise ApiError("invalid", str(exc)) from None
    return Edited(item=live, proposed=True, revision=revision)


@transaction.atomic
def item_create(*, user: User, data: dict[str, Any]) -> ContentItem:
    """A new draft (the admin's "Add content item")."""
    form = _validated_form(ContentItem(), user, data, base=ContentItem())
    item = form.save(commit=False)
    texts = _validated_texts(item, data.get("texts", []), known_ids=set())
    content_item_save(item=item, user=user)
    form.save_m2m()
    if texts:
        content_texts_set(item=item, user=user, texts=texts, log=False)
    return item


@transaction.atomic
def item_update(*, item: ContentItem, user: User, data: dict[str, Any], full: bool) -> Edited:
    """Edit ``item`` (``full``: a PUT, fields left out take their defaults) as the admin's
    change form does."""
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    revise = needs_revision(item, user)
    known_ids = {t["id"] for t in texts_of(item)}
    form = _validated_form(item, user, data, base=ContentItem() if full else item)
    edited = form.save(commit=False)
    texts = _validated_texts(edited, data["texts"], known_ids=known_ids) if "texts" in data else None
    if revise:
        names = {_ATTRIBUTES.get(name, name) for name in form.changed_data}
        fields = {f: getattr(edited, f) for f in REVISION_FIELDS if f in names}
        m2m = {f: [obj.pk for obj in form.cleaned_data.get(f, [])] for f in M2M_FIELDS if f in form.changed_data}
        return _propose(item_id=item.pk, user=user, fields=fields, m2m=m2m, texts=texts)
    content_item_save(item=edited, user=user, consequences=form.confirmed_consequences)
    form.save_m2m()
    if texts is not None:
        content_texts_set(item=edited, user=user, texts=texts)
    return Edited(item=edited)


@transaction.atomic
def texts_update(*, item: ContentItem, user: User,
                 change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Edited:
    """Change ``item``'s suggested texts: ``change`` gets the current list and returns the new
    one. Saved directly, or proposed (the texts already proposed in a pending revision are
    the starting point, so successive changes add up)."""
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    live = texts_of(item)
    revise = needs_revision(item, user)
    current = live
    if revise:
        pending = ContentRevision.objects.filter(item=item, status=RevisionStatus.PENDING).first()
        if pending is not None and "texts" in pending.data:
            current = [dict(row) for row in pending.data["texts"]]
    texts = _validated_texts(item, change(current), known_ids={t["id"] for t in live})
    if revise:
        return _propose(item_id=item.pk, user=user, fields={}, m2m={}, texts=texts)
    ids = content_texts_set(item=item, user=user, texts=texts)
    return Edited(item=item, text_ids=tuple(ids))
