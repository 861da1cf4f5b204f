"""Django admin for marketing: the tool curators and approvers live in."""

from . import campaigns, items, others  # noqa: F401
