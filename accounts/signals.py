"""Events of the accounts layer, for the layers above it to hear (the pattern of
``content.signals`` and ``advocacy.signals``: accounts announces, the others listen).

- ``person_joined(user, how)``: a person's account became usable for the first time —
  an invitation accepted (``how="invitation"``), or created by single sign-on
  (``"sso"``) or SCIM provisioning (``"scim"``). Sent after the transaction commits.
- ``user_deactivated(user, by, source)``: a person was deactivated (``source``: "admin",
  "api", "scim", "sso"); listeners stop what acts in their name — queued and scheduled
  shares, network connections — at once. Sent after the transaction commits.
- ``user_reactivated(user, by, source)``: the reverse (nothing is restored automatically:
  connections must be made again).
"""

from django.dispatch import Signal

person_joined = Signal()
user_deactivated = Signal()
user_reactivated = Signal()
