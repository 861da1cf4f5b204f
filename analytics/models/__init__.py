"""Analytics models: raw events (clicks, engagement snapshots), latest totals per share,
daily rollups, EMV rate versions, enrolment snapshots and the points ledger.

Nothing here adds a column to another app's table: per-share data hangs off a
one-to-one ``ShareMetrics``.
"""

from .clicks import Click, ClickKind, DailySalt, Device
from .denials import MetricsDenial
from .engagement import ApiUsage, EngagementSnapshot, ShareMetrics
from .enrolment import EnrolmentSnapshot
from .panels import PanelSnapshot
from .points import PointsEntry, PointsKind, PointsMonth, PointsRule
from .rollups import DailyTotals, ItemDay, RollupCursor, ShareDay, TeamDay
from .valuation import EmvRate

__all__ = [
    "ApiUsage",
    "Click",
    "ClickKind",
    "DailySalt",
    "DailyTotals",
    "Device",
    "EmvRate",
    "EngagementSnapshot",
    "EnrolmentSnapshot",
    "ItemDay",
    "MetricsDenial",
    "PanelSnapshot",
    "PointsEntry",
    "PointsKind",
    "PointsMonth",
    "PointsRule",
    "RollupCursor",
    "ShareDay",
    "ShareMetrics",
    "TeamDay",
]
