"""Events of the advocacy layer, for the layers above it to hear.

Advocacy never imports notifications or analytics: it announces what happened and they
listen (the pattern of ``content.signals``). Each is sent synchronously, after the row
that records the event has been written, so a listener sees the new state.

- ``share_posted(share, how)``: a share became *posted* (its post's id is on the row);
  ``how`` says how it was known ("published", "found on the network", "confirmed by the
  employee", ...). Sent inside the transaction that recorded it when there is one.
- ``share_failed(share, reason)``: a share ended *failed*; ``reason`` is for the employee.
- ``share_unconfirmed(share, reason)``: a share may or may not be on the network and the
  employee is asked to check.
- ``account_needs_reconnect(account, reason, expired)``: sent once when a connection turns
  *needs reconnecting* (not again while it stays so). ``expired`` is True when it simply
  ran out, having no refresh token (rather than being refused or revoked).
- ``account_expiring(account, days_left, threshold)``: a connection without a refresh
  token expires soon; ``threshold`` makes the warning once per threshold: "7d", "1d" for
  long-lived tokens (LinkedIn's 60 days), "once" for a token that lives a day or less
  from the start (X without ``offline.access``: two hours), sent as soon as it is known
  (at connect time). ``account.expires_at`` is the real expiry. A listener returns True
  when it actually warned (so the sweep can count warnings).
"""

from django.dispatch import Signal

share_posted = Signal()
share_failed = Signal()
share_unconfirmed = Signal()
account_needs_reconnect = Signal()
account_expiring = Signal()
