"""What advocacy holds about a person, for "My data" and account deletion
(``accounts.services.privacy``): their connections and their shares.

On deletion the connections go entirely: each grant is revoked at the provider through
the Disconnect path (``account_disconnect``: tokens deleted even when the provider does
not answer), then the rows are deleted. Shares stay, because campaign and team numbers
count them, but carry nothing of the person any more: their words (``text``,
``final_text``), the address of their post, its id and any error message are cleared,
and they point at the anonymised user. Shares still waiting to go out are cancelled.
Tracked links keep redirecting: the posts themselves are still on LinkedIn and X.
"""

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from accounts.models import User
from accounts.services.privacy import PersonalData, register_personal_data
from advocacy.models import Share, ShareStatus, SocialAccount
from advocacy.services.connections import account_disconnect

UNSENT = (ShareStatus.SCHEDULED, ShareStatus.QUEUED)


def connections_export(user: User) -> list[dict[str, Any]]:
    """The connections without their tokens (secrets are never exported)."""
    return [
        {
            "network": a.network,
            "remote_id": a.remote_id,
            "handle": a.handle,
            "display_name": a.display_name,
            "avatar_url": a.avatar_url,
            "audience_size": a.audience_size,
            "scopes": a.scopes.split(),
            "status": a.status,
            "last_error": a.last_error,
            "connected_at": a.connected_at,
            "expires_at": a.expires_at,
            "last_refreshed_at": a.last_refreshed_at,
        }
        for a in SocialAccount.objects.filter(user=user).order_by("network")
        .only("network", "remote_id", "handle", "display_name", "avatar_url", "audience_size", "scopes",
              "status", "last_error", "connected_at", "expires_at", "last_refreshed_at")
    ]


def shares_export(user: User) -> Iterator[dict[str, Any]]:
    shares = (
        Share.objects.filter(user=user).order_by("created_at", "pk")
        .values("id", "item__title", "item__url", "network", "text", "final_text", "edited", "status",
                "scheduled_for", "posted_at", "remote_url", "link_code", "error_message", "audience_size",
                "created_at")
    )
    for s in shares.iterator(chunk_size=1000):
        yield {
            "id": s["id"], "item": s["item__title"], "item_url": s["item__url"], "network": s["network"],
            "text": s["text"], "final_text": s["final_text"], "edited": s["edited"], "status": s["status"],
            "scheduled_for": s["scheduled_for"], "posted_at": s["posted_at"], "post_url": s["remote_url"],
            "tracked_link": Share(link_code=s["link_code"]).tracked_url, "error": s["error_message"],
            "audience_size": s["audience_size"], "created_at": s["created_at"],
        }


def connections_revoke(user: User) -> dict[str, int]:
    """Revoke every grant still held (before the deletion's transaction: these are calls
    to LinkedIn and X). Safe to repeat: a connection without tokens calls nothing."""
    revoked = unconfirmed = 0
    for account in SocialAccount.objects.filter(user=user):
        if not (account.access_token or account.refresh_token):
            continue
        if account_disconnect(account=account):
            revoked += 1
        else:
            unconfirmed += 1
    return {"connections revoked": revoked, "connections revoked without the provider's answer": unconfirmed}


def advocacy_erase(user: User) -> dict[str, int]:
    """Inside the deletion's transaction: connections deleted, shares anonymised."""
    counts = connections_revoke(user)  # a token renewed since the first pass (rare) is revoked too
    connections = SocialAccount.objects.filter(user=user).delete()[1].get(SocialAccount._meta.label, 0)
    cancelled = Share.objects.filter(user=user, status__in=UNSENT).update(
        status=ShareStatus.CANCELLED, updated_at=timezone.now()
    )
    # Not ``updated_at``: a posted share whose row changes is re-read by the rollup sweep,
    # and nothing it counts changes here.
    anonymised = Share.objects.filter(user=user).update(
        text="", final_text="", remote_url="", remote_id="", error_message="", error_code="",
    )
    return {
        "connections deleted": connections,
        "shares anonymised": anonymised,
        "shares cancelled": cancelled,
        **{k: v for k, v in counts.items() if v},
    }


def register() -> None:
    register_personal_data(
        PersonalData(
            "connections", "Connections",
            "your LinkedIn and X connections: account, handle, audience, permissions (never the tokens).",
            export=connections_export, position=30,
            count=lambda user: SocialAccount.objects.filter(user=user).count(),
            revoke=connections_revoke,
        ),
        PersonalData(
            "shares", "Shares", "everything you shared or scheduled, with your texts and where it went.",
            export=shares_export, position=40,
            count=lambda user: Share.objects.filter(user=user).count(),
            erase=advocacy_erase,
        ),
    )
