"""What the people API shows and takes. A person's password hash, invitation nonce and API
tokens are never part of it."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.fields import empty

from accounts.models import Team, User
from accounts.roles import ADVOCATE, ROLES
from accounts.services.invitations import invitations_mark_pending
from accounts.services.users import user_set_roles
from core.api import ApiError

DUPLICATE_EMAIL = "An employee with this email already exists."


class PersonTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonInvitationSerializer(serializers.Serializer):
    status = serializers.SerializerMethodField(help_text="`none`, `pending` (invited, not accepted) or `accepted`.")
    invited_at = serializers.DateTimeField(allow_null=True, help_text="When an invitation was last requested.")
    sent_at = serializers.DateTimeField(source="invitation_sent_at", allow_null=True,
                                        help_text="When the invitation email went out (null: on its way).")
    accepted_at = serializers.DateTimeField(source="invitation_accepted_at", allow_null=True)

    def get_status(self, user: User) -> str:
        if user.invitation_accepted_at is not None:
            return "accepted"
        return "pending" if user.invited_at is not None else "none"


class PersonSerializer(serializers.ModelSerializer):
    team = PersonTeamSerializer(allow_null=True, read_only=True)
    roles = serializers.SerializerMethodField(help_text="Role names: Advocate, Curator, Approver, Admin.")
    advocate = serializers.SerializerMethodField(help_text="Opted in as an advocate (and active).")
    invitation = PersonInvitationSerializer(source="*", read_only=True)

    class Meta:
        model = User
        # Never: password, invitation_nonce, api_tokens, user_permissions.
        fields = [
            "id", "email", "full_name", "job_title", "team", "location", "timezone", "language", "roles",
            "is_active", "is_staff", "is_superuser", "advocate", "advocate_opted_in_at", "leaderboard_opt_out",
            "notification_preference", "invitation", "date_joined", "last_login",
        ]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(group.name for group in user.groups.all())  # prefetched

    def get_advocate(self, user: User) -> bool:
        return user.is_advocate


class Flag(serializers.BooleanField):
    """A flag whose default also holds when a multipart form leaves it out (DRF reads a
    missing checkbox as False)."""

    default_empty_html = empty


class PersonInviteSerializer(serializers.Serializer):
    """The admin's new person (email, name, team) plus the import's optional columns; the
    person gets an unusable password and the invitation email, like an imported employee."""

    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ROLES), required=False, default=[ADVOCATE], max_length=len(ROLES),
        help_text="Default: Advocate. Only roles you may grant (never Admin unless you are a superuser).",
    )

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return email

    def create(self, validated_data: dict) -> User:
        by = self.context["request"].user
        data = dict(validated_data)
        roles = set(data.pop("roles"))
        try:
            with transaction.atomic():
                user = User.objects.create_user(password=None, **data)  # unusable until accepted
                try:
                    user_set_roles(user=user, roles=roles, by=by)  # the role safety rules
                except PermissionDenied as exc:  # nothing is kept: the person is rolled back
                    raise ApiError("permission_denied", str(exc), http_status=403, field="roles") from exc
                invitations_mark_pending(user_ids=[user.pk])
        except IntegrityError:  # the same email, a moment before
            raise ApiError("invalid", DUPLICATE_EMAIL, field="email") from None
        return user


class TeamWithCountsSerializer(serializers.ModelSerializer):
    members = serializers.IntegerField(source="member_count", help_text="People in the team.")
    advocates = serializers.IntegerField(source="advocate_count", help_text="People in it who opted in.")

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "members", "advocates", "created_at"]
        read_only_fields = fields


def people_queryset() -> QuerySet[User]:
    return User.objects.select_related("team").prefetch_related("groups")
