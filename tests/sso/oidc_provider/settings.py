"""Settings of the test OpenID Connect provider (django-oauth-toolkit), not of PartnerHub.

Environment:
  IDP_DATA_DIR      folder for its SQLite database and RSA keys (required; a temp folder
                    in the tests, e.g. var/idp for the demo)
  IDP_SETUP_TOKEN   when set, POST /testing/setup/ with this bearer token creates users
                    and client applications (the tests use it; unset, it answers 404)
  IDP_ISSUER        the issuer URL, when it must not follow the request's host
                    (default: http://<host the request used>/o)
  IDP_DEBUG         "1" for Django's debug pages
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.sso.oidc_provider.keys import rsa_private_key_pem

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ["IDP_DATA_DIR"])
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = "test-oidc-provider-not-a-secret"  # noqa: S105 - a throwaway test server
DEBUG = os.environ.get("IDP_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
SETUP_TOKEN = os.environ.get("IDP_SETUP_TOKEN", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "tests.sso.oidc_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.sso.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "idp.sqlite3",
        "OPTIONS": {"timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
# Fast hashing: test users only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Its own cookie names: on the same host as PartnerHub (a browser keeps cookies per
# host, not per port), the provider's session must not overwrite PartnerHub's.
SESSION_COOKIE_NAME = "idp_sessionid"
CSRF_COOKIE_NAME = "idp_csrftoken"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": rsa_private_key_pem(DATA_DIR / "signing.pem"),
    "OIDC_ISS_ENDPOINT": os.environ.get("IDP_ISSUER", ""),
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.oidc_provider.validators.ClaimsValidator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Name",
        "email": "Email address",
        "groups": "Group memberships",
    },
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
}
FOREIGN_RSA_PRIVATE_KEY = rsa_private_key_pem(DATA_DIR / "foreign.pem")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
