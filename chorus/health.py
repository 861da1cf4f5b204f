"""/healthz: database, broker and worker/beat heartbeats, as JSON; and each network's
circuit breaker, as information: an open breaker means LinkedIn or X is failing and shares
wait for it, not that Chorus is down, so it never makes the answer a 503."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from advocacy.heartbeat import heartbeat_ages
from advocacy.services.breaker import breaker_state
from networks.registry import NETWORKS


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _check_broker() -> dict:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _breakers(broker_ok: bool) -> dict[str, dict]:
    """Each network's breaker (``closed``, ``open``, ``half_open``). Read only when Redis has
    just answered the broker check (1 s timeouts), so a hung Redis costs that check alone."""
    if not broker_ok:
        return {network: {"state": "unknown"} for network in NETWORKS}
    result = {}
    for network in NETWORKS:
        state = breaker_state(network)
        result[network] = {"state": state["state"], "waiting": state["waiting"]}
        if "failures" in state:
            result[network]["failures"] = int(state["failures"])
    return result


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict] = {"database": _check_database(), "broker": _check_broker()}
    max_age = settings.HEARTBEAT_MAX_AGE_SECONDS
    if checks["database"]["ok"]:
        for name, age in heartbeat_ages().items():
            ok = age is not None and age <= max_age
            checks[name] = {"ok": ok, "age_seconds": None if age is None else round(age, 1)}
    else:
        checks["worker"] = checks["beat"] = {"ok": False, "error": "database unavailable"}
    down = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ok" if not down else "down", "down": down, "checks": checks,
            "breakers": _breakers(checks["broker"]["ok"])}
    return JsonResponse(body, status=200 if not down else 503)
