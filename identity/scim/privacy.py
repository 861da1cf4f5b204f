"""What SCIM keeps about a person, for "My data" and account deletion
(``accounts.services.privacy``): the identity provider's id for them and the parts of their
name as it sent them. Deleting the account deletes it (the anonymised stub then no longer
exists for SCIM: ``resources.scim_users`` leaves deleted accounts out)."""

from typing import Any

from accounts.models import User
from accounts.services.privacy import PersonalData, register_personal_data
from identity.models import ProvisionedUser


def provisioning_export(user: User) -> dict[str, Any] | None:
    link = ProvisionedUser.objects.filter(user=user).first()
    if link is None:
        return None
    return {
        "external_id": link.external_id, "given_name": link.given_name, "family_name": link.family_name,
        "formatted_name": link.formatted_name, "display_name": link.display_name,
        "deprovisioned_at": link.deprovisioned_at, "created_at": link.created_at, "updated_at": link.updated_at,
    }


def provisioning_erase(user: User) -> dict[str, int]:
    deleted, _ = ProvisionedUser.objects.filter(user=user).delete()
    return {"provisioning records deleted": deleted}


def register() -> None:
    register_personal_data(
        PersonalData(
            "provisioning", "Provisioning",
            "what your company's identity provider sent about you: its id for you and your name as it has it.",
            export=provisioning_export, position=80, erase=provisioning_erase,
            count=lambda user: ProvisionedUser.objects.filter(user=user).count(),
        ),
    )
