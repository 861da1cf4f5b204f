"""The people API (staff): list and read people (``accounts.view_user``: Curators, Approvers,
Admins), invite one (``add_user``), deactivate and reactivate (``change_user``: Admins) —
exactly the admin's permissions, through the admin's services. Teams are listed too
(``view_team``). The CSV import is in ``people_import``.
"""

from collections.abc import Callable

from django.db.models import Count, Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis.people_access import perms_required
from accounts.apis.people_serializers import (
    PersonInviteSerializer,
    PersonSerializer,
    TeamWithCountsSerializer,
    people_queryset,
)
from accounts.models import Team, User
from accounts.roles import ROLES
from accounts.services import users as user_services
from core.api import ApiError, ModelPermissions

TAG = "People"
PERSON = {
    "id": 12, "email": "ann.lee@example.com", "full_name": "Ann Lee", "job_title": "Account executive",
    "team": {"id": 3, "name": "Sales"}, "location": "London", "timezone": "Europe/London", "language": "en",
    "roles": ["Advocate"], "is_active": True, "is_staff": False, "is_superuser": False, "advocate": True,
    "advocate_opted_in_at": "2026-03-02T09:14:00Z", "leaderboard_opt_out": False,
    "notification_preference": "instant",
    "invitation": {"status": "accepted", "invited_at": "2026-03-01T10:00:00Z", "sent_at": "2026-03-01T10:00:05Z",
                   "accepted_at": "2026-03-02T09:14:00Z"},
    "date_joined": "2026-03-01T10:00:00Z", "last_login": "2026-03-20T08:30:00Z",
}
INVITED = {**PERSON, "roles": ["Advocate"], "advocate": False, "advocate_opted_in_at": None, "last_login": None,
           "invitation": {"status": "pending", "invited_at": "2026-03-01T10:00:00Z", "sent_at": None,
                          "accepted_at": None}}


class PersonFilter(filters.FilterSet):
    team = filters.ModelChoiceFilter(queryset=Team.objects.all(), help_text="Only this team (its id).")
    role = filters.ChoiceFilter(choices=[(r, r) for r in ROLES], field_name="groups__name",
                                help_text="Only people with this role.")
    active = filters.BooleanFilter(field_name="is_active", help_text="Active (true) or deactivated (false).")
    advocate = filters.BooleanFilter(field_name="advocate_opted_in_at", lookup_expr="isnull", exclude=True,
                                     help_text="Opted in as advocates (true), or not (false).")
    invitation = filters.ChoiceFilter(
        choices=[("pending", "Invited, not accepted"), ("accepted", "Accepted"), ("none", "Never invited")],
        method="filter_invitation", help_text="Where the person's invitation stands.",
    )

    class Meta:
        model = User
        fields = ["team", "role", "active", "advocate", "invitation"]

    def filter_invitation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "pending":
            return queryset.filter(invited_at__isnull=False, invitation_accepted_at__isnull=True)
        if value == "accepted":
            return queryset.filter(invitation_accepted_at__isnull=False)
        return queryset.filter(invited_at__isnull=True, invitation_accepted_at__isnull=True)


_CHANGE = perms_required("accounts.change_user")


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List people",
        description="Everyone with an account, 50 per page (`page_size` up to 200), by name unless `ordering` "
                    "says otherwise. `search` looks in email, name, job title, location and team name (every "
                    "word must match), like the admin's search. Needs `accounts.view_user` (Curators, "
                    "Approvers, Admins).",
        examples=[OpenApiExample("A page", response_only=True, value={"next": None, "previous": None,
                                                                      "results": [PERSON]})],
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One person", description="A person, by id. Needs `accounts.view_user`.",
        examples=[OpenApiExample("A person", response_only=True, value=PERSON)],
    ),
    create=extend_schema(
        tags=[TAG], summary="Invite a person",
        description="Create a person with no usable password and email them an invitation (a link to set "
                    "their password and opt in), as the admin's import does. Roles default to Advocate; you "
                    "may only grant roles you could grant in the admin (only a superuser grants Admin): else "
                    "a 403 and nobody is created. An email that is already taken (in any case) is a 400. "
                    "Needs `accounts.add_user` (Admins).",
        request=PersonInviteSerializer, responses={201: PersonSerializer},
        examples=[
            OpenApiExample("Invite", request_only=True, value={
                "email": "ann.lee@example.com", "full_name": "Ann Lee", "team": 3, "job_title": "Account executive",
                "location": "London", "roles": ["Advocate"]}),
            OpenApiExample("Invited", response_only=True, status_codes=["201"], value=INVITED),
        ],
    ),
    deactivate=extend_schema(
        tags=[TAG], summary="Deactivate a person", operation_id="people_deactivate",
        description="The person can no longer sign in or use their API tokens; their queued and scheduled "
                    "shares are cancelled and their LinkedIn and X grants revoked at the network, their tokens "
                    "deleted (the connections stay, marked disconnected). "
                    "Nobody deactivates themselves; only a superuser deactivates a superuser. Deactivating "
                    "someone already inactive changes nothing. Needs `accounts.change_user` (Admins).",
        request=None,
        examples=[OpenApiExample("Deactivated", response_only=True, value={**PERSON, "is_active": False,
                                                                            "advocate": False})],
    ),
    reactivate=extend_schema(
        tags=[TAG], summary="Reactivate a person", operation_id="people_reactivate",
        description="The person may sign in again. Nothing is restored: cancelled shares stay cancelled and "
                    "connections must be made again. Needs `accounts.change_user` (Admins).",
        request=None,
        examples=[OpenApiExample("Reactivated", response_only=True, value=PERSON)],
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    queryset = people_queryset()
    serializer_class = PersonSerializer
    permission_classes = [*perms_required(), ModelPermissions]
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = PersonFilter
    search_fields = ["email", "full_name", "job_title", "location", "team__name"]
    ordering_fields = ["id", "email", "full_name", "date_joined"]
    ordering = ("full_name", "id")

    def get_permissions(self) -> list:
        if self.action in ("deactivate", "reactivate"):  # the admin's change permission on people
            return [permission() for permission in _CHANGE]
        return super().get_permissions()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return PersonInviteSerializer if self.action == "create" else PersonSerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        invite = PersonInviteSerializer(data=request.data, context=self.get_serializer_context())
        invite.is_valid(raise_exception=True)
        user = invite.save()
        data = PersonSerializer(people_queryset().get(pk=user.pk)).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": f"{request.path}{user.pk}/"})

    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        return self._change_active(request, user_services.user_deactivate)

    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        return self._change_active(request, user_services.user_reactivate)

    def _change_active(self, request: Request, change: Callable[..., bool]) -> Response:
        user = self.get_object()
        # The admin's rules for its deactivate / reactivate actions and its "active" box.
        problem = user_services.active_change_problem(editor=request.user, user=user)
        if problem:
            raise ApiError("permission_denied", problem, http_status=403)
        change(user=user, by=request.user, source="api")
        return Response(PersonSerializer(people_queryset().get(pk=user.pk)).data)


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List teams",
        description="Every team with its number of members and of advocates, by name. Needs "
                    "`accounts.view_team` (Curators, Approvers, Admins).",
        examples=[OpenApiExample("A page", response_only=True, value={"next": None, "previous": None, "results": [
            {"id": 3, "name": "Sales", "slug": "sales", "description": "", "members": 42, "advocates": 30,
             "created_at": "2026-01-10T12:00:00Z"}]})],
    ),
)
class TeamViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Team.objects.annotate(
        member_count=Count("members", distinct=True),
        advocate_count=Count("members", filter=Q(members__advocate_opted_in_at__isnull=False), distinct=True),
    )
    serializer_class = TeamWithCountsSerializer
    permission_classes = [*perms_required(), ModelPermissions]
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "name"]
    ordering = ("name",)
