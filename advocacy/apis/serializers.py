"""What the advocate's API answers with: items of the feed, one item with its share
targets, shares and connections. Read-only serializers (writes have their own input
serializers next to their views); none of them ever carries a token.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advocacy.models import Share, SocialAccount
from advocacy.services.connections import account_block_reason, account_can_post
from advocacy.services.sharing import recent_share_phrase
from content.models import ContentItem
from content.selectors import share_text_offered
from content.text_rules import NETWORK_X, X_URL_WEIGHT, compose_share_text, measure
from core.api import etag_of
from networks import display_name

# An id the database can hold: a bigger one is a 400, not an overflow in the query.
ID_RANGE = {"min_value": 1, "max_value": 2**63 - 1}


def _absolute(request: Any, url: str) -> str:
    """Our own media paths are relative; API clients get absolute URLs."""
    if url and url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class FeedItemSerializer(serializers.Serializer):
    """An item of the feed. Context: ``request`` and ``shared`` ({item id: networks})."""

    id = serializers.IntegerField()
    title = serializers.CharField(source="display_title")
    url = serializers.CharField(help_text="The article; empty for a text-only post.")
    summary = serializers.CharField()
    image_url = serializers.SerializerMethodField()
    domain = serializers.CharField()
    content_type = serializers.CharField()
    campaign = NamedRefSerializer(allow_null=True)
    topics = NamedRefSerializer(many=True, source="topics.all")
    hashtags = serializers.CharField()
    networks = serializers.ListField(child=serializers.CharField(), help_text="Where the item may be shared.")
    text_locked = serializers.BooleanField(help_text="Share the suggested text exactly as written.")
    pinned = serializers.BooleanField()
    priority = serializers.IntegerField()
    suggested_text = serializers.SerializerMethodField(help_text="The text you are offered, per network.")
    shared_on = serializers.SerializerMethodField(help_text="Networks you shared it to (or are sharing it to).")
    published_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)

    def get_image_url(self, item: ContentItem) -> str:
        return _absolute(self.context.get("request"), item.display_image_url)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"linkedin": "Worth a read.", "x": "Read this"}})
    def get_suggested_text(self, item: ContentItem) -> dict[str, str]:
        user = self.context["request"].user
        return {network: share_text_offered(item, network, user) for network in item.networks}

    def get_shared_on(self, item: ContentItem) -> list[str]:
        return sorted(self.context["shared"].get(item.pk, set()))


class _FeedItemCommonSerializer(FeedItemSerializer):
    """The fields of ``FeedItemSerializer`` that are the same for everyone who sees the item."""

    image_url = None  # absolute: depends on the address the request came to
    suggested_text = None  # the person's variant
    shared_on = None  # the person's shares


FEED_ITEM_FIELDS = tuple(FeedItemSerializer().fields)


def feed_item_common(item: ContentItem) -> dict[str, Any]:
    """What ``FeedItemSerializer`` answers for ``item`` that is the same for everyone (cached
    per feed version: ``advocacy.feed_cache``)."""
    return dict(_FeedItemCommonSerializer(item).data)


def feed_item_digest(item: ContentItem, common: dict[str, Any]) -> str:
    """Changes whenever anything the feed answers for ``item`` changes, for anyone: the common
    fields (``feed_item_common``), the image and every suggested text (a person's variant is
    one of them)."""
    return etag_of(common, item.display_image_url, item.title, item.summary,
                   [(t.network, t.text) for t in item.share_texts.all()])


def feed_item_data(common: dict[str, Any], item: ContentItem, *, request: Any, shared_on: list[str]) -> dict[str, Any]:
    """``FeedItemSerializer``'s answer from the cached common fields plus this person's:
    the same keys in the same order."""
    personal = {
        "image_url": _absolute(request, item.display_image_url),
        "suggested_text": {network: share_text_offered(item, network, request.user) for network in item.networks},
        "shared_on": shared_on,
    }
    return {name: personal[name] if name in personal else common[name] for name in FEED_ITEM_FIELDS}


class PreviewSerializer(serializers.Serializer):
    title = serializers.CharField(source="preview_title")
    description = serializers.CharField(source="preview_description")
    image_url = serializers.CharField(source="preview_image_url")
    site_name = serializers.CharField(source="preview_site_name")
    status = serializers.CharField(source="preview_status", help_text="none, pending, ok or failed.")


class RecentShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    remote_url = serializers.CharField()


class ShareTargetSerializer(serializers.Serializer):
    """One network of the share dialog (built by ``ItemDetailSerializer.get_share_targets``)."""

    network = serializers.CharField()
    name = serializers.CharField()
    connected = serializers.BooleanField(help_text="Your account there can post now.")
    account_handle = serializers.CharField(allow_null=True)
    account_status = serializers.CharField(allow_null=True)
    problem = serializers.CharField(help_text="Why sharing there would be refused (empty if it would not).")
    suggested_text = serializers.CharField()
    variants = serializers.ListField(child=serializers.CharField(), help_text="All suggested texts for the network.")
    limit = serializers.IntegerField(help_text="The network's limit for the whole post.")
    link_length = serializers.IntegerField(help_text="What the tracked link counts (X: always 23); 0 without a link.")
    composed_example = serializers.CharField(help_text="The suggested text as it would be posted.")
    length = serializers.IntegerField(help_text="The length of `composed_example`, as the network counts it.")
    remaining = serializers.IntegerField()
    recent_share = RecentShareSerializer(allow_null=True, help_text="Shared there recently: sharing again needs "
                                                                    "`share_again`.")


class ItemDetailSerializer(FeedItemSerializer):
    """Context also: ``accounts``, ``recent``, ``disclosure``, ``link_example``."""

    preview = PreviewSerializer(source="*")
    disclosure = serializers.SerializerMethodField(help_text="Added to every post unless the text has it.")
    link_example = serializers.SerializerMethodField(help_text="A link as long as your tracked link.")
    share_targets = serializers.SerializerMethodField()

    def get_disclosure(self, item: ContentItem) -> str:
        return self.context["disclosure"]

    def get_link_example(self, item: ContentItem) -> str:
        return self.context["link_example"]

    @extend_schema_field(ShareTargetSerializer(many=True))
    def get_share_targets(self, item: ContentItem) -> list[dict[str, Any]]:
        user = self.context["request"].user
        disclosure, link = self.context["disclosure"], self.context["link_example"] or None
        rows = []
        for network in item.networks:
            account: SocialAccount | None = self.context["accounts"].get(network)
            recent: Share | None = self.context["recent"].get(network)
            text = share_text_offered(item, network, user)
            size = measure(network, text, link_url=link, disclosure=disclosure)
            rows.append({
                "network": network,
                "name": display_name(network),
                "connected": bool(account and account.is_usable),
                "account_handle": (account.handle or account.display_name) if account else None,
                "account_status": account.status if account else None,
                "problem": account_block_reason(account) if account else "",
                "suggested_text": text,
                "variants": [t.text for t in item.share_texts.all() if t.network == network],
                "limit": size.limit,
                "link_length": (X_URL_WEIGHT if network == NETWORK_X else len(link)) if link else 0,
                "composed_example": compose_share_text(text, link_url=link, disclosure=disclosure),
                "length": size.length,
                "remaining": size.remaining,
                "recent_share": {
                    "id": recent.pk, "status": recent.status, "message": recent_share_phrase(recent),
                    "remote_url": recent.remote_url if recent.status == "posted" else "",
                } if recent else None,
            })
        return ShareTargetSerializer(rows, many=True).data


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    item_title = serializers.CharField(source="item.display_title")
    network = serializers.CharField()
    status = serializers.CharField(help_text="scheduled, queued, posting, posted, failed, unconfirmed or cancelled.")
    text = serializers.CharField(help_text="What you wrote (before the disclosure and the link).")
    final_text = serializers.CharField(help_text="Exactly what is (or was) posted.")
    tracked_url = serializers.CharField()
    scheduled_for = serializers.DateTimeField(allow_null=True)
    posted_at = serializers.DateTimeField(allow_null=True)
    remote_url = serializers.CharField(help_text="The post on the network, once posted.")
    error_message = serializers.CharField(help_text="Why it failed (or what to check), for people.")
    error_code = serializers.CharField()
    can_cancel = serializers.BooleanField(help_text="Not attempted yet: `POST .../cancel/` stops it.")
    can_retry = serializers.SerializerMethodField(help_text="Failed: `POST .../retry/` tries again.")
    needs_confirmation = serializers.SerializerMethodField(
        help_text="The network did not say whether it posted: tell us with `POST .../confirm/`.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_can_retry(self, share: Share) -> bool:
        return share.status == "failed"

    def get_needs_confirmation(self, share: Share) -> bool:
        return share.status == "unconfirmed"


class ConnectionSerializer(serializers.Serializer):
    """A connection, never its tokens."""

    network = serializers.CharField()
    name = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="active, expiring, reconnect or revoked (disconnected).")
    handle = serializers.CharField()
    display_name = serializers.CharField()
    can_post = serializers.SerializerMethodField(help_text="Posting was allowed when you connected.")
    problem = serializers.SerializerMethodField(help_text="Why sharing there would be refused (empty if not).")
    expires_at = serializers.DateTimeField(allow_null=True)
    renews_itself = serializers.SerializerMethodField(help_text="Chorus renews the access before it expires.")
    audience_size = serializers.IntegerField(allow_null=True, help_text="Followers (X) or connections (LinkedIn).")
    connected_at = serializers.DateTimeField()

    def get_name(self, account: SocialAccount) -> str:
        return display_name(account.network)

    def get_can_post(self, account: SocialAccount) -> bool:
        return account.status != "revoked" and account_can_post(account)

    def get_problem(self, account: SocialAccount) -> str:
        return account_block_reason(account)

    def get_renews_itself(self, account: SocialAccount) -> bool:
        return bool(account.refresh_token)
