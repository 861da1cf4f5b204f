"""core.compiled: a query compiled once per shape, re-bound with other values, gives what
the ORM gives (instances, select_related objects, annotations, converted values)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services.api_tokens import api_token_create
from core.compiled import CompiledQuery, prepared_cursor
from tests.factories import advocate

pytestmark = pytest.mark.django_db


def _tokens(shape, values):
    calls.append(shape)
    return (ApiToken.objects.select_related("user").filter(Q(user__email=values["email"]) | Q(prefix=values["prefix"]))
            .filter(created_at__gte=values["since"]).annotate(n=Count("pk")).order_by("pk"))


calls: list = []
TOKENS = CompiledQuery(_tokens, lambda name: {"email": User, "prefix": ApiToken, "since": ApiToken}[name]._meta
                       .get_field({"email": "email", "prefix": "prefix", "since": "created_at"}[name]))


def _orm(**values):
    return list(_tokens("orm", values))


def test_rows_are_what_the_orm_gives_for_every_binding(django_assert_num_queries):
    calls.clear()
    ann, bob = advocate(email="ann@example.com"), advocate(email="bob@example.com")
    made = [api_token_create(user=u, name=f"t{i}", scope="read", expires_in_days=5) for i, u in
            enumerate((ann, ann, bob))]
    hour_ago = timezone.now() - timedelta(hours=1)
    for values in ({"email": "ann@example.com", "prefix": "nothing", "since": hour_ago},
                   {"email": "nobody@example.com", "prefix": made[2].token.prefix, "since": hour_ago},
                   {"email": "bob@example.com", "prefix": made[0].token.prefix, "since": hour_ago},
                   {"email": "ann@example.com", "prefix": "x", "since": timezone.now() + timedelta(hours=1)}):
        expected = _orm(**values)
        with django_assert_num_queries(1):  # the owner comes with the row (select_related)
            got = TOKENS.rows(values)
            owners = [t.user.email for t in got]
        assert [(t.pk, t.prefix, t.digest, t.created_at, t.n) for t in got] == \
               [(t.pk, t.prefix, t.digest, t.created_at, t.n) for t in expected]
        assert owners == [t.user.email for t in expected]
        assert all(t.created_at.tzinfo is not None for t in got)  # converters applied
        assert got == expected  # model equality: same pks
    assert [c for c in calls if c != "orm"] == [()]  # compiled once for the shape, then re-bound
    assert len(_orm(email="ann@example.com", prefix="nothing", since=hour_ago)) == 2


def test_a_new_shape_is_compiled_on_its_own():
    calls.clear()
    TOKENS.rows({"email": "a@example.com", "prefix": "p", "since": timezone.now()}, shape="other")
    TOKENS.rows({"email": "a@example.com", "prefix": "p", "since": timezone.now()}, shape="other")
    assert calls == ["other"]


def test_none_is_refused_it_would_change_the_sql():
    with pytest.raises(ValueError, match="IS NULL"):
        TOKENS.rows({"email": None, "prefix": "p", "since": timezone.now()})


def test_a_value_the_sql_does_not_carry_is_refused():
    unused = CompiledQuery(lambda shape, values: User.objects.all(), lambda name: User._meta.get_field("email"))
    with pytest.raises(ValueError, match="does not reach the SQL"):
        unused.rows({"email": "ann@example.com"})


def _prepared_here() -> list[str]:
    """The statements this connection keeps prepared (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_on_postgresql_a_compiled_query_is_planned_once_per_connection():
    ann = advocate(email="ann@example.com")
    made = api_token_create(user=ann, name="t", scope="read", expires_in_days=5)
    values = {"email": "nobody@example.com", "prefix": made.token.prefix, "since": timezone.now() - timedelta(hours=1)}
    with CaptureQueriesContext(connection) as ctx:  # logged and counted like any query
        for _ in range(3):
            assert [t.pk for t in TOKENS.rows(values)] == [made.token.pk]
    assert len(ctx.captured_queries) == 3
    assert "accounts_apitoken" in ctx.captured_queries[0]["sql"] and made.token.prefix in ctx.captured_queries[2]["sql"]
    if connection.vendor != "postgresql":  # SQLite has nothing to prepare: the usual cursor
        with prepared_cursor() as cursor:
            assert cursor.cursor.__class__.__module__.startswith("django.db.backends.sqlite3")
        return
    mine = [sql for sql in _prepared_here() if "accounts_apitoken" in sql]
    assert len(mine) == 1  # prepared on its first run, reused by the next two
    assert "$1" in mine[0]  # bound on the server, not inlined
    # Time zones come back as Django gives them on this connection.
    assert TOKENS.rows(values)[0].created_at == ApiToken.objects.get(pk=made.token.pk).created_at


def test_prepared_statements_can_be_turned_off_for_a_pooler(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    ann = advocate(email="ann@example.com")
    made = api_token_create(user=ann, name="t", scope="read", expires_in_days=5)
    values = {"email": "nobody@example.com", "prefix": made.token.prefix, "since": timezone.now() - timedelta(hours=1)}
    for _ in range(3):
        assert [t.pk for t in TOKENS.rows(values)] == [made.token.pk]
    if connection.vendor == "postgresql":
        assert not [sql for sql in _prepared_here() if "accounts_apitoken" in sql]
