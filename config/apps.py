"""The admin app with our site (`config.admin_site.StaffAdminSite`) as its default."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


def person_name(user) -> str:  # type: ignore[no-untyped-def]
    """A person as staff read them: "Carlos Channel", or the username when no name is set."""
    return user.get_full_name() or user.get_username()


class StaffAdminConfig(AdminConfig):
    default_site = "config.admin_site.StaffAdminSite"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        # The admin names a user with str(user) in every column, filter, select,
        # autocomplete, read-only field and message, and auth.User's string is its
        # username ("channel2"). The project keeps auth.User (swapping in a custom user
        # model after the first migration is not supported by Django), so the string
        # is set here, once, instead of in each of those places.
        User.__str__ = person_name  # type: ignore[method-assign,assignment]
        super().ready()
