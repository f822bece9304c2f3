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
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.conf import settings
from django.core.exceptions import PermissionDenied
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
    token's (allauth's own choice for OpenID Connect, `_pick_data`); for SAML 2.0 the
    assertion's attributes with the email and names allauth mapped from them."""
    data = sociallogin.account.extra_data or {}
    if sociallogin.account.get_provider().id == SAMLProvider.id:
        return sso.saml_claims(
            attributes=data,
            email=sociallogin.user.email,
            given_name=sociallogin.user.first_name,
            family_name=sociallogin.user.last_name,
        )
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


def _oidc_app_or_404(request: HttpRequest, provider_id: str) -> None:
    # allauth finds an app by provider_id whatever its protocol: a SAML provider's slug
    # under /accounts/oidc/ would reach the OpenID Connect views with a SAML app.
    if get_adapter().get_app(request, provider=provider_id).provider != sso.OIDC_PROVIDER:
        raise Http404


@login_not_required
def oidc_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect login view, with the signature-checking adapter."""
    try:
        _oidc_app_or_404(request, provider_id)
        return OAuth2LoginView.adapter_view(SignatureCheckingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@login_not_required
def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect callback view, with the signature-checking adapter."""
    try:
        _oidc_app_or_404(request, provider_id)
        return OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))(
            request
        )
    except SocialApp.DoesNotExist:
        raise Http404 from None


# --- SAML 2.0 (allauth's views, /accounts/saml/<slug>/…) --------------------------------


@login_not_required
def saml_finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's end of the SAML sign-in (after its ACS took the POST), refusing a
    response to a request this session did not send, or whose answer it took already.

    allauth keys the state it stashed at the login by the AuthnRequest's ID and takes
    it out of the session when the response's InResponseTo names it
    (`statekit.unstash_state`: deleted, then saved at once), raising PermissionDenied
    when it is not there: a replayed response, or one captured for another browser.
    A response without InResponseTo (IdP-initiated) it refuses itself
    (reject_idp_initiated_sso). We turn that PermissionDenied into our refusal page
    and record, where Django would show a bare 403.
    """
    try:
        return saml_views.finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        sso.sign_in_refusal_record(provider_slug=organization_slug, reason=sso.REPLAYED)
        return refusal_page(request, sso.REPLAYED)


@login_not_required
def saml_single_logout(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """Not offered: signing out here signs out of PartnerHub only. allauth's SP
    metadata names this address (it always builds the SLS URL), so it exists, as a 404.
    """
    raise Http404
