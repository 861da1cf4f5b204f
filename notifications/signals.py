"""Events of the notifications layer, for the layers above it to hear (webhooks).

- ``digest_sent(delivery_ids)``: these digest emails (``EmailDelivery`` ids of the weekly,
  daily or test digest kinds) were just handed to the mail server and recorded *sent*. Sent
  once per batch of a send run, after the rows were updated.
"""

from django.dispatch import Signal

digest_sent = Signal()
