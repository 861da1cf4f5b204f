"""Who may use the advocate's endpoints: every role for themselves, anonymous never (401),
another advocate's objects never (404, nothing of the owner's changes), a read-only token
reads but never writes (403, nothing changes)."""

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, SocialAccount
from tests.advocacy.apis.roles import PEOPLE, ROLES, bearer, call
from tests.factories import ContentItemFactory, SocialAccountFactory, TeamFactory, advocate, published_item

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{failed}" etc. name the owner's objects
    body: dict | None
    ok: int
    owned: bool = False  # the path names the owner's object: anyone else gets a 404


ENDPOINTS = [
    Endpoint("GET", "/api/v1/feed/", None, 200),
    Endpoint("GET", "/api/v1/items/{team_item}/", None, 200, owned=True),
    Endpoint("GET", "/api/v1/shares/", None, 200),
    Endpoint("POST", "/api/v1/shares/", {"item": "{fresh}", "networks": ["linkedin"], "idempotency_key": "k1"}, 201),
    Endpoint("GET", "/api/v1/shares/{posted}/", None, 200, owned=True),
    Endpoint("POST", "/api/v1/shares/{scheduled}/cancel/", None, 200, owned=True),
    Endpoint("POST", "/api/v1/shares/{failed}/retry/", None, 200, owned=True),
    Endpoint("POST", "/api/v1/shares/{unconfirmed}/confirm/", {"landed": True}, 200, owned=True),
    Endpoint("GET", "/api/v1/connections/", None, 200),
    Endpoint("GET", "/api/v1/connections/linkedin/", None, 200, owned=True),
    Endpoint("PATCH", "/api/v1/connections/linkedin/", {"audience_size": 10}, 200, owned=True),
    Endpoint("DELETE", "/api/v1/connections/linkedin/", None, 204, owned=True),
]
WRITES = [e for e in ENDPOINTS if e.method != "GET"]
READS = [e for e in ENDPOINTS if e.method == "GET"]


def _id(e: Endpoint) -> str:
    return f"{e.method} {e.path}"


@pytest.fixture(autouse=True)
def _no_provider(monkeypatch):
    """Disconnecting revokes at the provider: a provider that says yes, without the network."""
    monkeypatch.setattr("advocacy.services.connections.get_adapter",
                        lambda network: SimpleNamespace(revoke=lambda token: None))


def scene(owner: User) -> SimpleNamespace:
    """The owner's connection and shares, an item for their team only and one they never shared."""
    account = SocialAccountFactory(user=owner, network="linkedin")
    item = published_item()
    team_item = published_item(target_everyone=False)
    team_item.target_teams.add(owner.team)
    now = timezone.now()

    def share(status: str, **extra) -> Share:
        return Share.objects.create(user=owner, item=item, network="linkedin", account=account, text="t",
                                    final_text="t", idempotency_key=status, status=status, **extra)

    return SimpleNamespace(
        owner=owner, fresh=published_item().pk, team_item=team_item.pk, failed=share("failed").pk,
        unconfirmed=share("unconfirmed").pk,
        scheduled=share("scheduled", scheduled_for=now + timedelta(days=1)).pk,
        posted=share("posted", remote_id="urn:li:share:1", posted_at=now - timedelta(days=3)).pk,
    )


def fill(value, w: SimpleNamespace):
    """The endpoint's path or body with the scene's ids in place of ``{name}``."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return getattr(w, value[1:-1])
    if isinstance(value, str):
        return value.format(**vars(w))
    if isinstance(value, dict):
        return {k: fill(v, w) for k, v in value.items()}
    return value


def owner_state(owner: User) -> tuple:
    return (
        list(Share.objects.filter(user=owner).order_by("pk").values_list("pk", "status", "updated_at")),
        list(SocialAccount.objects.filter(user=owner).values_list("pk", "status", "audience_size", "access_token")),
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_anonymous_is_401(client, endpoint):
    w = scene(advocate())
    before = owner_state(w.owner)
    response = call(client, endpoint.method, fill(endpoint.path, w), fill(endpoint.body, w))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert owner_state(w.owner) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_uses_it_for_themselves(client, role, endpoint):
    w = scene(PEOPLE[role]())
    client.force_login(w.owner)
    response = call(client, endpoint.method, fill(endpoint.path, w), fill(endpoint.body, w))
    assert response.status_code == endpoint.ok, response.content


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.owned], ids=_id)
@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_object_is_404_and_unchanged(client, role, endpoint):
    w = scene(advocate(team=TeamFactory(name="Owners")))
    client.force_login(PEOPLE[role](team=TeamFactory(name="Others")))
    before = owner_state(w.owner)
    response = call(client, endpoint.method, fill(endpoint.path, w), fill(endpoint.body, w))
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert owner_state(w.owner) == before


@pytest.mark.parametrize("endpoint", WRITES, ids=_id)
def test_a_read_only_token_never_writes(client, endpoint):
    w = scene(advocate())
    before, shares = owner_state(w.owner), Share.objects.count()
    response = call(client, endpoint.method, fill(endpoint.path, w), fill(endpoint.body, w),
                    **bearer(w.owner, scope="read"))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied" and "read-only" in error["message"]
    assert owner_state(w.owner) == before and Share.objects.count() == shares


@pytest.mark.parametrize("endpoint", READS, ids=_id)
def test_a_read_only_token_reads(client, endpoint):
    w = scene(advocate())
    response = call(client, endpoint.method, fill(endpoint.path, w), **bearer(w.owner, scope="read"))
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", WRITES, ids=_id)
def test_a_read_write_token_writes(client, endpoint):
    w = scene(advocate())
    response = call(client, endpoint.method, fill(endpoint.path, w), fill(endpoint.body, w), **bearer(w.owner))
    assert response.status_code == endpoint.ok, response.content


def test_an_item_not_for_me_is_404(client):
    me = advocate()
    client.force_login(me)
    draft = ContentItemFactory()
    elsewhere = published_item(target_everyone=False)
    elsewhere.target_teams.add(TeamFactory(name="Elsewhere"))
    for item in (draft, elsewhere):
        assert client.get(f"/api/v1/items/{item.pk}/").status_code == 404
        response = client.post("/api/v1/shares/", {"item": item.pk, "networks": ["linkedin"], "idempotency_key": "k"},
                               content_type="application/json")
        assert response.status_code == 404 and response.json()["error"]["field"] == "item"
    assert not Share.objects.exists()
