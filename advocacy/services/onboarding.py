"""Onboarding: the social media policy (versioned, accepted per version), the topics an
employee follows, and the welcome steps a new employee goes through.

The policy text lives in ``ProgrammeSettings.social_media_policy``; each change of it is
published as a new ``PolicyVersion`` (:func:`policy_publish`). Employees accept the
current version once (:func:`policy_accept`); a newer version is asked for again at their
next page view (``advocacy.middleware.PolicyMiddleware``). Acceptances are never edited:
who accepted which wording, and when, stays on record (and in the audit log).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from advocacy.models import Onboarding, PolicyAcceptance, PolicyVersion, TopicFollow
from content.models import Topic
from core import audit
from core.compiled import CompiledQuery

# The session remembers the version its user accepted: no query for it on every page.
POLICY_SESSION_KEY = "chorus.policy_accepted"
# Set at a first single sign-on: the next portal page opens the welcome steps instead.
WELCOME_SESSION_KEY = "chorus.welcome"


def policy_current() -> PolicyVersion | None:
    """The version in force, or None when there is no policy (none yet, or emptied)."""
    found = _LATEST_POLICY.rows({})
    return found[0] if found and found[0].text.strip() else None


# Asked on every portal page (advocacy.middleware.PolicyMiddleware): compiled once per process.
_LATEST_POLICY = CompiledQuery(lambda shape, values: PolicyVersion.objects.order_by("-number")[:1],
                               PolicyVersion._meta.get_field)


@transaction.atomic
def policy_publish(*, text: str, actor: User | None) -> PolicyVersion | None:
    """Make ``text`` the policy: a new version if it differs from the latest one (an emptied
    text is a version too: "no policy from now on"). Returns the new version, or None if
    nothing changed."""
    text = (text or "").replace("\r\n", "\n").strip()
    latest = PolicyVersion.objects.select_for_update().order_by("-number").first()
    if (latest.text if latest else "") == text:
        return None
    number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(number=number, text=text, created_by=actor)
    audit.record(version, event="social media policy changed", action=audit.CREATE, actor=actor,
                 changes={"version": ["", number]})
    return version


def policy_accepted(user: User, version: PolicyVersion) -> bool:
    return PolicyAcceptance.objects.filter(user=user, version=version).exists()


def policy_to_accept(user: User, *, session: SessionBase | None = None) -> PolicyVersion | None:
    """The version ``user`` must accept before using the portal, or None. One query when
    the session already knows (the current version's id), two otherwise."""
    version = policy_current()
    if version is None or not policy_id_to_accept(user, version.pk, session=session):
        return None
    return version


def policy_id_to_accept(user: User, current_id: int | None, *, session: SessionBase | None = None) -> bool:
    """Whether ``user`` must accept the version ``current_id`` (in force, read by the caller:
    the portal feed reads it with its own query) first. No query when the session knows."""
    if current_id is None:
        return False
    if session is not None and session.get(POLICY_SESSION_KEY) == current_id:
        return False
    if PolicyAcceptance.objects.filter(user=user, version_id=current_id).exists():
        if session is not None:
            session[POLICY_SESSION_KEY] = current_id
        return False
    return True


def policy_accept(*, user: User, version: PolicyVersion, session: SessionBase | None = None) -> PolicyAcceptance:
    """Record that ``user`` accepted ``version`` now (once: accepting again returns the first record)."""
    try:
        with transaction.atomic():
            acceptance = PolicyAcceptance.objects.create(user=user, version=version, accepted_at=timezone.now())
    except IntegrityError:
        acceptance = PolicyAcceptance.objects.get(user=user, version=version)
    else:
        audit.record(user, event="social media policy accepted", actor=user,
                     extra={"version": version.number, "accepted_at": acceptance.accepted_at.isoformat()})
    if session is not None:
        session[POLICY_SESSION_KEY] = version.pk
    return acceptance


def policy_acceptance_counts(version: PolicyVersion) -> tuple[int, int]:
    """(advocates who accepted ``version``, advocates) — for the admin."""
    advocates = User.objects.filter(is_active=True, advocate_opted_in_at__isnull=False)
    accepted = advocates.filter(policy_acceptances__version=version).count()
    return accepted, advocates.count()


# --- topics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicChoice:
    topic: Topic
    followed: bool
    required: bool


def topic_choices(user: User) -> list[TopicChoice]:
    """Every topic, with whether ``user`` follows it (required topics: always). Two queries."""
    followed = set(TopicFollow.objects.filter(user=user).values_list("topic_id", flat=True))
    return [
        TopicChoice(topic=t, followed=t.required or t.pk in followed, required=t.required)
        for t in Topic.objects.order_by("-required", "name")
    ]


@transaction.atomic
def topics_follow_set(*, user: User, topic_ids: Iterable[int]) -> set[int]:
    """Make ``user`` follow exactly ``topic_ids`` (unknown ids are ignored; required topics
    are followed whatever is chosen, without a row). Returns the ids now followed by choice."""
    wanted = set(Topic.objects.filter(pk__in=set(topic_ids), required=False).values_list("pk", flat=True))
    TopicFollow.objects.filter(user=user).exclude(topic_id__in=wanted).delete()
    TopicFollow.objects.bulk_create([TopicFollow(user=user, topic_id=pk) for pk in sorted(wanted)],
                                    ignore_conflicts=True)
    return wanted


def followed_topic_ids(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """The topics each user follows by choice (required ones are not listed): one query."""
    out: dict[int, set[int]] = {}
    for user_id, topic_id in TopicFollow.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "topic_id"):
        out.setdefault(user_id, set()).add(topic_id)
    return out


# --- the welcome steps ----------------------------------------------------------------------


def onboarding_start(*, user: User) -> Onboarding:
    onboarding, _ = Onboarding.objects.get_or_create(user=user)
    return onboarding


def onboarding_finish(*, user: User) -> None:
    Onboarding.objects.update_or_create(user=user, defaults={"finished_at": timezone.now()})


def onboarding_needed_at_first_sign_in(user: User) -> bool:
    """Someone signing in for the first time through single sign-on (no welcome steps yet;
    people who were here before onboarding existed have a finished record from the migration)."""
    return not Onboarding.objects.filter(user=user).exists()
