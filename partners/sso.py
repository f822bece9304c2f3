"""django-allauth's entry point into our single sign-on rules (settings.SOCIALACCOUNT_ADAPTER).

Thin on purpose: allauth has validated the provider's answer (state, nonce, PKCE, the
ID token's issuer, audience, expiry and signature: `SignatureCheckingAdapter` below);
`pre_social_login` hands the claims to `partners.services.sso.sso_sign_in`, which finds
or creates the user and sets their roles, and points allauth's social account at that
user. A refusal, ours or the protocol's, is our refusal page (HTTP 403), never allauth's
own pages.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_not_required
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from partners.services import sso


def refusal_page(request: HttpRequest, reason: str) -> HttpResponse:
    """The clear page of a refused sign-in, in the reader's language."""
    return render(
        request,
        "portal/sso_refused.html",
        {"reason": sso.refusal_text(reason), "site_name": settings.SITE_NAME},
        status=403,
    )


def _claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """The claims allauth validated: userinfo when the provider gave it, else the ID
    token's (allauth's own choice for OpenID Connect, `_pick_data`)."""
    data = sociallogin.account.extra_data or {}
    picked = data.get("userinfo") or data.get("id_token") or data
    return dict(picked) if isinstance(picked, dict) else {}


class SignOnAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        try:
            user = sso.sso_sign_in(
                provider_slug=sociallogin.account.provider, claims=_claims(sociallogin)
            )
        except sso.SignInRefused as refused:
            raise ImmediateHttpResponse(refusal_page(request, refused.reason)) from None
        if sociallogin.is_existing:
            if sociallogin.user.pk != user.pk:
                # The rules decide who this is (by email); the link follows them.
                sociallogin.account.user = user
                sociallogin.account.save(update_fields=["user"])
            sociallogin.user = user
        else:
            # Links the provider's account to the user and saves it: allauth then signs
            # the existing user in, without its signup step.
            sociallogin.connect(request, user)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """The protocol failed (bad state, an expired, forged or foreign token, the
        provider said no): recorded as a refusal, shown on our page."""
        provider_id = getattr(getattr(provider, "app", None), "provider_id", "") or getattr(
            provider, "id", ""
        )
        sso.sign_in_refusal_record(
            provider_slug=str(provider_id),
            reason=sso.PROTOCOL_ERROR,
        )
        raise ImmediateHttpResponse(refusal_page(request, sso.PROTOCOL_ERROR))

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Every account is made by our rules in pre_social_login; allauth's own
        # signup never runs.
        return False

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: Any) -> str:
        return reverse("portal:dashboard")


class SignatureCheckingAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter, checking the ID token's signature every time.

    allauth skips the check when the token came straight from the token endpoint (OIDC
    Core 3.1.3.7 lets TLS to that endpoint stand in for it). We check it anyway: a token
    signed with a key the provider does not publish is refused, also behind a proxy that
    ends TLS before us or on a provider reached over plain HTTP by mistake.
    """

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        self.did_fetch_access_token = False  # the one flag allauth skips the check on
        return super()._decode_id_token(app, id_token)


@login_not_required
def oidc_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect login view, with the signature-checking adapter."""
    try:
        return OAuth2LoginView.adapter_view(SignatureCheckingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@login_not_required
def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect callback view, with the signature-checking adapter."""
    try:
        return OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))(
            request
        )
    except SocialApp.DoesNotExist:
        raise Http404 from None
