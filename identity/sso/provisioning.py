"""Who single sign-on lets in, and the account it signs them in to.

Both protocols turn what the identity provider vouched for into an :class:`SsoIdentity`
and call :func:`sso_user_sign_in`, which matches an existing person by (verified) email,
creates one just in time if allowed, and applies the admin's mapping of claims to team,
location and roles. Every refusal is an :class:`SsoRefused` with a message for the person.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.http import HttpRequest

from accounts.lockout import LOCKED_OUT_MESSAGE, login_allowed
from accounts.models import Team, User
from accounts.roles import ADVOCATE, ROLES
from accounts.services.users import user_opt_in, user_set_roles
from accounts.signals import person_joined
from identity.models import MappingSource, SsoMappingRule, SsoSettings
from identity.sso.errors import SsoRefused

logger = logging.getLogger(__name__)


class SignInOnly:
    """For the single sign-on backends (ModelBackend subclasses, as Django expects of a backend
    that signs people in): they sign in and ``get_user``; permissions stay ModelBackend's
    alone, so no permission is looked up three times."""

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return False

    def has_module_perms(self, user_obj, app_label) -> bool:
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        return User.objects.none()


@dataclass(frozen=True)
class SsoIdentity:
    """What the identity provider vouched for, already verified (signature, audience, time)."""

    protocol: str  # "oidc" or "saml"
    email: str
    email_verified: bool = True
    full_name: str = ""
    groups: tuple[str, ...] = ()
    team: str = ""
    location: str = ""
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Mapped:
    team: Team | None
    roles: frozenset[str]  # the roles the rules give this person
    governed: frozenset[str]  # every role some rule maps to (the ones SSO may take away)


def as_list(value: object) -> list[str]:
    """A claim or attribute that may be a string, a list, or missing."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


def map_identity(identity: SsoIdentity, config: SsoSettings) -> Mapped:
    rules = list(SsoMappingRule.objects.filter(settings=config).select_related("team"))
    groups = {g.casefold() for g in identity.groups}
    team_value = identity.team.casefold()

    def matches(rule: SsoMappingRule) -> bool:
        wanted = rule.value.strip().casefold()
        return wanted in groups if rule.source == MappingSource.GROUP else bool(team_value) and wanted == team_value

    matched = [rule for rule in rules if matches(rule)]
    # A team claim's own rule beats a group's; rules are in their admin order otherwise.
    team_rules = sorted((r for r in matched if r.team_id), key=lambda r: r.source != MappingSource.TEAM)
    team = team_rules[0].team if team_rules else None
    if team is None and identity.team and config.match_team_names:
        team = Team.objects.filter(name__iexact=identity.team.strip()).first()
    return Mapped(
        team=team,
        roles=frozenset(r.role for r in matched if r.role in ROLES),
        governed=frozenset(r.role for r in rules if r.role in ROLES),
    )


def _check_identity(identity: SsoIdentity, config: SsoSettings) -> str:
    email = identity.email.strip().lower()
    if not email or "@" not in email:
        raise SsoRefused(
            "Your identity provider did not send an email address, so Chorus cannot tell who you are. "
            "Ask your IT team to release the email claim (or attribute) to Chorus."
        )
    if not identity.email_verified:
        raise SsoRefused(
            "Your identity provider did not confirm that your email address is verified, so Chorus "
            "cannot sign you in with it."
        )
    domains = config.email_domains
    if domains and email.rsplit("@", 1)[1] not in domains:
        raise SsoRefused(f"Accounts of {email.rsplit('@', 1)[1]} cannot sign in to this Chorus.")
    return email


def _apply(user: User, identity: SsoIdentity, mapped: Mapped, *, created: bool) -> None:
    changed = []
    if identity.full_name and user.full_name != identity.full_name[:200]:
        user.full_name = identity.full_name[:200]
        changed.append("full_name")
    if identity.location and user.location != identity.location[:120]:
        user.location = identity.location[:120]
        changed.append("location")
    if mapped.team is not None and user.team_id != mapped.team.pk:
        user.team = mapped.team
        changed.append("team")
    if changed:
        user.save(update_fields=changed)
    if user.is_superuser:
        return  # a superuser's roles are changed by hand only
    current = set(user.groups.values_list("name", flat=True))
    wanted = (current - mapped.governed) | mapped.roles
    if created:
        wanted.add(ADVOCATE)
    if wanted != current:
        user_set_roles(user=user, roles=wanted)


def sso_user_sign_in(*, request: HttpRequest, identity: SsoIdentity, config: SsoSettings | None = None) -> User:
    """The person to sign in for ``identity`` (not yet logged in: the caller does that).

    Raises :class:`SsoRefused` for: no or unverified email, a domain not allowed, an account
    locked out by failed logins, a deactivated account, or no account when just-in-time
    creation is off. ``person_joined(how="sso")`` is sent after the commit for a new person.
    """
    config = config or SsoSettings.current()
    email = _check_identity(identity, config)
    if not login_allowed(request, username=email):
        raise SsoRefused(LOCKED_OUT_MESSAGE)
    mapped = map_identity(identity, config)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None:
            if not user.is_active:
                raise SsoRefused(
                    "Your Chorus account is deactivated. If you think this is a mistake, ask your Chorus administrator."
                )
            if config.update_on_sign_in:
                _apply(user, identity, mapped, created=False)
            return user
        if not config.create_users:
            raise SsoRefused(
                f"There is no Chorus account for {email}. Ask your Chorus administrator to invite you."
            )
        user = User.objects.create_user(email=email, full_name=identity.full_name[:200])
        _apply(user, identity, mapped, created=True)
        user_opt_in(user=user)
        transaction.on_commit(partial(person_joined.send, sender=User, user=user, how="sso"))
        logger.info("sso: created %s through %s", user.email, identity.protocol)
        return user
