"""The change history of content items."""

from typing import Any

from accounts.models import User
from content.models import ContentChange, ContentItem
from core import audit

# Saves through the model are in the audit log already (core.audit.track); these are not.
_TRACKED_BY_SAVE = {"edit", "create"}


def content_log_change(
    *,
    item: ContentItem,
    user: User | None,
    action: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> ContentChange:
    change = ContentChange.objects.create(
        item=item, user=user, action=action, changes=changes or {}, note=note[:2000]
    )
    if action not in _TRACKED_BY_SAVE:
        audit.record(item, event=action, changes=change.changes, actor=user,
                     extra={"note": change.note} if change.note else None)
    return change


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed (values made JSON-safe)."""
    out = {}
    for key, new in after.items():
        old = before.get(key)
        if old != new:
            out[key] = [_jsonable(old), _jsonable(new)]
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)
