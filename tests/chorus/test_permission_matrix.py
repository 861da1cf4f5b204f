"""The permission matrix: every URL of the URLconf × every role × GET and POST.

The expected answers are the rules in ``permission_rules``; a URL without a rule (or a
rule whose URL is gone) fails ``test_every_url_has_a_rule``. The roles are anonymous,
advocate A (who owns the shares, notification and connection in the URLs), advocate B
(requesting A's objects: a 404, and nothing of A's changes), Curator, Approver and Admin
(advocates too, but not A: A's objects are a 404 for them as well). Every refusal is also
checked to have written nothing to the database; no request may end in a 500.

One dataset per module (per xdist worker), built inside a transaction that is rolled
back at the end; each case runs in a savepoint of it.
"""

import re
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.roles import ADMIN as ADMIN_ROLE
from accounts.roles import ADVOCATE as ADVOCATE_ROLE
from accounts.services.invitations import invitation_token
from advocacy.models import ProgrammeSettings, Share, SocialAccount
from analytics.models import (
    ApiUsage,
    EmvRate,
    EnrolmentSnapshot,
    MetricsDenial,
    PointsEntry,
    PointsRule,
    ShareMetrics,
)
from content.models import ComplianceSettings, ContentItem, ContentRevision, ContentSuggestion, FeedSource
from identity.models import SsoSettings
from identity.scim.tokens import scim_token_create
from notifications.emails import share_link_token, unsubscribe_token
from notifications.models import (
    ContentFanout,
    EmailDelivery,
    Notification,
    SlackAnnouncement,
    TeamSlackWebhook,
)
from tests.chorus.permission_rules import (
    ADMIN,
    ADMIN_MODELS,
    ADMIN_SITE,
    ADVOCATE,
    ANONYMOUS,
    APPROVER,
    CURATOR,
    CUSTOM_URL_MODELS,
    DENIED,
    METHODS,
    OK,
    OTHER,
    PORTAL,
    PREVIEW,
    ROLES,
    STAFF,
    Outcome,
    Rule,
    admin_model_rules,
    expected,
)
from tests.factories import (
    CampaignFactory,
    ContentItemFactory,
    SocialAccountFactory,
    TopicFactory,
    UserFactory,
    approver,
    curator,
    published_item,
)

# --- the URLconf ---------------------------------------------------------------------


def walk_urlconf() -> list[SimpleNamespace]:
    """Every endpoint: its full pattern (``"admin/accounts/user/<path:object_id>/"``) and name."""
    found = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                found.append(SimpleNamespace(pattern=prefix + str(entry.pattern), name=name))

    walk(get_resolver(), "", "")
    return found


def admin_labels() -> list[str]:
    return [f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry]


ROUTES = walk_urlconf()
RULES: dict[str, Rule] = {**PORTAL, **ADMIN_SITE, **admin_model_rules(admin_labels())}


def rule_key(route: SimpleNamespace) -> str | None:
    """The RULES key of ``route``: its pattern, else its URL name."""
    for key in (route.pattern, route.name):
        if key in RULES:
            return key
    return None


def test_every_url_has_a_rule():
    routes = {f"{r.pattern}  (name={r.name})" for r in ROUTES if rule_key(r) is None}
    assert not routes, (
        "URLs without a permission rule — add one to tests/chorus/permission_rules.py:\n  "
        + "\n  ".join(sorted(routes))
    )
    used = {rule_key(r) for r in ROUTES}
    stale = sorted(set(RULES) - used)
    assert not stale, f"Rules for URLs that no longer exist — remove them: {stale}"
    assert len(used) == len(ROUTES), "two routes share a rule key"


def test_every_model_admin_is_described():
    missing = sorted(set(admin_labels()) - set(ADMIN_MODELS) - CUSTOM_URL_MODELS)
    assert not missing, f"ModelAdmins without an entry in permission_rules.ADMIN_MODELS: {missing}"


CASES = [
    pytest.param(key, role, method, id=f"{method} /{route.pattern} as {role}")
    for route in ROUTES
    if (key := rule_key(route)) is not None
    for method in METHODS
    for role in ROLES
]
ROUTE_BY_KEY = {rule_key(r): r for r in ROUTES}


# --- the world -----------------------------------------------------------------------


def _outbox(folder: Path) -> str:
    message = EmailMultiAlternatives("Your weekly digest", "Three new items.", "chorus@example.com",
                                     ["ann@example.com"])
    message.attach_alternative("<p>Three new items.</p>", "text/html")
    name = "20250101-120000-1.log"
    (folder / name).write_bytes(message.message().as_bytes() + b"\n" + b"-" * 79 + b"\n")
    return f"{name}:0"


def _axes_objects(now) -> dict:
    seen = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "x@example.com", "http_accept": "*/*",
            "path_info": "/accounts/login/", "attempt_time": now}
    return {
        "axes.accessattempt": AccessAttempt.objects.create(**seen, get_data="", post_data="",
                                                           failures_since_start=1),
        "axes.accesslog": AccessLog.objects.create(**seen),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**seen),
    }


def _webhook_objects(w: SimpleNamespace, team) -> dict:
    """A Teams channel with an announcement, a webhook endpoint with a delivery."""
    from notifications.models import TeamsAnnouncement, TeamsWebhook
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    teams = TeamsWebhook.objects.create(team=team, url="https://prod-1.westus.logic.azure.com/workflows/x?sig=y")
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/chorus", events=["share.posted"],
                                              secret="whsec_dGVzdA==")
    event = WebhookEvent.objects.create(type="share.posted", body="{}")
    return {
        "notifications.teamswebhook": teams,
        "notifications.teamsannouncement": TeamsAnnouncement.objects.create(webhook=teams, item=w.item),
        "webhooks.webhookendpoint": endpoint,
        "webhooks.webhookdelivery": WebhookDelivery.objects.create(endpoint=endpoint, event=event),
    }


class AdminObjects(dict):
    """One object per model admin, for the object pages' URLs."""

    def __missing__(self, label: str):
        raise LookupError(f"No {label} object for its admin pages: add one to admin_objects in _build().")


def _build(outbox_dir: Path) -> SimpleNamespace:
    now = timezone.now()
    today = now.date()
    w = SimpleNamespace()
    w.advocate = UserFactory(full_name="Ann Advocate", email=PREVIEW["email"])
    w.other = UserFactory(full_name="Bob Other")
    users = {
        ADVOCATE: w.advocate, OTHER: w.other, CURATOR: curator(), APPROVER: approver(),
        ADMIN: UserFactory(roles=[ADMIN_ROLE, ADVOCATE_ROLE]),
    }
    w.a_account = SocialAccountFactory(user=w.advocate)  # only A is connected
    w.item = published_item(title="Published")
    w.draft = ContentItemFactory(title="Draft")

    def share(status: str, **extra) -> Share:
        return Share.objects.create(user=w.advocate, item=w.item, network="linkedin", account=w.a_account,
                                    text="t", final_text="t", idempotency_key=status, status=status, **extra)

    w.a_failed, w.a_unconfirmed = share("failed"), share("unconfirmed")
    w.a_scheduled = share("scheduled", scheduled_for=now + timedelta(days=1))
    w.a_posted = share("posted", remote_id="urn:li:share:1", posted_at=now)
    w.a_notification = Notification.objects.create(user=w.advocate, kind="system", title="Hello", url="/shares/")
    delivery = EmailDelivery.objects.create(user=w.advocate, kind="alert", period="p1", claim_token="c",
                                            claimed_at=now, to_email=w.advocate.email, status="sent")
    w.share_token = share_link_token(user_id=w.advocate.pk, item_id=w.item.pk)
    w.unsubscribe_token = unsubscribe_token(delivery.pk)
    w.invitee = UserFactory(roles=[], advocate_opted_in_at=None, invited_at=now)
    w.invitation_token = invitation_token(w.invitee)
    w.reset_kwargs = {"uidb64": urlsafe_base64_encode(force_bytes(w.advocate.pk)),
                      "token": default_token_generator.make_token(w.advocate)}
    w.view_on_site_kwargs = {"content_type_id": ContentType.objects.get_for_model(ContentItem).pk,
                             "object_id": w.item.pk}
    w.outbox_key = _outbox(outbox_dir)
    w.outbox_settings = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                         "EMAIL_FILE_PATH": str(outbox_dir)}
    team = w.advocate.team
    webhook = TeamSlackWebhook.objects.create(team=team, url="https://hooks.slack.com/services/T0/B0/abc")
    w.admin_objects = AdminObjects({
        # An entry about content: Approvers read those (core.audit_admin), Admins all.
        "auditlog.logentry": LogEntry.objects.filter(content_type__app_label="content").first(),
        "accounts.team": team,
        "accounts.user": w.advocate,
        "auth.group": Group.objects.get(name=ADVOCATE_ROLE),
        "content.campaign": CampaignFactory(),
        "content.topic": TopicFactory(),
        "content.contentitem": w.draft,
        "content.feedsource": FeedSource.objects.create(name="Blog", url="https://blog.example.com/feed.xml"),
        "content.contentsuggestion": ContentSuggestion.objects.create(suggested_by=w.advocate,
                                                                      url="https://example.com/tip"),
        "content.compliancesettings": ComplianceSettings.load(),
        "advocacy.socialaccount": w.a_account,
        "advocacy.share": w.a_posted,
        "advocacy.programmesettings": ProgrammeSettings.load(),
        "analytics.emvrate": EmvRate.objects.first() or EmvRate.objects.create(
            network="linkedin", effective_from=today, cpc=1, cpm=10),
        "analytics.pointsrule": PointsRule.objects.first() or PointsRule.objects.create(kind="share", points=10),
        "analytics.pointsentry": PointsEntry.objects.create(user=w.advocate, kind="share", event_key="e1", day=today,
                                                            unit_points=10, points=10),
        "analytics.apiusage": ApiUsage.objects.create(day=today, network="x"),
        "analytics.sharemetrics": ShareMetrics.objects.create(share=w.a_posted, posted_day=today),
        "analytics.enrolmentsnapshot": EnrolmentSnapshot.objects.create(day=today, team=team),
        "analytics.metricsdenial": MetricsDenial.objects.create(account=w.a_account, metrics="impressions",
                                                                denied_at=now),
        "notifications.emaildelivery": delivery,
        "notifications.teamslackwebhook": webhook,
        "notifications.contentfanout": ContentFanout.objects.create(item=w.item),
        "notifications.slackannouncement": SlackAnnouncement.objects.create(webhook=webhook, item=w.item),
        "notifications.notification": w.a_notification,
        **_webhook_objects(w, team),
        "identity.ssosettings": SsoSettings.load(),
        "identity.scimtoken": scim_token_create(name="matrix").token,
        **_axes_objects(now),
    })
    assert all(w.admin_objects.values()), w.admin_objects
    w.revision = ContentRevision.objects.create(item=w.item, data={"title": "Better"}, before={"title": "Published"},
                                                proposed_by=users[CURATOR])
    w.sessions, w.perms = {}, {ANONYMOUS: set()}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        w.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        w.perms[role] = User.objects.get(pk=user.pk).get_all_permissions()
    w.users = users
    return w


def a_state(w: SimpleNamespace) -> tuple:
    """Advocate A's objects (and the invitee): what no one else's request may change."""
    a = w.advocate
    return (
        list(Share.objects.filter(user=a).order_by("pk").values_list("pk", "status", "attempts", "updated_at")),
        list(Notification.objects.filter(user=a).order_by("pk").values_list("pk", "read_at")),
        list(SocialAccount.objects.filter(user=a).values_list("pk", "status", "audience_size", "access_token")),
        list(EmailDelivery.objects.filter(user=a).values_list("pk", "unsubscribed_at")),
        list(ContentSuggestion.objects.filter(suggested_by=a).values_list("pk", "status")),
        list(User.objects.filter(pk__in=[a.pk, w.invitee.pk]).order_by("pk").values_list(
            "pk", "password", "is_active", "notification_preference", "advocate_opted_in_at",
            "invitation_accepted_at")),
    )


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The dataset, built once in a transaction rolled back after the module; each case
    (``django_db``) runs in a savepoint of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build(tmp_path_factory.mktemp("outbox"))
        transaction.set_rollback(True)


class WriteSpy:
    """Records the SQL statements that write (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            self.writes.append(sql)
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_roles_are_what_the_matrix_assumes(world):
    """Advocates hold no permission and are not staff; the three staff roles are staff."""
    for role, user in world.users.items():
        assert user.is_staff == (role in STAFF), role
    assert world.perms[ADVOCATE] == world.perms[OTHER] == set()
    assert world.perms[CURATOR] < world.perms[APPROVER] < world.perms[ADMIN]


# --- the matrix ----------------------------------------------------------------------


def _url(route: SimpleNamespace, rule: Rule, w: SimpleNamespace) -> str:
    if rule.url:
        path = rule.url(w)
    else:
        kwargs = rule.kwargs(w) if rule.kwargs else {}
        if route.name:
            path = reverse(route.name, kwargs=kwargs)
        else:
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.pattern)
    return f"{path}?{urlencode(rule.query)}" if rule.query else path


def _where(spec: str) -> str:
    """A Location spec as a path: "admin:login?next=" → "/admin/login/?next="."""
    name, mark, rest = spec.partition("?")
    return (name if name.startswith("/") else reverse(name)) + mark + rest


LOGIN_PAGES = ("login", "admin:login")


def check(response, outcome: Outcome) -> str | None:
    """Why ``response`` is not ``outcome`` (None when it is)."""
    status = response.status_code
    location = response.get("Location", "")
    if status not in outcome.statuses:
        return f"status {status}" + (f" → {location}" if location else "")
    if outcome.location:
        want = _where(outcome.location)
        if location != want if outcome.exact else not location.startswith(want):
            return f"redirect to {location!r}, not {want!r}"
    elif outcome == OK and 300 <= status < 400:
        if any(location.startswith(reverse(page) + "?") for page in LOGIN_PAGES):
            return f"redirect to a login page: {location}"
        if location == reverse("admin:index"):
            return "the admin's redirect for an object that does not exist (or is hidden from this role)"
    return None


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role", "method"), CASES)
def test_access(world, key, role, method):
    route, rule = ROUTE_BY_KEY[key], RULES[key]
    url = _url(route, rule, world)
    client = Client()
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    outcome = expected(rule, role, method, world.perms[role])
    # B, with A's objects in the path, changes nothing of A's (a token, though, is its holder's).
    before = a_state(world) if role == OTHER and not rule.bearer else None
    spy = WriteSpy()

    with override_settings(**rule.settings(world)) if rule.settings else nullcontext(), \
            connection.execute_wrapper(spy):
        response = client.get(url) if method == "GET" else client.post(url)
        if response.streaming and outcome == OK:
            b"".join(response.streaming_content)  # an error half-way through is a failure too

    where = f"{method} {url} as {role}"
    assert response.status_code < 500 or response.status_code in outcome.statuses, (
        f"{where}: server error {response.status_code}")
    problem = check(response, outcome)
    assert problem is None, f"{where}: expected {outcome}, got {problem}"
    if outcome in DENIED:
        assert not spy.writes, f"{where} was refused ({outcome}) but wrote: {spy.writes}"
    if before is not None:
        assert a_state(world) == before, f"{where} changed advocate A's data"
