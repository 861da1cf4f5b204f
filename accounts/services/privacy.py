"""What Chorus holds about a person: "My data" (the export) and deleting an account.

Every app that keeps something about a person registers a :class:`PersonalData` section
in its ``ready()`` (the way analytics registers the campaign progress counter with
``content.progress``): how to export it, and what deleting the account does to it. This
module, in the lowest layer that knows people, never imports the apps above it; the
profile and preferences sections are its own.

Deleting an account anonymises it; the user row stays as a stub so that the numbers built
on it (shares, rollups, points, team totals) are unchanged:

1. outside any transaction, each section's ``revoke`` lets go of what lives elsewhere
   (the LinkedIn and X grants are revoked at the provider; a provider that does not
   answer does not stop the deletion: the tokens are deleted all the same);
2. in one transaction, each section's ``erase`` deletes or scrubs its rows, then the
   user row is anonymised (``deleted-user-<id>@invalid``, no name, no password, inactive,
   no roles, hidden from leaderboards; the team stays, for the team's past numbers);
3. one audit entry, "account deleted", says who deleted it and what was done. Row-level
   audit entries are switched off meanwhile: they would copy the erased values into the log.

Both are safe to repeat: a half-done deletion (a crash between 1 and 2) is finished by the
next attempt, and an account already deleted is refused with a clear message.
"""

import json
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from auditlog.context import disable_auditlog
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationPreference, User
from accounts.roles import ADMIN
from accounts.services.api_tokens import api_tokens_count, api_tokens_erase, api_tokens_export
from core.audit import ACCESS, DELETE, record

DELETED_EMAIL_DOMAIN = "invalid"  # RFC 2606: never a real mailbox
# Exports larger than this are written to a temporary file instead of memory.
SPOOL_MAX_BYTES = 8 * 1024 * 1024

Export = Callable[[User], Any]


@dataclass(frozen=True)
class PersonalData:
    """One part of what Chorus holds about a person.

    ``export(user)``: JSON-able data; a list or any other iterable of dicts is written
    row by row (so a long history is never built in memory), anything else as one value.
    ``count(user)``: how many items there are, for the My data and delete pages.
    ``revoke(user)``: release what lives outside Chorus; runs before the deletion's
    transaction and must be safe to repeat. ``erase(user)``: delete or scrub this part,
    inside the deletion's transaction. Both return counts for the audit entry.
    """

    name: str
    label: str
    description: str
    export: Export
    position: int = 100
    count: Callable[[User], int] | None = None
    revoke: Callable[[User], dict[str, int]] | None = None
    erase: Callable[[User], dict[str, int]] | None = None


_sections: dict[str, PersonalData] = {}


def register_personal_data(*sections: PersonalData) -> None:
    """Add (or replace, by name) sections; apps call this from ``ready()``."""
    for section in sections:
        _sections[section.name] = section


def personal_data_sections() -> list[PersonalData]:
    return sorted(_sections.values(), key=lambda s: (s.position, s.name))


@dataclass(frozen=True)
class SectionSummary:
    name: str
    label: str
    description: str
    count: int | None


def personal_data_summary(user: User) -> list[SectionSummary]:
    """Each section with its count (for the My data page)."""
    return [
        SectionSummary(s.name, s.label, s.description, s.count(user) if s.count else None)
        for s in personal_data_sections()
    ]


# --- who may ----------------------------------------------------------------------------


class PrivacyRefused(Exception):
    """The export or deletion is not allowed; the message says why, in plain words."""


def is_deleted_account(user: User) -> bool:
    return not user.is_active and user.email == f"deleted-user-{user.pk}@{DELETED_EMAIL_DOMAIN}"


def personal_data_problem(*, actor: User, user: User) -> str | None:
    """Why ``actor`` may not export or delete ``user``'s data (None if they may).

    Anyone may for themselves; for someone else only an Admin (or a superuser), and only
    a superuser for a superuser."""
    if actor.pk == user.pk:
        return None
    if not actor.is_active or not actor.has_role(ADMIN):
        return "Only an administrator can export or delete someone else's data."
    if user.is_superuser and not actor.is_superuser:
        return "Only a superuser can export or delete a superuser's data."
    return None


def account_deletion_problem(*, actor: User, user: User) -> str | None:
    """Why ``actor`` may not delete ``user``'s account (None if they may)."""
    if is_deleted_account(user):
        return "This account has already been deleted."
    if actor.pk == user.pk and user.is_superuser:
        return ("A superuser account cannot delete itself. Ask another superuser to remove your "
                "superuser status first.")
    return personal_data_problem(actor=actor, user=user)


# --- export -----------------------------------------------------------------------------


def _write_json(out: IO[bytes], data: Any) -> None:
    """``data`` as JSON; an iterable of rows is streamed as an array, one row at a time."""
    if isinstance(data, dict | str | int | float | bool) or data is None:
        out.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode())
        return
    out.write(b"[")
    for index, row in enumerate(data):
        out.write(b",\n  " if index else b"\n  ")
        out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False).encode())
    out.write(b"\n]\n")


def _readme(user: User, sections: Iterable[PersonalData], now) -> str:
    lines = [
        "Everything Chorus holds about you",
        "=================================",
        "",
        f"Exported {now:%Y-%m-%d %H:%M} UTC for account {user.pk}.",
        "Each file is JSON (UTF-8). Times are in UTC.",
        "",
    ]
    lines += [f"{s.name}.json  {s.label}: {s.description}" for s in sections]
    lines += [
        "",
        "Not included, on purpose: the access and refresh tokens of your LinkedIn and X",
        "connections (they are secrets; Chorus never shows them, even to you), and the",
        "anonymous statistics of clicks on your links (no visitor can be identified).",
        "",
    ]
    return "\n".join(lines)


@dataclass
class DataExport:
    """A finished export: ``file`` is positioned at the start, ready to stream."""

    file: IO[bytes]
    filename: str
    sections: list[str] = field(default_factory=list)


def personal_data_export(*, user: User, actor: User) -> DataExport:
    """Write every section to a zip (``<section>.json`` and a README) and record the export
    in the audit log. Memory is bounded: past ``SPOOL_MAX_BYTES`` the zip goes to a
    temporary file, which the caller streams and closes."""
    problem = personal_data_problem(actor=actor, user=user)
    if problem:
        raise PrivacyRefused(problem)
    now = timezone.now()
    sections = personal_data_sections()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # the response streams and closes it
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", _readme(user, sections, now))
            for section in sections:
                with archive.open(f"{section.name}.json", "w") as out:
                    _write_json(out, section.export(user))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    names = [s.name for s in sections]
    record(user, event="data exported", action=ACCESS, actor=actor,
           extra={"by": "self" if actor.pk == user.pk else "admin", "sections": names})
    prefix = "chorus-my-data" if actor.pk == user.pk else f"chorus-data-user-{user.pk}"
    return DataExport(file=spool, filename=f"{prefix}-{now:%Y-%m-%d}.zip", sections=names)


# --- the account's own sections ---------------------------------------------------------


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "team": user.team.name if user.team_id else None,
        "location": user.location,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "is_staff": user.is_staff,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "invited_at": user.invited_at,
        "invitation_accepted_at": user.invitation_accepted_at,
    }


def _preferences(user: User) -> dict[str, Any]:
    return {
        "advocate": user.is_advocate,
        "advocate_opted_in_at": user.advocate_opted_in_at,
        "timezone": user.timezone,
        "language": user.language,
        "notification_preference": user.notification_preference,
        "digest_weekday": user.get_digest_weekday_display(),
        "digest_hour": user.digest_hour,
        "leaderboard_opt_out": user.leaderboard_opt_out,
    }


register_personal_data(
    PersonalData("profile", "Profile", "your name, email, job title, team, location and roles.",
                 export=_profile, position=10),
    PersonalData("preferences", "Preferences", "notification, digest, language and leaderboard choices.",
                 export=_preferences, position=20),
    PersonalData("api_tokens", "API tokens", "the names, scopes and dates of your personal API tokens "
                 "(never the tokens themselves).",
                 export=api_tokens_export, count=api_tokens_count, erase=api_tokens_erase, position=25),
)


# --- deletion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountDeletion:
    user_id: int
    by: str  # "self" or "admin"
    counts: dict[str, int]


def account_delete(*, user: User, actor: User, note: str = "") -> AccountDeletion:
    """Delete ``user``'s account as the module docstring says. ``actor`` is the person
    asking (the user, or an Admin for a leaver); ``note`` goes into the audit entry.
    The password check is the caller's (the form's): this only checks who may."""
    problem = account_deletion_problem(actor=actor, user=user)
    if problem:
        raise PrivacyRefused(problem)
    by = "self" if actor.pk == user.pk else "admin"
    sections = personal_data_sections()
    counts: dict[str, int] = {}
    for section in sections:
        if section.revoke:
            counts.update(section.revoke(user))
    with transaction.atomic(), disable_auditlog():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if is_deleted_account(locked):  # another request finished it meanwhile
            raise PrivacyRefused("This account has already been deleted.")
        for section in sections:
            if section.erase:
                counts.update(section.erase(locked))
        counts.update(_user_anonymise(locked))
        stub = User.objects.get(pk=user.pk)
        record(
            stub, event="account deleted", action=DELETE,
            changes={"is_active": (True, False), "personal data": ("held", "erased")},
            actor=stub if by == "self" else actor,
            extra={"by": by, "note": note[:500], **counts},
        )
    return AccountDeletion(user_id=user.pk, by=by, counts=counts)


def _user_anonymise(user: User) -> dict[str, int]:
    """The user row becomes a stub that identifies nobody and can do nothing. Kept: the id
    (rows that count, like shares and points, point at it), the team (the team's past
    numbers) and the dates that only feed adoption statistics. An UPDATE, not ``save()``:
    no signal copies the old values anywhere."""
    email = user.email
    User.objects.filter(pk=user.pk).update(
        email=f"deleted-user-{user.pk}@{DELETED_EMAIL_DOMAIN}",
        full_name="", job_title="", location="", timezone="UTC", language="en",
        notification_preference=NotificationPreference.NONE, leaderboard_opt_out=True,
        is_active=False, is_staff=False, is_superuser=False, last_login=None,
        password=make_password(None),  # unusable; also ends every session the person had
        invitation_nonce=secrets.token_urlsafe(12),  # old invitation links stop working
    )
    user.groups.clear()
    user.user_permissions.clear()
    return {"login records deleted": _login_records_delete(email)}


def _login_records_delete(email: str) -> int:
    """django-axes keeps login attempts and logins (the email and an IP address)."""
    return sum(
        model.objects.filter(username__iexact=email).delete()[0]
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
