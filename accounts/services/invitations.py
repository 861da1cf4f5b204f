"""Invitations: a signed, expiring link that lets an employee set a password and opt in.

The token signs the user id and the user's ``invitation_nonce``; accepting (or
re-inviting) changes the nonce, so a link works once and older links die.
"""

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, _new_nonce
from accounts.services.users import user_opt_in
from accounts.signals import person_joined
from core import audit
from core.queueing import enqueue

logger = logging.getLogger(__name__)
_SALT = "chorus.accounts.invitation"


class InvitationError(Exception):
    """An invitation link that cannot be used; ``str()`` is shown to the employee."""


class InvitationExpired(InvitationError):
    pass


class InvitationInvalid(InvitationError):
    pass


class InvitationUsed(InvitationError):
    pass


def invitation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "n": user.invitation_nonce}, salt=_SALT, compress=True)


def invitation_url(user: User) -> str:
    return settings.SITE_URL + reverse("accept_invitation", args=[invitation_token(user)])


def invitation_user_from_token(token: str) -> User:
    """The user a token invites, or an ``InvitationError`` saying why not."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvitationExpired(
            "This invitation has expired. Ask your Chorus administrator to send a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid("This invitation link is not valid. Check that you copied all of it.") from exc
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None:
        raise InvitationInvalid("This invitation link is not valid any more.")
    if user.invitation_accepted_at is not None:
        raise InvitationUsed("You have already accepted this invitation. Log in with your email and password.")
    if data.get("n") != user.invitation_nonce:
        raise InvitationInvalid("This invitation was replaced by a newer one. Use the link in the latest email.")
    return user


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> User:
    user.set_password(password)
    user.invitation_accepted_at = timezone.now()
    user.invitation_nonce = _new_nonce()
    user.save(update_fields=["password", "invitation_accepted_at", "invitation_nonce"])
    user_opt_in(user=user)
    transaction.on_commit(lambda: person_joined.send(sender=User, user=user, how="invitation"))
    return user


def invitations_mark_pending(*, user_ids: list[int]) -> None:
    """Record that these users are to be invited; the sending happens in a task."""
    now = timezone.now()
    User.objects.filter(pk__in=user_ids).update(invited_at=now, invitation_sent_at=None)
    audit.record_many(
        audit.entry(user, event="invitation requested", changes={"invited_at": ["", now.isoformat()]})
        for user in User.objects.filter(pk__in=user_ids).only("pk", "email", "full_name")
    )
    enqueue("notify.send_invitations", list(user_ids))


def invitation_send(*, user: User) -> None:
    """Email the invitation to ``user`` and stamp ``invitation_sent_at``."""
    context = {
        "user": user,
        "url": invitation_url(user),
        "site_name": settings.SITE_NAME,
        "days": settings.INVITATION_MAX_AGE // 86400,
    }
    message = EmailMultiAlternatives(
        subject=f"You're invited to {settings.SITE_NAME}",
        body=render_to_string("emails/invitation.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()
    User.objects.filter(pk=user.pk).update(invitation_sent_at=timezone.now())
    audit.record(user, event="invitation sent", extra={"to": user.email})
