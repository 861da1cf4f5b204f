"""Sharing & engagement domain models."""

from .accounts import AccountStatus, SocialAccount
from .misc import Heartbeat, ProgrammeSettings
from .shares import Share, ShareStatus

__all__ = [
    "AccountStatus",
    "Heartbeat",
    "ProgrammeSettings",
    "Share",
    "ShareStatus",
    "SocialAccount",
]
