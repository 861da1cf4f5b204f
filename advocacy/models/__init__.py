"""Sharing & engagement domain models."""

from .accounts import AccountStatus, SocialAccount
from .misc import Heartbeat, ProgrammeSettings
from .onboarding import Onboarding, PolicyAcceptance, PolicyVersion, TopicFollow
from .shares import Share, ShareStatus

__all__ = [
    "AccountStatus",
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
