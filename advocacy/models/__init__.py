"""Sharing & engagement domain models."""

from .accounts import AccountStatus, SocialAccount
from .feed import FeedVersion
from .misc import Heartbeat, ProgrammeSettings
from .onboarding import Onboarding, PolicyAcceptance, PolicyVersion, TopicFollow
from .shares import Share, ShareStatus

__all__ = [
    "AccountStatus",
    "FeedVersion",
    "Heartbeat",
    "Onboarding",
    "PolicyAcceptance",
    "PolicyVersion",
    "ProgrammeSettings",
    "Share",
    "ShareStatus",
    "SocialAccount",
    "TopicFollow",
]
