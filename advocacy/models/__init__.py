"""Sharing & engagement domain models."""

from .accounts import AccountStatus, SocialAccount
from .misc import Heartbeat, Notification, ProgrammeSettings
from .shares import Share, ShareStatus

__all__ = [
    "AccountStatus",
    "Heartbeat",
    "Notification",
    "ProgrammeSettings",
    "Share",
    "ShareStatus",
    "SocialAccount",
]
