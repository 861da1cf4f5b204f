"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the
reference ``standardwebhooks`` library so receivers can verify with any of its ports."""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105  (the spec's marker, not a secret)
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes


def new_secret() -> str:
    """A fresh signing secret in the spec's serialisation: ``whsec_`` + base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(*, secrets_: list[str], msg_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three ``webhook-*`` headers for ``body`` sent at ``at`` (the attempt's time, whole
    seconds): one ``v1,`` signature per secret, space separated, so a receiver holding
    either the new or the previous secret accepts it during a rotation."""
    at = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
