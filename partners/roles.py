"""Staff roles (Django groups) and the permissions each holds.

The names are what staff see in the admin. Migrations call `grant` so roles exist
on every database; later apps grant their own models' permissions the same way.
"""

from __future__ import annotations

from typing import Any

MARKETING_ADMIN = "Marketing admin"
CHANNEL_MANAGER = "Channel manager"
FINANCE_APPROVER = "Finance approver"
ANALYST = "Analyst"
STAFF_ROLES = (MARKETING_ADMIN, CHANNEL_MANAGER, FINANCE_APPROVER, ANALYST)

_ALL = ("add", "change", "delete", "view")
_PARTNER_MODELS = ("partner", "tier", "region", "language", "membership", "partnerapikey")

STAFF_ROLE_PERMISSIONS: dict[str, list[str]] = {
    MARKETING_ADMIN: [
        *(f"partners.{action}_{model}" for model in _PARTNER_MODELS for action in _ALL),
        "partners.view_partnerauditentry",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
    ],
    CHANNEL_MANAGER: [
        "partners.view_partner",
        "partners.change_partner",
        "partners.view_tier",
        "partners.view_region",
        "partners.view_language",
        "partners.view_membership",
        "partners.add_membership",
        "partners.change_membership",
        "partners.view_partnerauditentry",
        "auth.add_user",
        "auth.view_user",
    ],
    FINANCE_APPROVER: [
        "partners.view_partner",
        "partners.view_tier",
        "partners.view_membership",
        "partners.view_partnerauditentry",
    ],
    ANALYST: [
        *(f"partners.view_{model}" for model in _PARTNER_MODELS if model != "partnerapikey"),
        "partners.view_partnerauditentry",
    ],
}


def _ensure_permissions(apps: Any) -> None:
    """Permissions are normally created after migrate; create them now so grant works."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def grant(apps: Any, role_permissions: dict[str, list[str]]) -> None:
    """Give each role (created if missing) these `app_label.codename` permissions."""
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke_all(apps: Any, roles: list[str]) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=roles).delete()
