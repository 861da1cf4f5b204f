"""The audit log: who did what, when, before → after per field.

Built on django-auditlog (one append-only ``LogEntry`` table; entries keep the object's
type, id and name, so they outlive the object). Models are registered in their app's
``ready()`` with :func:`track`, which logs every ``save()``/``delete()`` and m2m change;
whatever does not go through ``save()`` (bulk updates, imports, shares posted, revisions,
account deletion) writes its entry with :func:`record` or :func:`record_many`.

The actor comes from the request (``AuditlogMiddleware``) unless given; work done by a
worker has no actor and says so (``actor_email`` "system").
"""

from collections.abc import Iterable, Mapping
from typing import Any

from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.db.models.signals import post_save, pre_delete, pre_save

from core.compiled import insert_one

CREATE = LogEntry.Action.CREATE
UPDATE = LogEntry.Action.UPDATE
DELETE = LogEntry.Action.DELETE
ACCESS = LogEntry.Action.ACCESS

MASK = "••••••"


def mask(value: str) -> str:
    """AUDITLOG_MASK_CALLABLE: a secret is shown as changed, never in part."""
    return MASK


def track(model: type[Model], *, exclude: Iterable[str] = (), mask: Iterable[str] = (),
          m2m: Iterable[str] = ()) -> None:
    """Log every create/update/delete of ``model`` (and changes to its ``m2m`` fields)."""
    auditlog.register(model, exclude_fields=list(exclude), mask_fields=list(mask), m2m_fields=set(m2m))


def _text(value: Any) -> str:
    return "None" if value is None else str(value)


def _changes(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{field: (before, after)}`` → auditlog's ``{field: ["before", "after"]}`` (strings)."""
    out: dict[str, Any] = {}
    for field, value in (changes or {}).items():
        if isinstance(value, list | tuple) and len(value) == 2:
            out[field] = [_text(value[0]), _text(value[1])]
        else:
            out[field] = value
    return out


def entry(instance: Model, *, event: str, action: int = UPDATE, changes: Mapping[str, Any] | None = None,
          actor: Any = None, extra: Mapping[str, Any] | None = None) -> LogEntry:
    """An unsaved entry (for :func:`record_many`). ``event`` names what happened in words
    ("share posted", "revision approved"); it is searchable and shown in the admin."""
    pk = instance.pk
    kwargs: dict[str, Any] = {
        "content_type": ContentType.objects.get_for_model(instance, for_concrete_model=False),
        "object_pk": str(pk),
        "object_id": pk if isinstance(pk, int) else None,
        "object_repr": str(instance)[:2000],
        "action": action,
        "changes": _changes(changes),
        "additional_data": {"event": event, **(extra or {})},
    }
    if actor is None:  # the request's user and address, when there is a request
        context = _request_context()
        actor = context.get("actor")
        kwargs["remote_addr"] = context.get("remote_addr")
    if actor is not None and getattr(actor, "pk", None):
        kwargs["actor"] = actor
        kwargs["actor_email"] = getattr(actor, "email", None)
    return LogEntry(**kwargs)


def _request_context() -> dict[str, Any]:
    """AuditlogMiddleware's actor and address while its request runs. django-auditlog leaves
    the context variable set after the request (it only disconnects its signal), so a
    value whose signal is gone belongs to an earlier request and is ignored."""
    context = auditlog_value.get(None) or {}
    duid = context.get("signal_duid")
    if duid is None or not any(key[0] == duid for key, *_ in pre_save.receivers):
        return {}
    return context


def record(instance: Model, *, event: str, action: int = UPDATE, changes: Mapping[str, Any] | None = None,
           actor: Any = None, extra: Mapping[str, Any] | None = None) -> LogEntry:
    """Write one entry now (the request's user and address are filled in if ``actor`` is None)."""
    log = entry(instance, event=event, action=action, changes=changes, actor=actor, extra=extra)
    if not _request_context() and not post_save.has_listeners(LogEntry):
        # Outside a request (a worker: an entry per posted share), nothing listens to an
        # entry being saved but the append-only check, which lets new entries through:
        # the INSERT is built once per process (issue 18, B7).
        insert_one(log)
    else:
        log.save()  # the request's actor and address are filled in by its signal
    return log


def record_many(entries: Iterable[LogEntry], *, batch_size: int = 1000) -> int:
    """Write many entries in batches (imports, bulk actions). ``bulk_create`` skips the
    signal that fills in the request's user, so give ``actor`` to :func:`entry`."""
    rows = list(entries)
    LogEntry.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def audit_actor_set(user: Any) -> None:
    """Name ``user`` as the actor of the current request's entries, when the request's
    authentication happens after ``AuditlogMiddleware`` ran (a personal API token is
    checked by DRF, inside the view: the middleware saw an anonymous request)."""
    context = _request_context()
    if context and context.get("actor") is None and getattr(user, "is_authenticated", False):
        context["actor"] = user


def _append_only(sender: type[LogEntry], instance: LogEntry, **kwargs: Any) -> None:
    if kwargs.get("signal") is pre_save and instance._state.adding:
        return
    raise PermissionDenied("The audit log is append-only: entries are never changed or deleted.")


pre_save.connect(_append_only, sender=LogEntry, dispatch_uid="core.audit.no_update")
pre_delete.connect(_append_only, sender=LogEntry, dispatch_uid="core.audit.no_delete")
