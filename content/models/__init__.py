"""Content library: campaigns, topics, items (with suggested texts and history),
feed sources, employee suggestions and the global compliance settings."""

from .campaigns import Campaign, Topic
from .compliance import ComplianceSettings
from .feeds import FeedSource
from .items import (
    ContentChange,
    ContentItem,
    ContentStatus,
    ContentType,
    Network,
    PreviewStatus,
    ShareText,
)
from .revisions import ContentRevision, RevisionStatus
from .suggestions import ContentSuggestion, SuggestionStatus

__all__ = [
    "Campaign",
    "ComplianceSettings",
    "ContentChange",
    "ContentItem",
    "ContentRevision",
    "ContentStatus",
    "ContentSuggestion",
    "ContentType",
    "FeedSource",
    "Network",
    "PreviewStatus",
    "RevisionStatus",
    "ShareText",
    "SuggestionStatus",
    "Topic",
]
