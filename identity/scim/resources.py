"""People and teams as SCIM resources (what Chorus answers with), and the queries that say
which of them exist for SCIM.

A person exists for SCIM unless they are a superuser (break-glass accounts stay in Chorus's
hands), their account was deleted (anonymised), or the provider deleted them
(``ProvisionedUser.deprovisioned_at``). A team exists unless the provider deleted it.
"""

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from scim2_models import Email, EnterpriseUser, GroupMember, GroupMembership, Meta, Name

from accounts.models import Team, User
from accounts.services.privacy import DELETED_EMAIL_DOMAIN
from identity.models import ProvisionedTeam, ProvisionedUser
from identity.scim.schema import GroupResource, UserResource


def scim_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_superuser=False)
        .exclude(is_active=False, email__startswith="deleted-user-", email__endswith=f"@{DELETED_EMAIL_DOMAIN}")
        .exclude(provisioned__deprovisioned_at__isnull=False)
    )


def scim_teams() -> QuerySet[Team]:
    return Team.objects.exclude(provisioned__deprovisioned_at__isnull=False)


def user_location(user_id: int) -> str:
    return settings.SITE_URL + reverse("scim_user", args=[user_id])


def group_location(team_id: int) -> str:
    return settings.SITE_URL + reverse("scim_group", args=[team_id])


def provisioned_user(user: User) -> ProvisionedUser | None:
    try:
        return user.provisioned
    except ProvisionedUser.DoesNotExist:
        return None


def provisioned_team(team: Team) -> ProvisionedTeam | None:
    try:
        return team.provisioned
    except ProvisionedTeam.DoesNotExist:
        return None


def user_resource(user: User) -> UserResource:
    """``user`` as SCIM sees them (``team`` and ``provisioned`` are best selected with them).

    A person the provider has never written to has no name parts yet: their Chorus name is
    shown as ``displayName`` and ``name.formatted``."""
    link = provisioned_user(user)
    if link is not None:
        name = Name(formatted=link.formatted_name or None, given_name=link.given_name or None,
                    family_name=link.family_name or None)
        display_name = link.display_name or None
        modified = max(link.updated_at, user.date_joined)
    else:
        name = Name(formatted=user.full_name or None)
        display_name = user.full_name or None
        modified = user.date_joined
    team = user.team if user.team_id else None
    team_visible = team is not None and (provisioned_team(team) is None or team.provisioned.deprovisioned_at is None)
    resource = UserResource(
        id=str(user.pk),
        external_id=(link.external_id or None) if link else None,
        user_name=user.email,
        name=name if name.model_dump(exclude_none=True) else None,
        display_name=display_name,
        title=user.job_title or None,
        active=user.is_active,
        emails=[Email(value=user.email, type="work", primary=True)],
        groups=[GroupMembership(value=str(team.pk), ref=group_location(team.pk), display=team.name)]
        if team_visible else None,
        meta=Meta(resource_type="User", created=user.date_joined, last_modified=modified,
                  location=user_location(user.pk)),
    )
    if team is not None:
        resource[EnterpriseUser] = EnterpriseUser(department=team.name)
    return resource


def group_resource(team: Team, *, member_ids: list[int] | None = None) -> GroupResource:
    """``team`` as a SCIM group; ``member_ids`` when already known (else one query)."""
    link = provisioned_team(team)
    if member_ids is None:
        member_ids = list(scim_users().filter(team=team).order_by("pk").values_list("pk", flat=True))
    modified = max(link.updated_at, team.created_at) if link else team.created_at
    return GroupResource(
        id=str(team.pk),
        external_id=(link.external_id or None) if link else None,
        display_name=team.name,
        members=[GroupMember(value=str(pk), ref=user_location(pk)) for pk in member_ids] or None,
        meta=Meta(resource_type="Group", created=team.created_at, last_modified=modified,
                  location=group_location(team.pk)),
    )
