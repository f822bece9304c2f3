"""Users and client applications of the test provider, created or updated in place.

Both the management command (`idp_setup`, for the demo) and the tests' setup endpoint
(`views.setup`) call these, so "put" means: make it so, whatever was there before.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.db import transaction
from oauth2_provider.models import Application

from tests.sso.oidc_provider import quirks


@transaction.atomic
def user_put(
    *,
    username: str,
    password: str,
    email: str = "",
    groups: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
) -> User:
    """The user with exactly these details and groups (groups missing are created)."""
    user, _ = User.objects.get_or_create(username=username)
    user.email, user.first_name, user.last_name = email, first_name, last_name
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


@transaction.atomic
def client_put(
    *,
    client_id: str,
    client_secret: str,
    redirect_uris: Iterable[str],
    name: str = "",
    quirk: str | None = None,
) -> Application:
    """A confidential authorization-code client, RS256 ID tokens, no consent screen.

    The secret is stored hashed (django-oauth-toolkit's default), so it is set again on
    every call.
    """
    application, _ = Application.objects.get_or_create(
        client_id=client_id,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        },
    )
    application.name = quirks.named(name or client_id, quirk)
    application.client_secret = client_secret
    application.redirect_uris = " ".join(redirect_uris)
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    application.skip_authorization = True
    application.save()
    return application
