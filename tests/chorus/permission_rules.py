"""Who may open which URL of Chorus: one rule per route of the URLconf.

``test_permission_matrix`` requests every route as every role, with GET and POST, and
compares the answer with the rule here; a route without a rule fails the test. To add
one, copy the nearest rule:

    "things/<int:thing_id>/archive/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True,
                                           kwargs=lambda w: {"thing_id": w.a_thing.pk}),

(``w`` is the test's dataset, built in ``test_permission_matrix._build``: add the object
there.)

A request passes, in order: the **gate** (who may reach the view at all: ``PUBLIC``,
``LOGIN``, ``API``, ``ADMIN`` = the admin's staff check), the **method** (``NOT_ALLOWED``
for one the view refuses), the **permission** (``Perm``: a model permission the role's
groups must hold, as synced from ``accounts.roles``) and **ownership** (``owner=True``:
the path names advocate A's object, so everyone else — advocate B, and the staff roles,
who are advocates too — gets a 404). What is left is the outcome given for the method,
usually ``OK``: a 2xx, a 400 (an empty form) or a redirect that is not to a login page.

Routes are keyed by their full pattern (``"shares/<int:share_id>/retry/"``) or, for a
pattern that is a regular expression, by the URL name. Admin pages of a ModelAdmin come
from ``ADMIN_MODELS``: which of view / add / change / delete its ModelAdmin offers at all;
each role then gets what its model permissions allow of those.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS, ADVOCATE, OTHER, CURATOR, APPROVER, ADMIN = (
    "anonymous", "advocate", "other_advocate", "curator", "approver", "admin",
)
ROLES = (ANONYMOUS, ADVOCATE, OTHER, CURATOR, APPROVER, ADMIN)
STAFF = frozenset({CURATOR, APPROVER, ADMIN})
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Outcome:
    """What the response must be: one of ``statuses``; for a redirect, where to."""

    name: str
    statuses: frozenset[int]
    location: str | None = None  # the Location must start with this (a path, or a URL name + "?")
    exact: bool = False  # ... or equal it

    def __str__(self) -> str:
        return self.name


ALLOWED_STATUSES = frozenset({200, 201, 204, 301, 302, 303, 400})
OK = Outcome("allowed", ALLOWED_STATUSES)  # redirects must not go to a login page
LOGIN = Outcome("login redirect", frozenset({302}), location="login?next=")
ADMIN_LOGIN = Outcome("admin login redirect", frozenset({302}), location="admin:login?next=")
FORBIDDEN = Outcome("403", frozenset({403}))
NOT_FOUND = Outcome("404", frozenset({404}))
NOT_ALLOWED = Outcome("405", frozenset({405}))
API_DENIED = Outcome("API 401/403", frozenset({401, 403}))
DENIED = frozenset({LOGIN, ADMIN_LOGIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, API_DENIED})


def redirect(to: str) -> Outcome:
    """A 302 to exactly ``to`` (a URL name, or a path starting with "/")."""
    return Outcome(f"redirect to {to}", frozenset({302}), location=to, exact=True)


@dataclass(frozen=True)
class Perm:
    """Needs ``all_of`` and at least one of ``any_of`` (model permissions); else ``denied``."""

    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    then: Outcome = OK
    denied: Outcome = FORBIDDEN

    def decide(self, perms: set[str]) -> Outcome:
        held = all(p in perms for p in self.all_of) and (not self.any_of or any(p in perms for p in self.any_of))
        return self.then if held else self.denied


@dataclass(frozen=True)
class ByRole:
    """An outcome that depends on the role past the gate (``default`` for the others)."""

    outcomes: dict[str, Outcome]
    default: Outcome = OK

    def decide(self, role: str) -> Outcome:
        return self.outcomes.get(role, self.default)


Step = Outcome | Perm | ByRole
PUBLIC, LOGIN_GATE, API, ADMIN_GATE = "public", "login", "api", "admin"


@dataclass(frozen=True)
class Rule:
    gate: str
    get: Step = OK
    post: Step = OK
    owner: bool = False
    # The path carries a token (invitation, unsubscribe, password reset) that authorises
    # whoever holds it: advocate B using A's token is the design, not a breach.
    bearer: bool = False
    kwargs: Callable[[Any], dict] | None = None  # path parameters from the test's world
    query: dict[str, str] = field(default_factory=dict)
    settings: Callable[[Any], dict] | None = None
    url: Callable[[Any], str] | None = None  # for an unnamed regex pattern
    nonstaff: Outcome = ADMIN_LOGIN  # ADMIN gate: what anonymous and advocates get


def expected(rule: Rule, role: str, method: str, perms: set[str]) -> Outcome:
    """The outcome ``rule`` promises ``role`` (holding ``perms``) for ``method``."""
    if rule.gate == LOGIN_GATE and role == ANONYMOUS:
        return LOGIN
    if rule.gate == API and role == ANONYMOUS:
        return API_DENIED
    if rule.gate == ADMIN_GATE and role not in STAFF:
        return rule.nonstaff
    step = rule.get if method == "GET" else rule.post
    if isinstance(step, Perm):
        step = step.decide(perms)
    elif isinstance(step, ByRole):
        step = step.decide(role)
    if step == OK and rule.owner and role != ADVOCATE:
        return NOT_FOUND
    return step


def _share(attr: str) -> Callable[[Any], dict]:
    return lambda w: {"share_id": getattr(w, attr).pk}


def _a_notification(w: Any) -> dict:
    return {"notification_id": w.a_notification.pk}


def _a_token(w: Any) -> dict:
    """Advocate A's API token, made for each case (the case's savepoint drops it)."""
    from accounts.services.api_tokens import api_token_create

    return {"token_id": api_token_create(user=w.advocate, name="matrix", scope="read", expires_in_days=30).token.pk}


def _linkedin(w: Any) -> dict:
    return {"network": "linkedin"}


DASHBOARD = Perm(("analytics.view_dashboard",))


def _content_api_rules() -> dict[str, Rule]:
    """content.apis: items (+ workflow actions, texts), revisions, campaigns, topics, suggestions."""
    view = "content.view_contentitem"
    draft = lambda w: {"pk": w.draft.pk}  # noqa: E731
    text = lambda w: {"item_pk": w.draft.pk, "pk": w.draft.share_texts.first().pk}  # noqa: E731
    revision = lambda w: {"pk": w.revision.pk}  # noqa: E731
    base = "api/v1/content/"
    rules = {
        base + "items/": Rule(API, get=Perm((view,)), post=Perm(("content.add_contentitem",))),
        base + "items/<int:pk>/": Rule(API, get=Perm((view,)),
                                       post=Perm(("content.add_contentitem",), then=NOT_ALLOWED), kwargs=draft),
        base + "items/<int:item_pk>/texts/": Rule(API, get=Perm(("content.view_sharetext",)),
                                                  post=Perm(("content.add_sharetext",)),
                                                  kwargs=lambda w: {"item_pk": w.draft.pk}),
        base + "items/<int:item_pk>/texts/<int:pk>/": Rule(
            API, get=Perm(("content.view_sharetext",)), post=Perm(("content.add_sharetext",), then=NOT_ALLOWED),
            kwargs=text),
        base + "revisions/": Rule(API, get=Perm((view,)), post=Perm((view,), then=NOT_ALLOWED)),
        base + "revisions/<int:pk>/": Rule(API, get=Perm((view,)), post=Perm((view,), then=NOT_ALLOWED),
                                           kwargs=revision),
    }
    publishing = (view, "content.publish_contentitem", "content.approve_contentitem")
    for action, perms in (("submit", (view, "content.change_contentitem")),
                          ("return-to-draft", (view, "content.change_contentitem")),
                          ("approve", (view, "content.approve_contentitem")),
                          ("schedule", publishing), ("publish", publishing),
                          ("archive", (view, "content.change_contentitem")),
                          ("restore", (view, "content.change_contentitem")),
                          ("duplicate", (view, "content.add_contentitem"))):
        rules[f"{base}items/<int:pk>/{action}/"] = Rule(API, get=Perm((view,), then=NOT_ALLOWED),
                                                        post=Perm(perms), kwargs=draft)
    for decision in ("approve", "reject"):
        approve = Perm(("content.approve_contentitem",))
        rules[f"{base}revisions/<int:pk>/{decision}/"] = Rule(
            API, get=Perm((view,), then=NOT_ALLOWED), post=approve, kwargs=revision)
    for model, label in (("campaign", "campaigns"), ("topic", "topics"), ("contentsuggestion", "suggestions")):
        obj = (lambda key: lambda w: {"pk": w.admin_objects[key].pk})(f"content.{model}")
        read, add = Perm((f"content.view_{model}",)), f"content.add_{model}"
        rules[f"{base}{label}/"] = Rule(API, get=read, post=Perm((add,)) if model != "contentsuggestion"
                                        else Perm((add,), then=NOT_ALLOWED))
        rules[f"{base}{label}/<int:pk>/"] = Rule(API, get=read, post=Perm((add,), then=NOT_ALLOWED), kwargs=obj)
    for verb in ("accept", "reject"):
        review = Perm(("content.change_contentsuggestion",))
        rules[f"{base}suggestions/<int:pk>/{verb}/"] = Rule(
            API, get=Perm(review.all_of, then=NOT_ALLOWED), post=review,
            kwargs=lambda w: {"pk": w.admin_objects["content.contentsuggestion"].pk})
    return rules

PORTAL: dict[str, Rule] = {
    # advocacy
    "": Rule(LOGIN_GATE),
    "share/<int:item_id>/": Rule(LOGIN_GATE, kwargs=lambda w: {"item_id": w.item.pk}),
    "shares/": Rule(LOGIN_GATE),
    # The live status of the requester's own shares (?ids=…): others' ids are left out.
    "shares/status/": Rule(LOGIN_GATE, post=NOT_ALLOWED, query={"ids": "1,2"}),
    "shares/<int:share_id>/retry/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True, kwargs=_share("a_failed")),
    "shares/<int:share_id>/cancel/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True, kwargs=_share("a_scheduled")),
    "shares/<int:share_id>/confirm/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True,
                                          kwargs=_share("a_unconfirmed")),
    "connections/": Rule(LOGIN_GATE),
    "connections/<str:network>/connect/": Rule(LOGIN_GATE, kwargs=_linkedin),
    "connections/<str:network>/callback/": Rule(LOGIN_GATE, kwargs=_linkedin),
    # Acts on the requester's own account: B (no LinkedIn account) changes nothing of A's.
    "connections/<str:network>/disconnect/": Rule(LOGIN_GATE, get=NOT_ALLOWED, kwargs=_linkedin),
    # Only A is connected to LinkedIn: for anyone else "Not connected" (404), A's audience untouched.
    "connections/<str:network>/audience/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True, kwargs=_linkedin),
    "suggest/": Rule(LOGIN_GATE),
    # The welcome steps and the policy (advocacy.views.onboarding): each person's own choices only.
    "welcome/": Rule(LOGIN_GATE, post=NOT_ALLOWED),
    "welcome/policy/": Rule(LOGIN_GATE),
    "welcome/topics/": Rule(LOGIN_GATE),
    "welcome/connect/": Rule(LOGIN_GATE, post=NOT_ALLOWED),
    "welcome/share/": Rule(LOGIN_GATE),
    "welcome/skip/": Rule(LOGIN_GATE, get=NOT_ALLOWED),
    "topics/": Rule(LOGIN_GATE),
    "api/v1/feed/": Rule(API, post=NOT_ALLOWED),
    "api/v1/shares/": Rule(API),
    "api/v1/connections/": Rule(API, post=NOT_ALLOWED),
    # The advocate's API, about themselves (advocacy.apis, analytics.apis.impact, notifications.apis,
    # accounts.apis.me/preferences): A's objects are a 404 for everyone else, nothing of A's changes.
    "api/v1/items/<int:item_id>/": Rule(API, post=NOT_ALLOWED, kwargs=lambda w: {"item_id": w.item.pk}),
    "api/v1/shares/<int:share_id>/": Rule(API, post=NOT_ALLOWED, owner=True, kwargs=_share("a_posted")),
    "api/v1/shares/<int:share_id>/cancel/": Rule(API, get=NOT_ALLOWED, owner=True, kwargs=_share("a_scheduled")),
    "api/v1/shares/<int:share_id>/retry/": Rule(API, get=NOT_ALLOWED, owner=True, kwargs=_share("a_failed")),
    # An empty POST does not say whether the post landed: a 400, nothing changes.
    "api/v1/shares/<int:share_id>/confirm/": Rule(API, get=NOT_ALLOWED, owner=True,
                                                  kwargs=_share("a_unconfirmed")),
    # GET, PATCH (audience), DELETE (disconnect); only A is connected to LinkedIn.
    "api/v1/connections/<str:network>/": Rule(API, post=NOT_ALLOWED, owner=True, kwargs=_linkedin),
    "api/v1/me/impact/": Rule(API, post=NOT_ALLOWED),
    "api/v1/me/impact/shares/": Rule(API, post=NOT_ALLOWED),
    "api/v1/leaderboard/": Rule(API, post=NOT_ALLOWED),
    "api/v1/notifications/": Rule(API, post=NOT_ALLOWED),
    "api/v1/notifications/read-all/": Rule(API, get=NOT_ALLOWED),  # the requester's own only
    "api/v1/notifications/<int:notification_id>/read/": Rule(API, get=NOT_ALLOWED, owner=True,
                                                             kwargs=_a_notification),
    "api/v1/me/": Rule(API, post=NOT_ALLOWED),
    "api/v1/me/preferences/": Rule(API, post=NOT_ALLOWED),  # GET and PATCH
    # The schema and its docs are public, like the code they describe.
    "api/schema/": Rule(PUBLIC, post=NOT_ALLOWED),
    "api/docs/": Rule(PUBLIC, post=NOT_ALLOWED),
    # Any other /api/ address: the API's JSON 404 for everyone.
    "api_not_found": Rule(PUBLIC, get=NOT_FOUND, post=NOT_FOUND, url=lambda w: "/api/v1/no-such-endpoint/"),
    # analytics
    "r/<str:code>": Rule(PUBLIC, kwargs=lambda w: {"code": w.a_posted.link_code}),
    "analytics/": Rule(LOGIN_GATE, get=DASHBOARD, post=DASHBOARD),
    "analytics/export/<slug:table>.csv": Rule(LOGIN_GATE, get=DASHBOARD, post=DASHBOARD,
                                              kwargs=lambda w: {"table": "advocates"}),
    # The marketing analytics API (the page's permission) and the people API (the admin's
    # permissions on people). DRF checks permissions before the method: a refused role gets
    # a 403 for a method the view does not have, the others a 405.
    **{f"api/v1/analytics/{name}/": Rule(API, get=DASHBOARD, post=Perm(DASHBOARD.all_of, then=NOT_ALLOWED))
       for name in ("kpis", "timeseries", "networks", "teams", "campaigns", "content", "advocates", "funnel",
                    "connections")},
    "api/v1/analytics/export/<slug:table>.csv": Rule(API, get=DASHBOARD,
                                                     post=Perm(DASHBOARD.all_of, then=NOT_ALLOWED),
                                                     kwargs=lambda w: {"table": "advocates"}),
    "api/v1/people/": Rule(API, get=Perm(("accounts.view_user",)), post=Perm(("accounts.add_user",))),
    "api/v1/people/import/": Rule(API, get=Perm(("accounts.add_user",), then=NOT_ALLOWED),
                                  post=Perm(("accounts.add_user",))),  # no file: 400
    "api/v1/people/<int:pk>/": Rule(API, get=Perm(("accounts.view_user",)),
                                    post=Perm(("accounts.add_user",), then=NOT_ALLOWED),
                                    kwargs=lambda w: {"pk": w.advocate.pk}),
    **{f"api/v1/people/<int:pk>/{verb}/": Rule(API, get=Perm(("accounts.view_user",), then=NOT_ALLOWED),
                                               post=Perm(("accounts.change_user",)),
                                               kwargs=lambda w: {"pk": w.advocate.pk})
       for verb in ("deactivate", "reactivate")},
    "api/v1/teams/": Rule(API, get=Perm(("accounts.view_team",)),
                          post=Perm(("accounts.add_team",), then=NOT_ALLOWED)),
    # The staff's content API (content.apis): exactly the admin's permissions. An empty POST
    # creates nothing (400); a workflow action the draft's status refuses is a 400 too.
    **_content_api_rules(),
    "impact/": Rule(LOGIN_GATE),
    "impact/leaderboard/": Rule(LOGIN_GATE),
    # notifications
    "notifications/": Rule(LOGIN_GATE, post=NOT_ALLOWED),
    "notifications/read-all/": Rule(LOGIN_GATE, get=NOT_ALLOWED),
    "notifications/<int:notification_id>/open/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True,
                                                      kwargs=_a_notification),
    "notifications/<int:notification_id>/read/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True,
                                                      kwargs=_a_notification),
    # Signed links from emails: the share dialog behind it checks the login and the item.
    "n/share/<str:token>/": Rule(PUBLIC, post=NOT_ALLOWED, bearer=True, kwargs=lambda w: {"token": w.share_token}),
    "n/unsubscribe/<str:token>/": Rule(PUBLIC, bearer=True, kwargs=lambda w: {"token": w.unsubscribe_token}),
    # The installable app: the same for everyone. This browser's push subscription: the
    # requester's own (an empty POST is a 400; unsubscribe touches only the requester's rows).
    "manifest.webmanifest": Rule(PUBLIC, post=NOT_ALLOWED),
    "sw.js": Rule(PUBLIC, post=NOT_ALLOWED),
    "offline/": Rule(PUBLIC, post=NOT_ALLOWED),
    "push/subscription/": Rule(LOGIN_GATE, get=NOT_ALLOWED),
    "push/subscription/delete/": Rule(LOGIN_GATE, get=NOT_ALLOWED),
    # accounts
    "accounts/login/": Rule(PUBLIC, get=ByRole({ANONYMOUS: OK}, default=redirect("home")),
                            post=ByRole({ANONYMOUS: OK}, default=redirect("home"))),
    "accounts/logout/": Rule(PUBLIC, get=NOT_ALLOWED, post=redirect("login")),
    "accounts/password/reset/": Rule(PUBLIC),
    "accounts/password/reset/sent/": Rule(PUBLIC, post=NOT_ALLOWED),
    "accounts/password/reset/<uidb64>/<token>/": Rule(PUBLIC, bearer=True, kwargs=lambda w: w.reset_kwargs),
    "accounts/password/reset/done/": Rule(PUBLIC, post=NOT_ALLOWED),
    "accounts/password/change/": Rule(LOGIN_GATE),
    "accounts/password/change/done/": Rule(LOGIN_GATE, post=NOT_ALLOWED),
    "accounts/invitation/<str:token>/": Rule(PUBLIC, bearer=True, kwargs=lambda w: {"token": w.invitation_token}),
    "accounts/me/preferences/": Rule(LOGIN_GATE),
    "accounts/me/data/": Rule(LOGIN_GATE, post=NOT_ALLOWED),
    "accounts/me/data/download/": Rule(LOGIN_GATE, post=NOT_ALLOWED),  # the requester's own data only
    "accounts/me/delete/": Rule(LOGIN_GATE),  # an empty POST (no password) deletes nothing: 400
    "accounts/me/tokens/": Rule(LOGIN_GATE),  # an empty POST makes no token: 400
    "accounts/me/tokens/<int:token_id>/revoke/": Rule(LOGIN_GATE, get=NOT_ALLOWED, owner=True, kwargs=_a_token),
    # identity: single sign-on, public entry points. Nothing is configured in the matrix's
    # world: the sign-in doors are a 404 (someone signed in is sent on), the OIDC callback
    # without a code a 400, the SP metadata (public by design) is served.
    "sso/oidc/login/": Rule(PUBLIC, get=ByRole({ANONYMOUS: NOT_FOUND}, default=redirect("home")), post=NOT_ALLOWED),
    "sso/oidc/callback/": Rule(PUBLIC, post=NOT_ALLOWED),
    "sso/saml/login/": Rule(PUBLIC, get=ByRole({ANONYMOUS: NOT_FOUND}, default=redirect("home")), post=NOT_ALLOWED),
    "sso/saml/acs/": Rule(PUBLIC, get=NOT_ALLOWED, post=NOT_FOUND),
    "sso/saml/metadata/": Rule(PUBLIC, post=NOT_ALLOWED),
    # identity: SCIM 2.0 provisioning (identity.scim) answers a SCIM token only: a session is
    # no credential there, so every role, signed in or not, gets the 401 (and writes nothing).
    **{f"scim/v2/{route}": Rule(API, get=API_DENIED, post=API_DENIED, kwargs=kwargs) for route, kwargs in (
        ("ServiceProviderConfig", None), ("ResourceTypes", None), ("Schemas", None), (".search", None),
        ("ResourceTypes/<str:resource_id>", lambda w: {"resource_id": "User"}),
        ("Schemas/<str:schema_id>", lambda w: {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"}),
        ("Users", None), ("Users/.search", None), ("Users/<str:user_id>", lambda w: {"user_id": w.advocate.pk}),
        ("Groups", None), ("Groups/.search", None),
        ("Groups/<str:group_id>", lambda w: {"group_id": w.advocate.team_id}),
    )},
    "scim_not_found": Rule(API, get=API_DENIED, post=API_DENIED, url=lambda w: "/scim/v2/NoSuchEndpoint"),
    # chorus: 503 while the broker or the workers are down (they are, in tests)
    "healthz": Rule(PUBLIC, get=Outcome("health", frozenset({200, 503})),
                    post=Outcome("health", frozenset({200, 503}))),
    # Prometheus metrics: on with a scrape token, which no role's session stands in for
    # (off, it is a 404: tests/chorus/test_metrics.py).
    "metrics": Rule(PUBLIC, get=FORBIDDEN, post=NOT_ALLOWED, settings=lambda w: {"METRICS_TOKEN": "matrix-token"}),
}

STAFF_ONLY = ByRole({}, default=OK)  # past the ADMIN gate every staff role is let in
ADMIN_ROLE_ONLY = ByRole({ADMIN: OK}, default=FORBIDDEN)
AUDIT_LOG = Perm(any_of=("auditlog.view_logentry", "auditlog.change_logentry"))
# The email tools (delivery log, previews, the development Outbox) are a 404 for staff who
# may not see them.
DELIVERY_LOG = Perm(any_of=("notifications.view_emaildelivery", "notifications.change_emaildelivery"),
                    denied=NOT_FOUND)
OUTBOX = Perm(any_of=("notifications.view_outboxmessage", "notifications.change_outboxmessage"), denied=NOT_FOUND)
PREVIEW = {"email": "ann@example.com", "kind": "weekly_digest"}  # advocate A's weekly digest
ADMIN_SITE: dict[str, Rule] = {
    "admin/": Rule(ADMIN_GATE),
    "admin/login/": Rule(PUBLIC, get=ByRole(dict.fromkeys(STAFF, redirect("admin:index")))),
    # The staff check sends non-staff to the index (and from there to the login page).
    "admin/logout/": Rule(ADMIN_GATE, get=NOT_ALLOWED, nonstaff=redirect("admin:index")),
    "admin/password_change/": Rule(ADMIN_GATE),
    "admin/password_change/done/": Rule(ADMIN_GATE, post=NOT_ALLOWED),
    # Needs view permission on the model searched (users, for a campaign's owner).
    "admin/autocomplete/": Rule(ADMIN_GATE, get=Perm(any_of=("accounts.view_user", "accounts.change_user")),
                                post=NOT_ALLOWED, query={"app_label": "content", "model_name": "campaign",
                                                         "field_name": "owner", "term": "a"}),
    "admin/jsi18n/": Rule(ADMIN_GATE, post=NOT_ALLOWED),
    # No Chorus model has a public page (get_absolute_url), so "view on site" is a 404.
    "admin/r/<path:content_type_id>/<path:object_id>/": Rule(ADMIN_GATE, get=NOT_FOUND, post=NOT_FOUND,
                                                             kwargs=lambda w: w.view_on_site_kwargs),
    # An app's index lists only what the role may see: nothing of "auth" is a 404.
    "admin:app_list": Rule(ADMIN_GATE, get=Perm(any_of=("auth.view_group", "auth.change_group"), denied=NOT_FOUND),
                           post=Perm(any_of=("auth.view_group", "auth.change_group"), denied=NOT_FOUND),
                           kwargs=lambda w: {"app_label": "auth"}),
    "admin/(?P<url>.*)$": Rule(ADMIN_GATE, get=NOT_FOUND, post=NOT_FOUND, url=lambda w: "/admin/no-such-page/"),
    # Custom admin pages
    "admin/accounts/user/import/": Rule(ADMIN_GATE, get=Perm(("accounts.add_user",)),
                                        post=Perm(("accounts.add_user",))),
    "admin/accounts/user/<id>/password/": Rule(ADMIN_GATE, get=Perm(("accounts.change_user",)),
                                               post=Perm(("accounts.change_user",)),
                                               kwargs=lambda w: {"id": w.advocate.pk}),
    # A leaver's data: the Admin role only (a role check, not a model permission).
    "admin/accounts/user/<int:user_id>/export-data/": Rule(
        ADMIN_GATE, get=ADMIN_ROLE_ONLY, post=ADMIN_ROLE_ONLY, kwargs=lambda w: {"user_id": w.advocate.pk}),
    "admin/accounts/user/<int:user_id>/delete-account/": Rule(
        ADMIN_GATE, get=ADMIN_ROLE_ONLY, post=ADMIN_ROLE_ONLY, kwargs=lambda w: {"user_id": w.advocate.pk}),
    "admin/auditlog/logentry/export.csv": Rule(ADMIN_GATE, get=AUDIT_LOG, post=AUDIT_LOG),
    "admin/content/contentitem/revision/<int:pk>/<str:decision>/": Rule(
        ADMIN_GATE, get=NOT_ALLOWED, post=Perm(("content.approve_contentitem",)),
        kwargs=lambda w: {"pk": w.revision.pk, "decision": "reject"}),
    "admin/content/contentitem/review/": Rule(ADMIN_GATE, get=Perm(("content.view_contentitem",)),
                                              post=Perm(("content.view_contentitem",))),
    # The item page's live link preview (JSON): whoever may view items.
    "admin/content/contentitem/<int:pk>/link-preview/": Rule(
        ADMIN_GATE, get=Perm(("content.view_contentitem",)),
        post=Perm(("content.view_contentitem",), then=NOT_ALLOWED), kwargs=lambda w: {"pk": w.draft.pk}),
    # Publishing implies approval: Approvers and Admins only (a Curator gets the 403).
    "admin/content/contentitem/<int:pk>/transition/<str:name>/": Rule(
        ADMIN_GATE, get=NOT_ALLOWED, post=Perm(("content.publish_contentitem", "content.approve_contentitem")),
        kwargs=lambda w: {"pk": w.draft.pk, "name": "publish"}),
    "admin/notifications/emaildelivery/test-digest/": Rule(ADMIN_GATE, get=NOT_ALLOWED, post=DELIVERY_LOG),
    "admin/notifications/emaildelivery/preview/": Rule(
        ADMIN_GATE, get=DELIVERY_LOG, post=DELIVERY_LOG, query=PREVIEW),
    "admin/notifications/emaildelivery/preview/html/": Rule(
        ADMIN_GATE, get=DELIVERY_LOG, post=DELIVERY_LOG, query=PREVIEW),
    "admin/notifications/outboxmessage/": Rule(ADMIN_GATE, get=OUTBOX, post=OUTBOX,
                                               settings=lambda w: w.outbox_settings),
    "admin/notifications/outboxmessage/message/<str:key>/": Rule(
        ADMIN_GATE, get=OUTBOX, post=OUTBOX, settings=lambda w: w.outbox_settings,
        kwargs=lambda w: {"key": w.outbox_key}),
    "admin/notifications/outboxmessage/message/<str:key>/html/": Rule(
        ADMIN_GATE, get=OUTBOX, post=OUTBOX, settings=lambda w: w.outbox_settings,
        kwargs=lambda w: {"key": w.outbox_key}),
    # webhooks: the endpoint's buttons need the permission to change endpoints (the Admin role).
    **{f"admin/webhooks/webhookendpoint/<int:pk>/{button}/": Rule(
        ADMIN_GATE, get=NOT_ALLOWED, post=Perm(("webhooks.change_webhookendpoint",)),
        kwargs=lambda w: {"pk": w.admin_objects["webhooks.webhookendpoint"].pk})
       for button in ("send-test", "rotate-secret")},
}

# What each ModelAdmin offers at all (before the role's model permissions): "view" always;
# "add", "change", "delete" where its has_*_permission does not refuse everyone who is
# not a superuser. A new ModelAdmin needs an entry here.
FULL = frozenset({"add", "change", "delete"})
READ_ONLY = frozenset()  # core.admin.ReadOnlyAdminMixin: only the workers write these
ADMIN_MODELS: dict[str, frozenset[str]] = {
    "axes.accessattempt": frozenset({"change", "delete"}),  # written by failed logins only
    "axes.accesslog": frozenset({"change", "delete"}),
    "axes.accessfailurelog": frozenset({"change", "delete"}),
    "auditlog.logentry": READ_ONLY,  # the audit log is append-only, even for Admins
    "accounts.team": FULL,
    "accounts.user": FULL,
    "auth.group": READ_ONLY,  # roles are synced from accounts.roles; only a superuser edits them
    "content.campaign": FULL,
    "content.topic": FULL,
    "content.contentitem": FULL,
    "content.feedsource": FULL,
    "content.contentsuggestion": frozenset({"change", "delete"}),  # employees suggest; staff review
    "content.compliancesettings": frozenset({"change"}),  # a singleton (exists: no add)
    "advocacy.socialaccount": frozenset({"change", "delete"}),  # connected through OAuth only
    "advocacy.share": frozenset({"delete"}),  # read-only log whose old rows may be cleared
    "advocacy.programmesettings": frozenset({"change"}),  # a singleton
    "analytics.emvrate": frozenset({"add"}),  # versions are added, never edited or deleted
    "analytics.pointsrule": frozenset({"add", "change"}),
    "analytics.pointsentry": READ_ONLY,
    "analytics.apiusage": READ_ONLY,
    "analytics.sharemetrics": READ_ONLY,
    "analytics.enrolmentsnapshot": READ_ONLY,
    "analytics.metricsdenial": frozenset({"delete"}),
    "notifications.emaildelivery": frozenset({"delete"}),
    "notifications.teamslackwebhook": FULL,
    "notifications.contentfanout": frozenset({"delete"}),
    "notifications.slackannouncement": frozenset({"delete"}),
    "notifications.notification": FULL,
    "notifications.teamswebhook": FULL,
    "notifications.teamsannouncement": frozenset({"delete"}),  # a log like Slack's
    "webhooks.webhookendpoint": FULL,
    "webhooks.webhookdelivery": frozenset({"delete"}),  # the delivery log; old rows may be cleared
    "identity.scimtoken": frozenset({"add", "change", "delete"}),  # Admins only (identity permissions)
    "identity.ssosettings": frozenset({"change"}),  # a singleton (exists: no add), never deleted; Admins only
}
# ModelAdmins whose URLs are their own (listed in ADMIN_SITE), not the standard five.
CUSTOM_URL_MODELS = frozenset({"notifications.outboxmessage"})
# Their changelist redirects any staff member to the one row's change page (checked there).
SINGLETONS = frozenset({"content.compliancesettings", "advocacy.programmesettings"})


def _model_step(label: str, op: str, caps: frozenset[str]) -> Step:
    app, model = label.split(".")
    if op == "view":
        return Perm(any_of=(f"{app}.view_{model}", f"{app}.change_{model}"))
    if op not in caps:
        return FORBIDDEN
    return Perm((f"{app}.{op}_{model}",))


def _object_id(label: str) -> Callable[[Any], dict]:
    return lambda w: {"object_id": w.admin_objects[label].pk}


def admin_model_rules(labels: Iterable[str]) -> dict[str, Rule]:
    """The standard ModelAdmin pages of each model in ``labels`` (app_label.model_name)."""
    rules = {}
    for label in labels:
        caps = ADMIN_MODELS.get(label)
        if caps is None:
            continue  # no entry: the coverage test names its URLs
        base = "admin/{}/{}/".format(*label.split("."))
        kwargs = _object_id(label)
        view, change = _model_step(label, "view", caps), _model_step(label, "change", caps)
        rules.update({
            base: Rule(ADMIN_GATE, get=STAFF_ONLY if label in SINGLETONS else view,
                       post=STAFF_ONLY if label in SINGLETONS else view),
            base + "add/": Rule(ADMIN_GATE, get=_model_step(label, "add", caps), post=_model_step(label, "add", caps)),
            base + "<path:object_id>/history/": Rule(ADMIN_GATE, get=view, post=view, kwargs=kwargs),
            # An empty POST to "delete" only shows the confirmation again: nothing is deleted.
            base + "<path:object_id>/delete/": Rule(ADMIN_GATE, get=_model_step(label, "delete", caps),
                                                    post=_model_step(label, "delete", caps), kwargs=kwargs),
            base + "<path:object_id>/change/": Rule(ADMIN_GATE, get=view, post=change, kwargs=kwargs),
            # The old-style object URL only redirects to .../change/ (checked there).
            base + "<path:object_id>/": Rule(ADMIN_GATE, get=STAFF_ONLY, post=STAFF_ONLY, kwargs=kwargs),
        })
    return rules
