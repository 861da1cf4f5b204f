"""Set-based rollup SQL: ``INSERT … SELECT … GROUP BY`` run inside the database.

The incremental sweep rebuilds a handful of (share, day) pairs through the ORM. Rebuilding
*everything* (after a bulk import, for the demo data, to repair) that way would ship every
row through Python; these statements let the database do it in place, in share-id ranges
so that no single statement grows without bound. Portable between SQLite and PostgreSQL:
only "the UTC day of a timestamp" and "a day as YYYYMMDD" differ.
"""

from datetime import date, datetime

from django.db import connection, transaction

from accounts.models import User
from advocacy.models import Share, ShareStatus
from analytics.models import (
    Click,
    DailyTotals,
    EngagementSnapshot,
    ItemDay,
    PointsEntry,
    PointsKind,
    PointsMonth,
    ShareDay,
    ShareMetrics,
    TeamDay,
)
from content.models import ContentItem

COUNTERS = ("shares", "potential_reach", "estimated_impressions", "clicks", "unique_clicks", "previews",
            "reactions", "comments", "reshares", "impressions")


def _utc_day(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"  # SQLite stores UTC text: 'YYYY-MM-DD HH:MM:SS'


def _yyyymmdd(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYYMMDD')"
    return f"strftime('%%Y%%m%%d', {column})"


def _month_start(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _tables() -> dict[str, str]:
    return {
        "click": Click._meta.db_table, "snapshot": EngagementSnapshot._meta.db_table,
        "share": Share._meta.db_table, "metrics": ShareMetrics._meta.db_table, "user": User._meta.db_table,
        "item": ContentItem._meta.db_table, "shareday": ShareDay._meta.db_table,
        "totals": DailyTotals._meta.db_table, "itemday": ItemDay._meta.db_table,
        "teamday": TeamDay._meta.db_table, "points": PointsEntry._meta.db_table,
        "months": PointsMonth._meta.db_table,
    }


def share_days_insert_range(first_id: int, last_id: int) -> None:
    """Delete and re-insert ShareDay for shares ``first_id``..``last_id``."""
    t = _tables()
    sql = f"""
        INSERT INTO {t['shareday']} (share_id, day, network, user_id, item_id, campaign_id, team_id,
            {', '.join(COUNTERS)})
        SELECT a.share_id, a.day, s.network, s.user_id, s.item_id,
            CASE WHEN m.share_id IS NULL THEN i.campaign_id ELSE m.campaign_id END,
            CASE WHEN m.share_id IS NULL THEN u.team_id ELSE m.team_id END,
            {', '.join(f'a.{c}' for c in COUNTERS)}
        FROM (
            SELECT share_id, day, SUM(shares) AS shares, SUM(potential_reach) AS potential_reach,
                SUM(estimated_impressions) AS estimated_impressions, SUM(clicks) AS clicks,
                SUM(unique_clicks) AS unique_clicks, SUM(previews) AS previews, SUM(reactions) AS reactions,
                SUM(comments) AS comments, SUM(reshares) AS reshares, SUM(impressions) AS impressions
            FROM (
                SELECT share_id, day, 0 AS shares, 0 AS potential_reach, 0 AS estimated_impressions,
                    SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END) AS clicks,
                    COUNT(DISTINCT CASE WHEN kind = 1 THEN visitor_key END) AS unique_clicks,
                    SUM(CASE WHEN kind <> 1 THEN 1 ELSE 0 END) AS previews,
                    0 AS reactions, 0 AS comments, 0 AS reshares, 0 AS impressions
                FROM {t['click']} WHERE share_id BETWEEN %s AND %s GROUP BY share_id, day
                UNION ALL
                SELECT share_id, day, 0, 0, 0, 0, 0, 0, SUM(d_reactions), SUM(d_comments), SUM(d_reshares),
                    SUM(d_impressions)
                FROM {t['snapshot']} WHERE share_id BETWEEN %s AND %s GROUP BY share_id, day
                UNION ALL
                SELECT p.id, {_utc_day('p.posted_at')}, 1, COALESCE(p.audience_size, 0),
                    CASE WHEN pm.impressions IS NULL THEN COALESCE(p.audience_size, 0) ELSE 0 END,
                    0, 0, 0, 0, 0, 0, 0
                FROM {t['share']} p LEFT JOIN {t['metrics']} pm ON pm.share_id = p.id
                WHERE p.status = %s AND p.posted_at IS NOT NULL AND p.id BETWEEN %s AND %s
            ) parts
            GROUP BY share_id, day
        ) a
        JOIN {t['share']} s ON s.id = a.share_id
        JOIN {t['user']} u ON u.id = s.user_id
        JOIN {t['item']} i ON i.id = s.item_id
        LEFT JOIN {t['metrics']} m ON m.share_id = s.id
    """  # noqa: S608  (table names come from our models; values are parameters)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {t['shareday']} WHERE share_id BETWEEN %s AND %s",  # noqa: S608
                       [first_id, last_id])
        cursor.execute(sql, [first_id, last_id, first_id, last_id, ShareStatus.POSTED, first_id, last_id])


def daily_totals_insert(days: list[date] | None) -> None:
    """Re-sum DailyTotals, ItemDay and TeamDay for ``days`` (all days when None) from ShareDay,
    in one transaction (a reader sees the old day or the new one, never half of it)."""
    t = _tables()
    where, params = "", []
    if days is not None:
        where = f"WHERE day IN ({', '.join(['%s'] * len(days))})"
        params = list(days)
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    with transaction.atomic(), connection.cursor() as cursor:
        for table, keys in ((t["totals"], "day, network, campaign_id, team_id"),
                            (t["itemday"], "day, item_id, network, campaign_id"),
                            (t["teamday"], "day, network, team_id")):
            cursor.execute(f"DELETE FROM {table} {where}", params)  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} ({keys}, {', '.join(COUNTERS)}) "  # noqa: S608
                f"SELECT {keys}, {sums} FROM {t['shareday']} {where} GROUP BY {keys}",
                params,
            )


def points_insert_missing(rules: dict[str, int], now: datetime) -> None:
    """Insert the ledger lines the data justifies and the ledger lacks (existing lines are
    left alone; ``points.points_for_share_days`` corrects their quantities)."""
    t = _tables()
    posted = ShareStatus.POSTED
    statements = []
    conflict = "ON CONFLICT (kind, event_key) DO NOTHING"
    columns = "user_id, team_id, share_id, kind, event_key, day, quantity, unit_points, points, created_at, updated_at"
    if PointsKind.SHARE in rules:
        statements.append((
            f"INSERT INTO {t['points']} ({columns}) "  # noqa: S608
            f"SELECT s.user_id, u.team_id, s.id, %s, CAST(s.id AS TEXT), {_utc_day('s.posted_at')}, 1, %s, %s, %s, %s "
            f"FROM {t['share']} s JOIN {t['user']} u ON u.id = s.user_id "
            f"WHERE s.status = %s AND s.posted_at IS NOT NULL {conflict}",
            [PointsKind.SHARE, rules[PointsKind.SHARE], rules[PointsKind.SHARE], now, now, posted],
        ))
    if PointsKind.FIRST_SHARE in rules:
        statements.append((
            f"INSERT INTO {t['points']} ({columns}) "  # noqa: S608
            f"SELECT f.user_id, u.team_id, NULL, %s, CAST(f.user_id AS TEXT), {_utc_day('f.first_at')}, 1, %s, %s, "
            f"%s, %s FROM (SELECT user_id, MIN(posted_at) AS first_at FROM {t['share']} "
            f"WHERE status = %s AND posted_at IS NOT NULL GROUP BY user_id) f "
            f"JOIN {t['user']} u ON u.id = f.user_id WHERE true {conflict}",
            [PointsKind.FIRST_SHARE, rules[PointsKind.FIRST_SHARE], rules[PointsKind.FIRST_SHARE], now, now, posted],
        ))
    for kind, quantity in ((PointsKind.CLICK, "d.unique_clicks"),
                           (PointsKind.ENGAGEMENT, "(d.reactions + d.comments + d.reshares)")):
        if kind not in rules:
            continue
        statements.append((
            f"INSERT INTO {t['points']} ({columns}) "  # noqa: S608
            f"SELECT d.user_id, d.team_id, d.share_id, %s, CAST(d.share_id AS TEXT) || ':' || {_yyyymmdd('d.day')}, "
            f"d.day, {quantity}, %s, {quantity} * %s, %s, %s "
            f"FROM {t['shareday']} d JOIN {t['share']} s ON s.id = d.share_id "
            f"WHERE s.status = %s AND {quantity} > 0 {conflict}",
            [kind, rules[kind], rules[kind], now, now, posted],
        ))
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def points_months_insert_all() -> None:
    """Rebuild PointsMonth from the whole ledger."""
    t = _tables()
    month = _month_start("day")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {t['months']}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {t['months']} (user_id, team_id, month, points) "  # noqa: S608
            f"SELECT user_id, team_id, {month}, SUM(points) FROM {t['points']} "
            f"GROUP BY user_id, team_id, {month}"
        )
