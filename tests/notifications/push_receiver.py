"""A push service and a browser, for the Web Push tests, written from the RFCs rather than
from the libraries Chorus sends with.

``PushReceiver`` is a push service on loopback (RFC 8030): it records each POST and answers
with the status set for its path (201 by default). ``BrowserKeys`` is what a browser makes
when it subscribes: a P-256 key pair and a 16-byte auth secret; ``decrypt`` reverses RFC 8291
(aes128gcm, RFC 8188) by hand with ``cryptography``'s ECDH, HKDF and AES-GCM, and
``verify_vapid`` checks the RFC 8292 Authorization header's JWT with PyJWT.
"""

import base64
import json
import os
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(*, salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass
class BrowserKeys:
    """A subscription's secrets, as ``PushManager.subscribe()`` makes them."""

    private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)

    def subscription_json(self, endpoint: str) -> dict:
        """What ``PushSubscription.toJSON()`` gives the page."""
        return {"endpoint": endpoint, "expirationTime": None,
                "keys": {"p256dh": b64(self.public_bytes), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 section 3.4 and RFC 8188 section 2, one record."""
        salt, record_size, id_length = body[:16], struct.unpack("!I", body[16:20])[0], body[20]
        sender_public = body[21:21 + id_length]
        ciphertext = body[21 + id_length:]
        assert id_length == 65 and len(ciphertext) <= record_size, "one record, keyid = the sender's public key"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        ecdh_secret = self.private.exchange(ec.ECDH(), sender)
        key_info = b"WebPush: info\x00" + self.public_bytes + sender_public
        ikm = _hkdf(salt=self.auth, ikm=ecdh_secret, info=key_info, length=32)
        cek = _hkdf(salt=salt, ikm=ikm, info=b"Content-Encoding: aes128gcm\x00", length=16)
        nonce = _hkdf(salt=salt, ikm=ikm, info=b"Content-Encoding: nonce\x00", length=12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        unpadded = padded.rstrip(b"\x00")
        assert unpadded.endswith(b"\x02"), "the last record ends with the 0x02 delimiter"
        return unpadded[:-1]

    def payload(self, body: bytes) -> dict:
        return json.loads(self.decrypt(body))


def verify_vapid(authorization: str, *, audience: str) -> tuple[dict, str]:
    """Check ``vapid t=<JWT>, k=<public key>``: an ES256 JWT signed by the key in ``k``, for
    ``audience`` (the push service's origin). Returns (claims, k)."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
    claims = jwt.decode(parts["t"], key=key, algorithms=["ES256"], audience=audience,
                        options={"require": ["exp", "aud", "sub"]})
    return claims, parts["k"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class PushReceiver:
    """A push service on 127.0.0.1 (plain HTTP: the tests list it in ``PUSH_EXTRA_HOSTS``)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.get(self.path, 201)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def to(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path == f"/push/{name}"]

    def __enter__(self) -> "PushReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
