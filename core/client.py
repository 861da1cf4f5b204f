"""Who is asking: the client's address, behind any number of trusted proxies."""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``CLIENT_IP_PROXY_COUNT`` proxies the
    address the outermost one saw (the N-th from the right of X-Forwarded-For: entries
    further left are the client's own and can be forged)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CLIENT_IP_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                logger.warning("unparseable X-Forwarded-For entry; using REMOTE_ADDR")
    return remote
