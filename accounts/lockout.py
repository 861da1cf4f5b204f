"""Login lockouts: Chorus's side of django-axes (configured in chorus/settings/security.py).

axes counts failed ``authenticate(request, username=…, password=…)`` calls. Chorus adds:
one limit per lockout parameter (the account's and the client's, instead of one shared
limit), lockouts in the log, a generic 429 page, and the client address behind proxies.

A future credential check that does not go through ``authenticate()`` (an API token, say)
asks ``login_allowed`` first and reports a miss with ``login_failed``; both count against
the same account and client as the login forms.
"""

import logging
from collections.abc import Hashable, Iterable
from functools import partial
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import F, Field, Func, IntegerField, Model, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.compiled import CompiledQuery

logger = logging.getLogger(__name__)

LOCKED_OUT_MESSAGE = "Too many failed attempts. Please wait a while, then try again."


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account an attempt counts against: the email as typed, case-folded (the login
    finds the account case-insensitively, so ``Ann@…`` and ``ann@…`` share one count)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().casefold()[:255]


def _limits() -> dict[str, int]:
    return {
        "username": settings.LOGIN_FAILURES_PER_ACCOUNT,
        "ip_address": settings.LOGIN_FAILURES_PER_CLIENT,
    }


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per lockout parameter.

    axes compares one failure count with one limit (``AXES_FAILURE_LIMIT``, the account's).
    ``get_failures`` therefore reports the count that is closest to its own limit, shifted
    onto the account's scale: ``failures + account_limit - own_limit``.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        return self.worst(
            (key, attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)
            for key, attempts in self.counted_attempts(request, credentials)
        )

    def counted_attempts(self, request: HttpRequest, credentials: dict | None) -> list[tuple[str, QuerySet]]:
        """(limit key, recent attempts) for each lockout parameter this attempt counts against."""
        has_username = get_client_username(request, credentials) is not None
        parameters = get_lockout_parameters(request, credentials)
        return [
            (parameter if isinstance(parameter, str) else "", attempts)
            for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True)
            # no account named: not everyone's shared "None" account
            if not (parameter == "username" and not has_username)
        ]

    def counted_filters(self, request: HttpRequest, credentials: dict | None) -> list[tuple[str, dict[str, Any]]]:
        """``counted_attempts`` as (limit key, column filters), before any queryset is made
        (axes' ``filter_user_attempts`` makes its querysets from the same filters; the
        cool-off threshold is the caller's)."""
        username = get_client_username(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        filters = get_client_parameters(username, request.axes_ip_address, request.axes_user_agent, request,
                                        credentials)
        return [
            (parameter if isinstance(parameter, str) else "", kwargs)
            for parameter, kwargs in zip(parameters, filters, strict=True)
            if not (parameter == "username" and username is None)
        ]

    @staticmethod
    def worst(failures: Iterable[tuple[str, int]]) -> int:
        """The count closest to its own limit, on the account's scale (see the class)."""
        limits = _limits()
        account_limit = settings.AXES_FAILURE_LIMIT
        return max([0, *(n + account_limit - limits.get(key, account_limit) for key, n in failures)])

    def user_login_failed(self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any):
        already = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and getattr(request, "axes_locked_out", False):
            # Never the password; the admin has the full record (Axes > Access failures).
            logger.warning(
                "login %s: account=%r client=%s path=%s",
                "refused during lockout" if already else "locked out",
                get_client_username(request, credentials),
                request.axes_ip_address,
                request.axes_path_info,
            )

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful login, forget the failures on that account (from any client),
        and only those: a sprayer must not clear its address's failures on other accounts
        by logging in to its own."""
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The same 429 for every lockout: it names no account and says nothing about whether
    one exists or which limit was reached."""
    retry_after = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and "text/html" not in accept:
        response: HttpResponse = JsonResponse(
            {"error": {"code": "locked_out", "message": LOCKED_OUT_MESSAGE, "field": None}}, status=429
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": settings.LOGIN_LOCKOUT_MINUTES},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response


def login_allowed(request: HttpRequest, *, username: str | None) -> bool:
    """May this client try a credential for ``username`` now? (For checks outside
    ``authenticate()``; the login forms are covered by the axes backend.)"""
    return AxesProxyHandler.is_allowed(request, {settings.AXES_USERNAME_FORM_FIELD: username})


def login_failed(request: HttpRequest, *, username: str | None) -> None:
    """Count a failed credential check made outside ``authenticate()``."""
    user_login_failed.send(
        sender=__name__, credentials={settings.AXES_USERNAME_FORM_FIELD: username}, request=request
    )


def first_if_login_allowed(
    request: HttpRequest, rows: CompiledQuery, values: dict[str, Any], *, username: str | None,
    own_shape: Hashable = (),
) -> tuple[bool, Model | None]:
    """``login_allowed`` and then the credential's row (``rows`` bound to ``values``), in one
    query.

    The failure counts ride along as subqueries of the row's query, so a credential check
    on every request (an API token) costs one round trip, not two, and the statement is
    compiled once per process and lockout shape (core.compiled). When there is no row to
    carry them (an unknown credential), the counts are asked on their own, as
    ``login_allowed`` does. Returns (allowed, row); the row is None when not allowed.
    """
    credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    if (
        not isinstance(handler, LoginLockoutHandler)
        or not settings.AXES_LOCK_OUT_AT_FAILURE
        or (settings.AXES_ONLY_ADMIN_SITE and not handler.is_admin_request(request))
        or handler.is_blacklisted(request, credentials)
        or handler.is_whitelisted(request, credentials)
    ):
        # Decided without counting failures: axes' own check, in its order.
        allowed = handler.is_allowed(request, credentials)
        return allowed, (next(iter(rows.rows(values, shape=own_shape)), None) if allowed else None)
    counted = handler.counted_filters(request, credentials)
    threshold = get_cool_off_threshold(request) if settings.AXES_COOLOFF_TIME is not None else None
    # The shape: which columns each count compares, which of them are NULL, and whether
    # old attempts are left out; the values are bound to it.
    shape = (threshold is not None, tuple(
        (key, tuple((column, value is None) for column, value in filters.items())) for key, filters in counted
    ))
    bound = {**values, **{f"{i}:{column}": value for i, (_, filters) in enumerate(counted)
                          for column, value in filters.items() if value is not None}}
    if threshold is not None:
        bound["since"] = threshold
    found = _with_failures(rows).rows(bound, shape=(shape, own_shape))
    if not found:
        return handler.is_allowed(request, credentials), None
    row = found[0]
    failures = handler.worst((key, getattr(row, f"_lockout_failures_{i}")) for i, (key, _) in enumerate(counted))
    if failures >= get_failure_limit(request, credentials):
        return False, None
    return True, row


_WITH_FAILURES: dict[CompiledQuery, CompiledQuery] = {}


def _with_failures(rows: CompiledQuery) -> CompiledQuery:
    """``rows`` with one failure count per counted lockout parameter, as subqueries
    (``_lockout_failures_<i>``). Its values: those of ``rows``, ``"<i>:<column>"`` for the
    i-th count's filters, and ``"since"`` (the cool-off threshold); the shape (see
    ``first_if_login_allowed``) says which there are and which columns are NULL."""
    compiled = _WITH_FAILURES.get(rows)
    if compiled is None:
        compiled = _WITH_FAILURES.setdefault(rows, CompiledQuery(partial(_failures_build, rows), partial(_field_for, rows)))
    return compiled


def _failures_build(rows: CompiledQuery, shape: tuple, values: dict[str, Any]) -> QuerySet:
    (cooled_off, counts), own_shape = shape[0], shape[1]
    own = {name: value for name, value in values.items() if ":" not in name and name != "since"}
    annotations = {}
    for i, (_, columns) in enumerate(counts):
        filters = {f"{column}__isnull" if is_null else column: True if is_null else values[f"{i}:{column}"]
                   for column, is_null in columns}
        if cooled_off:
            filters["attempt_time__gte"] = values["since"]
        annotations[f"_lockout_failures_{i}"] = Coalesce(
            Subquery(_sum_of_failures(AccessAttempt.objects.filter(**filters))), Value(0), output_field=IntegerField()
        )
    return rows.build(own_shape, own).annotate(**annotations)


def _field_for(rows: CompiledQuery, name: str) -> Field:
    if name == "since":
        return AccessAttempt._meta.get_field("attempt_time")
    if ":" in name:
        return AccessAttempt._meta.get_field(name.split(":", 1)[1])
    return rows.field_for(name)


def _sum_of_failures(attempts: QuerySet) -> QuerySet:
    # SUM without GROUP BY (a plain Func, not an aggregate): one row, NULL when none.
    return attempts.order_by().annotate(
        _failures=Func(F("failures_since_start"), function="SUM", output_field=IntegerField())
    ).values("_failures")[:1]
