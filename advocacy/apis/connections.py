"""My LinkedIn and X connections: see them, set my audience, disconnect.

Connecting needs the browser (the network's consent page), so it stays in the portal. The
rest goes through the portal's services: ``account_set_audience`` (its range, its
message) and ``account_disconnect`` (revoked at the provider where possible, tokens
deleted). Tokens are never in an answer.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from advocacy.apis.serializers import ConnectionSerializer
from advocacy.models import SocialAccount
from advocacy.selectors import accounts_for_user
from advocacy.services.connections import ConnectError, account_disconnect, account_set_audience
from core.api import ApiError
from networks.registry import NETWORKS

_CONNECTION = {
    "network": "linkedin", "name": "LinkedIn", "status": "active", "handle": "ann-lee", "display_name": "Ann Lee",
    "can_post": True, "problem": "", "expires_at": "2026-01-23T09:00:00+00:00", "renews_itself": False,
    "audience_size": 1200, "connected_at": "2025-11-24T09:00:00+00:00",
}


@extend_schema(
    summary="My connections",
    description="Your LinkedIn and X connections (a disconnected one has status `revoked`): status, handle, "
                "expiry, audience size, and `problem` when sharing there would be refused. Never a token. "
                "Connect or reconnect in the portal (it needs the network's consent page).",
    examples=[OpenApiExample("Connected to LinkedIn", response_only=True, status_codes=["200"], value=_CONNECTION)],
)
class ConnectionListView(generics.ListAPIView):
    serializer_class = ConnectionSerializer
    pagination_class = None
    filter_backends: list = []

    def list(self, request: Request, *args, **kwargs) -> Response:
        accounts = accounts_for_user(request.user)
        return Response(self.get_serializer([accounts[n] for n in sorted(accounts)], many=True).data)


class AudienceSerializer(serializers.Serializer):
    audience_size = serializers.IntegerField(
        allow_null=True, help_text="Your number of connections (LinkedIn gives none), for reach estimates; "
                                   "null to clear it.")


_NETWORK = OpenApiParameter("network", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(NETWORKS))


@extend_schema_view(
    get=extend_schema(
        summary="One of my connections",
        description="Your connection to `network`; `404` if you never connected it.",
        parameters=[_NETWORK],
        examples=[OpenApiExample("LinkedIn", response_only=True, status_codes=["200"], value=_CONNECTION)],
    ),
    patch=extend_schema(
        summary="Set my audience size",
        description="The number of people your posts reach there (LinkedIn's API gives none, so you say it): "
                    "used to estimate the reach of your shares. Between 0 and 50,000,000, or null.",
        parameters=[_NETWORK],
        request=AudienceSerializer,
        examples=[
            OpenApiExample("1,200 connections", request_only=True, value={"audience_size": 1200}),
            OpenApiExample("Saved", response_only=True, status_codes=["200"], value=_CONNECTION),
        ],
    ),
    delete=extend_schema(
        summary="Disconnect",
        description="Revoke Chorus's access at the network where it can, and delete the tokens either way. "
                    "The connection stays listed as `revoked`; reconnect in the portal.",
        parameters=[_NETWORK],
        responses={204: OpenApiResponse(description="Disconnected: Chorus no longer holds any token for it.")},
    ),
)
class ConnectionDetailView(generics.GenericAPIView):
    serializer_class = ConnectionSerializer

    def get_object(self) -> SocialAccount:
        account = accounts_for_user(self.request.user).get(self.kwargs["network"])
        if account is None:
            raise ApiError("not_found", "You have no connection to this network.", http_status=404)
        return account

    def get(self, request: Request, network: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request: Request, network: str) -> Response:
        account = self.get_object()
        payload = AudienceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            account_set_audience(account=account, audience_size=payload.validated_data["audience_size"])
        except ConnectError as exc:
            raise ApiError("invalid", str(exc), field="audience_size") from None
        account.refresh_from_db()
        return Response(self.get_serializer(account).data)

    def delete(self, request: Request, network: str) -> Response:
        account_disconnect(account=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
