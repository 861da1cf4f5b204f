"""Links signed once per process's signer (notifications.emails._Signer) are Django's
signing.dumps tokens: verified by signing.loads and by the views, refused when altered."""

import pytest
from django.core import signing
from django.utils import timezone

from notifications.emails import (
    _SHARE_SALT,
    _UNSUBSCRIBE_SALT,
    _Signer,
    share_link_item_id,
    share_link_token,
    unsubscribe_delivery_id,
    unsubscribe_token,
)
from notifications.models import EmailDelivery
from tests.notifications.helpers import item_for, person


@pytest.mark.parametrize("value", ["", "eyJ1IjoxLCJpIjoyfQ:1vQ2xY", "é ünïcode", "x" * 500])
def test_the_signature_is_djangos(value):
    for salt in (_SHARE_SALT, _UNSUBSCRIBE_SALT, "other"):
        assert _Signer(salt=salt).signature(value) == signing.TimestampSigner(salt=salt).signature(value)


def test_tokens_are_what_signing_dumps_makes(monkeypatch):
    monkeypatch.setattr(signing.time, "time", lambda: 1_764_547_200.5)  # one second for both
    assert share_link_token(user_id=12, item_id=345) == signing.dumps({"u": 12, "i": 345}, salt=_SHARE_SALT)
    assert unsubscribe_token(678) == signing.dumps({"d": 678}, salt=_UNSUBSCRIBE_SALT)


def test_tokens_verify_and_altered_ones_do_not(settings):
    token = share_link_token(user_id=7, item_id=99)
    assert share_link_item_id(token) == 99
    assert signing.loads(token, salt=_SHARE_SALT) == {"u": 7, "i": 99}
    assert unsubscribe_delivery_id(unsubscribe_token(5)) == 5
    with pytest.raises(signing.BadSignature):
        share_link_item_id(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(signing.BadSignature):
        unsubscribe_delivery_id(token)  # the other salt
    # A rotated SECRET_KEY signs with the new key (a signer per key), old links verify while
    # the old key is a fallback.
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    fresh = share_link_token(user_id=7, item_id=98)
    assert share_link_item_id(fresh) == 98 and fresh.split(":")[-1] != token.split(":")[-1]
    with pytest.raises(signing.BadSignature):
        share_link_item_id(token)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert share_link_item_id(token) == 99


@pytest.mark.django_db
def test_the_views_accept_the_links(client, sales):
    ann = person("weekly", team=sales)
    item = item_for(everyone=True)
    client.force_login(ann)
    response = client.get(f"/n/share/{share_link_token(user_id=ann.pk, item_id=item.pk)}/")
    assert response.status_code == 302 and response["Location"] == f"/share/{item.pk}/"
    client.logout()
    delivery = EmailDelivery.objects.create(user=ann, to_email=ann.email, kind="weekly_digest", period="2025-W48",
                                            claimed_at=timezone.now())
    assert client.post(f"/n/unsubscribe/{unsubscribe_token(delivery.pk)}/").status_code == 200
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at is not None
