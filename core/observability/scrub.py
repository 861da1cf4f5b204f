"""Taking secrets (and, for error reports, personal data) out of text before it leaves.

Used on every log line (``core.observability.logs``) and on every Sentry event
(``core.observability.sentry``). The patterns are about *shape*: an ``Authorization``
value, ``access_token=…``, ``?code=…&state=…`` in a URL, an email address. Provider error
text has its own redaction with the request's known secrets (``networks.wire.redact``);
this is the last line of defence for whatever else might carry one.
"""

import re

_REDACTED = "[redacted]"

# "Bearer abc…", "Basic dXNl…" (an "Authorization: Token …" header is a field below).
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}")
# access_token=…, "refresh_token": "…", client_secret: …, password=…, api_key=…
_SECRET_FIELD = re.compile(
    r"(?i)\b((?:access|refresh|id)_token|client_secret|code_verifier|password|passwd|api_key|apikey"
    r"|secret_key|secret|token|private_key|session_?id|csrftoken|authorization|cookie)"
    r"((?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)((?:Bearer|Basic|Token)\s+)?[^\s\"'&,;)\]}>\\]+"
)
# Query or form parameters that are secrets in an OAuth/SAML/SSO or unsubscribe URL.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:code|state|token|access_token|refresh_token|id_token|client_secret|code_verifier|key"
    r"|signature|sig|samlresponse|samlrequest|relaystate|oauth_token|oauth_verifier|nonce)=)[^&#\s\"'\\]+"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")


def scrub_secrets(text: str) -> str:
    """``text`` without credentials: authorisation values, token fields, secret URL parameters."""
    if not text:
        return text
    text = _SECRET_FIELD.sub(rf"\1\2{_REDACTED}", text)
    text = _AUTH_SCHEME.sub(rf"\1\2{_REDACTED}", text)
    return _SECRET_PARAM.sub(rf"\1{_REDACTED}", text)


def scrub_personal(text: str) -> str:
    """``scrub_secrets``, and email addresses too (for reports that leave the house)."""
    return _EMAIL.sub("[email]", scrub_secrets(text))
