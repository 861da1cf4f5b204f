"""bulk_update_values: every row to its own values, one statement per batch, on SQLite and
PostgreSQL alike (CI runs this suite on both)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Team
from analytics.models import ShareMetrics
from core.bulk import bulk_update_values
from tests.analytics.conftest import posted_share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def metrics_rows(n: int) -> list[ShareMetrics]:
    rows = []
    for i in range(n):
        share = posted_share(network="x")
        rows.append(ShareMetrics.objects.create(share=share, posted_day=date(2026, 3, 1), reactions=i,
                                                next_poll_at=T0, note="old"))
    return rows


def test_each_row_gets_its_own_values_of_every_type():
    rows = metrics_rows(3)
    for i, row in enumerate(rows):
        row.reactions = 10 + i
        row.impressions = None if i == 1 else 1000 * i  # NULLs among numbers
        row.next_poll_at = None if i == 0 else T0 + timedelta(hours=i)
        row.last_read_day = date(2026, 3, 2 + i) if i else None
        row.note = f"it's row {i} — ✓"  # a quote and non-ASCII text
        row.stage = i
    assert bulk_update_values(rows, ["reactions", "impressions", "next_poll_at", "last_read_day", "note",
                                     "stage"]) == 3
    got = {m.pk: m for m in ShareMetrics.objects.all()}
    for i, row in enumerate(rows):
        fresh = got[row.pk]
        assert fresh.reactions == 10 + i and fresh.stage == i
        assert fresh.impressions == (None if i == 1 else 1000 * i)
        assert fresh.next_poll_at == (None if i == 0 else T0 + timedelta(hours=i))
        assert fresh.last_read_day == (date(2026, 3, 2 + i) if i else None)
        assert fresh.note == f"it's row {i} — ✓"


def test_only_the_named_fields_change():
    rows = metrics_rows(2)
    ShareMetrics.objects.filter(pk=rows[0].pk).update(comments=7)  # changed elsewhere meanwhile
    for row in rows:
        row.reactions, row.note = 99, "in memory only"
    bulk_update_values(rows, ["reactions"])
    fresh = ShareMetrics.objects.get(pk=rows[0].pk)
    assert (fresh.reactions, fresh.comments, fresh.note) == (99, 7, "old")


def test_one_statement_per_batch():
    rows = metrics_rows(5)
    for row in rows:
        row.polls = 3
    with CaptureQueriesContext(connection) as queries:
        assert bulk_update_values(rows, ["polls"], batch_size=2) == 5
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
    assert len(updates) == 3 and all("CASE" not in sql for sql in updates)
    assert set(ShareMetrics.objects.values_list("polls", flat=True)) == {3}


def test_a_row_deleted_meanwhile_is_not_written_back():
    rows = metrics_rows(2)
    ShareMetrics.objects.filter(pk=rows[1].pk).delete()
    for row in rows:
        row.reactions = 5
    assert bulk_update_values(rows, ["reactions"]) == 1
    assert list(ShareMetrics.objects.values_list("pk", "reactions")) == [(rows[0].pk, 5)]


def test_other_models_and_plain_primary_keys():
    teams = [Team.objects.create(name=f"T{i}", slug=f"t{i}") for i in range(3)]
    for team in teams:
        team.name = team.name.lower() + "'"
    bulk_update_values(teams, ["name"])
    assert sorted(Team.objects.values_list("name", flat=True)) == ["t0'", "t1'", "t2'"]


def test_nothing_to_do_makes_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_update_values([], ["reactions"]) == 0


@pytest.mark.parametrize("fields", [[], ["share"], ["no_such_field"]])
def test_bad_fields_are_refused_and_nothing_changes(fields):
    rows = metrics_rows(1)
    rows[0].reactions = 42
    with pytest.raises(Exception, match=r"bulk_update_values|has no field"):
        bulk_update_values(rows, fields)
    assert ShareMetrics.objects.get().reactions == 0


def test_unsaved_objects_and_mixed_models_are_refused():
    with pytest.raises(ValueError, match="saved objects"):
        bulk_update_values([Team(name="new")], ["name"])
    user = UserFactory()
    with pytest.raises(ValueError, match="one model"):
        bulk_update_values([Team.objects.create(name="a", slug="a"), user], ["name"])
