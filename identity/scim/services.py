"""The writes SCIM makes: people and teams created, replaced, patched and deleted.

Each runs in one transaction and either does everything or nothing: a bad value is a
``SCIMException`` (a 400 with its ``scimType``, a 409 ``uniqueness``) raised before anything
is saved, or inside the transaction, which then rolls back.

Choices (the README's "Provisioning with SCIM" says them to the admins):

- **Creating** a person makes a usable account: the Advocate role (they opt in to advocacy
  themselves), a random password nobody knows (they sign in by single sign-on, or set one
  with "Forgot password"), their team from ``department``. ``accounts.signals.person_joined``
  (``how="scim"``) is sent after the commit when the account is active. Creating someone
  the provider had deleted takes their old account back (reactivated).
- **active=false** deactivates through ``user_deactivate(source="scim")``: their sessions and
  API tokens stop working, their pending shares are cancelled and their LinkedIn and X
  connections revoked, at once. ``active=true`` reactivates.
- **DELETE** of a person deactivates them the same way and detaches them from SCIM (a 404
  afterwards); the account is not anonymised: an Admin does that with "Delete account
  (leaver)", so that a provider's mistake cannot erase anyone's data.
- **department** names the person's team, matched case-insensitively; a team that does not
  exist is created (unless ``SCIM_DEPARTMENT_CREATES_TEAM`` is off, when the team is left as
  it is). A PUT without the enterprise extension's ``department`` leaves the team alone
  (RFC 7644 §3.5.1 lets a server read an omitted attribute as "not asserted"): teams may
  come from groups instead.
- **Groups are teams**. A person is in one team at a time, so adding them to a group moves
  them out of their previous team. DELETE of a group keeps the team (items are targeted at
  it and past numbers count it), empties it and detaches it from SCIM.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from scim2_models import (
    EnterpriseUser,
    InvalidValueException,
    MutabilityException,
    NotFoundException,
    PatchOp,
    UniquenessException,
)

from accounts.models import Team, User
from accounts.roles import ADVOCATE
from accounts.services.privacy import is_deleted_account
from accounts.services.users import user_deactivate, user_reactivate, user_set_roles
from accounts.signals import person_joined
from core.audit import CREATE, UPDATE, entry, record, record_many
from identity.models import ProvisionedTeam, ProvisionedUser, ScimToken
from identity.scim.resources import (
    group_resource,
    provisioned_team,
    provisioned_user,
    scim_teams,
    scim_users,
    user_resource,
)
from identity.scim.schema import POLICY, GroupResource, UserResource

UNCHANGED: Any = object()  # a team the request does not assert


@dataclass(frozen=True)
class UserFields:
    """What Chorus keeps of a User resource, checked."""

    email: str
    given_name: str
    family_name: str
    formatted_name: str
    display_name: str
    title: str
    external_id: str
    active: bool | None  # None: not asserted
    department: Any  # str ("" = no team), or UNCHANGED

    @property
    def full_name(self) -> str:
        return (self.display_name or self.formatted_name
                or " ".join(p for p in (self.given_name, self.family_name) if p))[:200]


def _text(value: Any, attribute: str, limit: int) -> str:
    text = (value or "").strip() if isinstance(value, str | type(None)) else str(value).strip()
    if len(text) > limit:
        raise InvalidValueException(detail=f"{attribute} is longer than {limit} characters.")
    return text


def _email(value: Any) -> str:
    email = _text(value, "userName", 254)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidValueException(
            detail="userName must be the person's email address (it is how they sign in to Chorus)."
        ) from None
    return User.objects.normalize_email(email).lower()


def user_fields(resource: UserResource, *, department: Any = UNCHANGED) -> UserFields:
    name = resource.name
    return UserFields(
        email=_email(resource.user_name),
        given_name=_text(name.given_name if name else None, "name.givenName", 200),
        family_name=_text(name.family_name if name else None, "name.familyName", 200),
        formatted_name=_text(name.formatted if name else None, "name.formatted", 200),
        display_name=_text(resource.display_name, "displayName", 200),
        title=_text(resource.title, "title", 200),
        external_id=_text(resource.external_id, "externalId", 255),
        active=resource.active,
        department=department if department is UNCHANGED else _text(department, "department", 120),
    )


def _asserted_department(resource: UserResource) -> Any:
    """The department a create or replace request asserts (UNCHANGED if it says nothing)."""
    extension = resource[EnterpriseUser]
    if extension is None or "department" not in extension.model_fields_set:
        return UNCHANGED
    return extension.department or ""


def _audit(token: ScimToken | None) -> dict[str, str]:
    return {"source": "scim", "scim_token": token.name if token else ""}


# --- teams ------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:130] or "team"
    slug, n = base, 2
    while Team.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _team_create(name: str) -> Team:
    try:
        with transaction.atomic():
            return Team.objects.create(name=name, slug=_unique_slug(name))
    except IntegrityError:  # made at the same moment by another request
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            raise
        return team


def _team_for_department(department: str) -> Team | None | Any:
    if not department:
        return None
    team = Team.objects.filter(name__iexact=department).first()
    if team is not None:
        return team
    if not settings.SCIM_DEPARTMENT_CREATES_TEAM:
        return UNCHANGED
    return _team_create(department)


# --- people -----------------------------------------------------------------------------


def _check_email_free(email: str, *, user: User | None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise UniquenessException(detail=f"userName {email} is already taken by another person in Chorus.")


def _save_user(user: User, link: ProvisionedUser, fields: UserFields, *, token: ScimToken | None) -> None:
    """Write ``fields`` on ``user`` and their ``link`` (saves; deactivation last)."""
    _check_email_free(fields.email, user=user)
    user.email = fields.email
    user.full_name = fields.full_name
    user.job_title = fields.title
    if fields.department is not UNCHANGED:
        team = _team_for_department(fields.department)
        if team is not UNCHANGED:
            user.team = team
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "full_name", "job_title", "team"])
    except IntegrityError:
        raise UniquenessException(detail=f"userName {fields.email} is already taken.") from None
    link.external_id = fields.external_id
    link.given_name, link.family_name = fields.given_name, fields.family_name
    link.formatted_name, link.display_name = fields.formatted_name, fields.display_name
    link.save()
    if fields.active is False:
        user_deactivate(user=user, source="scim")
    elif fields.active is True:
        user_reactivate(user=user, source="scim")


def _link(user: User) -> ProvisionedUser:
    link, _ = ProvisionedUser.objects.get_or_create(user=user)
    return link


def scim_user_get(user_id: str, *, lock: bool = False) -> User:
    """The person SCIM id ``user_id`` names, or 404."""
    try:
        pk = int(user_id)
    except ValueError:
        raise NotFoundException(detail=f"No User with id {user_id}.") from None
    users = scim_users().select_related("team", "team__provisioned", "provisioned")
    if lock:
        users = scim_users().select_for_update(of=("self",))
    user = users.filter(pk=pk).first()
    if user is None:
        raise NotFoundException(detail=f"No User with id {user_id}.")
    return user


def _reloaded(user: User) -> User:
    return User.objects.select_related("team", "team__provisioned", "provisioned").get(pk=user.pk)


def scim_user_create(*, resource: UserResource, token: ScimToken | None = None) -> User:
    fields = user_fields(resource, department=_asserted_department(resource))
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=fields.email).first()
        if user is not None:
            link = provisioned_user(user)
            if link is None or link.deprovisioned_at is None or user.is_superuser or is_deleted_account(user):
                raise UniquenessException(detail=f"userName {fields.email} is already taken by a person in Chorus.")
            # The provider deleted them once and creates them again: their account comes back.
            link.deprovisioned_at = None
            _save_user(user, link, fields if fields.active is not None else _active(fields, True), token=token)
            record(user, event="provisioned again by SCIM", extra=_audit(token))
            return _reloaded(user)
        active = fields.active is not False
        user = User.objects.create_user(fields.email, password=secrets.token_urlsafe(32), is_active=active)
        user_set_roles(user=user, roles=[ADVOCATE])
        _save_user(user, ProvisionedUser(user=user), _active(fields, None), token=token)
        record(user, event="provisioned by SCIM", action=CREATE, extra=_audit(token),
               changes={"email": ("", user.email), "full_name": ("", user.full_name), "active": ("", active)})
        if active:
            transaction.on_commit(lambda: person_joined.send(sender=User, user=user, how="scim"))
    return _reloaded(user)


def _active(fields: UserFields, active: bool | None) -> UserFields:
    return UserFields(**{**fields.__dict__, "active": active})


def scim_user_replace(*, user_id: str, resource: UserResource, token: ScimToken | None = None) -> User:
    with transaction.atomic():
        user = scim_user_get(user_id, lock=True)
        resource.replace(user_resource(_reloaded(user)))  # read-only copied, immutable checked
        fields = user_fields(resource, department=_asserted_department(resource))
        _save_user(user, _link(user), fields, token=token)
    return _reloaded(user)


def _department_of(resource: UserResource) -> str:
    extension = resource[EnterpriseUser]
    return (extension.department or "") if extension else ""


def scim_user_patch(*, user_id: str, patch: PatchOp, token: ScimToken | None = None) -> User:
    with transaction.atomic():
        user = scim_user_get(user_id, lock=True)
        before = user_resource(_reloaded(user))
        resource = before.model_copy(deep=True)
        if resource.active is None:
            resource.active = user.is_active
        patch.patch(resource, scim_policy=POLICY)
        if resource.active is None:
            raise MutabilityException(detail="active cannot be removed: a person is active or not.")
        department = _department_of(resource)
        fields = user_fields(resource, department=UNCHANGED if department == _department_of(before) else department)
        if fields.active == before.active:
            fields = _active(fields, None)
        _save_user(user, _link(user), fields, token=token)
    return _reloaded(user)


def scim_user_delete(*, user_id: str, token: ScimToken | None = None) -> None:
    """Deactivate (with every side effect of ``user_deactivate``) and detach from SCIM."""
    with transaction.atomic():
        user = scim_user_get(user_id, lock=True)
        link = _link(user)
        link.deprovisioned_at = timezone.now()
        link.save(update_fields=["deprovisioned_at", "updated_at"])
        user_deactivate(user=user, source="scim")
        record(user, event="deleted by SCIM", extra=_audit(token))


# --- teams ------------------------------------------------------------------------------


def scim_group_get(team_id: str, *, lock: bool = False) -> Team:
    try:
        pk = int(team_id)
    except ValueError:
        raise NotFoundException(detail=f"No Group with id {team_id}.") from None
    teams = scim_teams().select_for_update(of=("self",)) if lock else scim_teams().select_related("provisioned")
    team = teams.filter(pk=pk).first()
    if team is None:
        raise NotFoundException(detail=f"No Group with id {team_id}.")
    return team


def _team_name(resource: GroupResource) -> str:
    name = _text(resource.display_name, "displayName", 120)
    if not name:
        raise InvalidValueException(detail="displayName is required: it is the team's name.")
    return name


def _member_ids(resource: GroupResource) -> list[int]:
    ids: list[int] = []
    for member in resource.members or []:
        try:
            ids.append(int(str(member.value)))
        except (TypeError, ValueError):
            raise InvalidValueException(detail=f"No User with id {member.value}: members are people.") from None
    found = set(scim_users().filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidValueException(detail=f"No User with id {missing[0]}: members are people.")
    return sorted(set(ids))


def _set_members(team: Team, wanted: list[int], *, token: ScimToken | None) -> None:
    current = set(scim_users().filter(team=team).values_list("pk", flat=True))
    added, removed = sorted(set(wanted) - current), sorted(current - set(wanted))
    moved = {pk: name for pk, name in User.objects.filter(pk__in=added).values_list("pk", "team__name")}
    User.objects.filter(pk__in=added).update(team=team)
    User.objects.filter(pk__in=removed, team=team).update(team=None)
    people = User.objects.in_bulk(added + removed)
    record_many(
        [entry(people[pk], event="team changed by SCIM", action=UPDATE, changes={"team": (moved[pk], team.name)},
               extra=_audit(token)) for pk in added]
        + [entry(people[pk], event="team changed by SCIM", action=UPDATE, changes={"team": (team.name, None)},
                 extra=_audit(token)) for pk in removed]
    )


def _save_team(team: Team, resource: GroupResource, *, members: list[int] | None,
               token: ScimToken | None) -> None:
    name = _team_name(resource)
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
        raise UniquenessException(detail=f"displayName {name} is already the name of another team.")
    if name != team.name:
        team.name = name
        try:
            with transaction.atomic():
                team.save(update_fields=["name"])
        except IntegrityError:
            raise UniquenessException(detail=f"displayName {name} is already taken.") from None
    link = provisioned_team(team) or ProvisionedTeam(team=team)
    link.external_id = _text(resource.external_id, "externalId", 255)
    link.deprovisioned_at = None
    link.save()
    if members is not None:
        _set_members(team, members, token=token)


def scim_group_create(*, resource: GroupResource, token: ScimToken | None = None) -> Team:
    name = _team_name(resource)
    with transaction.atomic():
        members = _member_ids(resource)
        team = Team.objects.select_for_update().filter(name__iexact=name).first()
        if team is not None:
            link = provisioned_team(team)
            if link is None or link.deprovisioned_at is None:
                raise UniquenessException(detail=f"displayName {name} is already the name of a team in Chorus.")
        else:
            team = _team_create(name)
            record(team, event="provisioned by SCIM", action=CREATE, extra=_audit(token),
                   changes={"name": ("", team.name)})
        _save_team(team, resource, members=members, token=token)
    return team


def scim_group_replace(*, team_id: str, resource: GroupResource, token: ScimToken | None = None) -> Team:
    with transaction.atomic():
        team = scim_group_get(team_id, lock=True)
        resource.replace(group_resource(team))
        _save_team(team, resource, members=_member_ids(resource), token=token)
    return team


def scim_group_patch(*, team_id: str, patch: PatchOp, token: ScimToken | None = None) -> Team:
    with transaction.atomic():
        team = scim_group_get(team_id, lock=True)
        before = group_resource(team)
        resource = before.model_copy(deep=True)
        patch.patch(resource, scim_policy=POLICY)
        members = _member_ids(resource)
        _save_team(team, resource, members=members if members != _member_ids(before) else None, token=token)
    return team


def scim_group_delete(*, team_id: str, token: ScimToken | None = None) -> None:
    """The team stays (content is targeted at it, past numbers count it); it is emptied
    and no longer exists for SCIM."""
    with transaction.atomic():
        team = scim_group_get(team_id, lock=True)
        _set_members(team, [], token=token)
        link = provisioned_team(team) or ProvisionedTeam(team=team)
        link.deprovisioned_at = timezone.now()
        link.save()
        record(team, event="deleted by SCIM (team kept, emptied)", extra=_audit(token))
