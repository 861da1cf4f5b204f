"""accounts.services.privacy: who may export or delete whose data, what deleting does when
a provider does not answer, and that a deletion is never done twice."""

import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessLog

from accounts.models import User
from accounts.roles import ADMIN, CURATOR
from accounts.services.privacy import (
    PersonalData,
    PrivacyRefused,
    account_delete,
    account_deletion_problem,
    is_deleted_account,
    personal_data_export,
    personal_data_problem,
    personal_data_sections,
    register_personal_data,
)
from advocacy.models import Share, SocialAccount
from analytics.models import ShareMetrics
from analytics.services.rollups import rollup_run
from tests.accounts.conftest import analytics_totals
from tests.analytics.conftest import posted_share
from tests.factories import SocialAccountFactory, UserFactory, advocate

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root@example.com", "a-Long-passphrase-42", full_name="Root")


def test_everyone_may_for_themselves_only_admins_for_others(superuser):
    ann, bob = advocate(), advocate()
    admin, curator = UserFactory(roles=[ADMIN]), UserFactory(roles=[CURATOR])
    assert personal_data_problem(actor=ann, user=ann) is None
    assert personal_data_problem(actor=bob, user=ann) == "Only an administrator can export or delete someone else's data."
    assert personal_data_problem(actor=curator, user=ann) is not None
    assert personal_data_problem(actor=admin, user=ann) is None
    assert personal_data_problem(actor=superuser, user=admin) is None
    assert personal_data_problem(actor=admin, user=superuser) == "Only a superuser can export or delete a superuser's data."
    with pytest.raises(PrivacyRefused):
        personal_data_export(user=ann, actor=bob)
    with pytest.raises(PrivacyRefused):
        account_delete(user=ann, actor=curator)
    assert User.objects.get(pk=ann.pk).is_active and not LogEntry.objects.filter(
        additional_data__event__in=["data exported", "account deleted"]).exists()


def test_a_superuser_cannot_delete_their_own_account(superuser):
    assert "cannot delete itself" in account_deletion_problem(actor=superuser, user=superuser)
    with pytest.raises(PrivacyRefused):
        account_delete(user=superuser, actor=superuser)
    assert User.objects.get(pk=superuser.pk).is_superuser


def test_a_deleted_account_is_not_deleted_twice():
    ann = advocate(full_name="Ann Lee")
    first = account_delete(user=ann, actor=ann)
    assert first.by == "self"
    stub = User.objects.get(pk=ann.pk)
    assert is_deleted_account(stub)
    assert account_deletion_problem(actor=stub, user=stub) == "This account has already been deleted."
    with pytest.raises(PrivacyRefused, match="already been deleted"):
        account_delete(user=stub, actor=UserFactory(roles=[ADMIN]))
    assert LogEntry.objects.filter(additional_data__event="account deleted").count() == 1


def test_a_provider_that_does_not_answer_does_not_stop_the_deletion(networks):
    """The tokens are deleted in Chorus all the same; the audit entry says the provider
    did not confirm, so that someone can revoke the app's access by hand if they must."""
    ann = advocate()
    account = SocialAccountFactory(user=ann, network="x", access_token="x-live-token", refresh_token="x-refresh")
    networks.faults.add("error", network="x", group="oauth", status=503)
    result = account_delete(user=ann, actor=ann)
    assert result.counts["connections revoked without the provider's answer"] == 1
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    entry = LogEntry.objects.get(additional_data__event="account deleted")
    assert entry.additional_data["connections revoked without the provider's answer"] == 1


def test_login_records_and_polling_go_with_the_account(redis_url):
    ann = advocate(email="ann@example.com")
    AccessAttempt.objects.create(username="Ann@Example.com", ip_address="198.51.100.7", user_agent="x",
                                 http_accept="*/*", path_info="/accounts/login/", get_data="", post_data="",
                                 failures_since_start=1)
    AccessLog.objects.create(username="ann@example.com", ip_address="198.51.100.7", user_agent="x",
                             http_accept="*/*", path_info="/accounts/login/")
    other = AccessLog.objects.create(username="bob@example.com", ip_address="198.51.100.8", user_agent="x",
                                     http_accept="*/*", path_info="/accounts/login/")
    share = posted_share(user=ann)
    rollup_run()
    assert ShareMetrics.objects.get(share=share).next_poll_at is not None
    result = account_delete(user=ann, actor=ann)
    assert result.counts["login records deleted"] == 2
    assert list(AccessLog.objects.all()) == [other] and not AccessAttempt.objects.exists()
    metrics = ShareMetrics.objects.get(share=share)
    assert metrics.next_poll_at is None and "deleted their account" in metrics.note


def test_an_admin_deletes_a_leaver_and_the_numbers_stay(history, networks):
    admin = UserFactory(roles=[ADMIN], full_name="Ada Admin")
    before = analytics_totals(history)
    result = account_delete(user=history.ann, actor=admin, note="Left on 31 March")
    assert result.by == "admin" and result.counts["connections deleted"] == 2
    assert analytics_totals(history) == before
    assert all(networks.state.token(v, n).revoked for n, values in history.tokens.items() for v in values)
    entry = LogEntry.objects.get(additional_data__event="account deleted")
    assert entry.actor_id == admin.pk and entry.additional_data["by"] == "admin"
    assert entry.additional_data["note"] == "Left on 31 March"
    assert set(Share.objects.filter(user=history.ann).values_list("text", flat=True)) == {""}


def test_sections_registered_by_the_apps_are_exported_in_order():
    names = [s.name for s in personal_data_sections()]
    assert names == ["profile", "preferences", "api_tokens", "connections", "shares", "points", "impact",
                     "notifications", "emails", "push_devices", "suggestions", "provisioning"]
    assert all(s.description for s in personal_data_sections())


def test_an_iterable_section_is_written_row_by_row(monkeypatch):
    """A section may yield its rows (a long history is never built in memory)."""
    from accounts.services import privacy

    monkeypatch.setattr(privacy, "_sections", dict(privacy._sections))
    register_personal_data(PersonalData("numbers", "Numbers", "a test.", export=lambda user: (
        {"n": n} for n in range(3)), position=999))
    ann = advocate()
    export = personal_data_export(user=ann, actor=ann)
    with zipfile.ZipFile(io.BytesIO(export.file.read())) as archive:
        assert json.loads(archive.read("numbers.json")) == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert "numbers.json" in archive.read("README.txt").decode()
    export.file.close()
