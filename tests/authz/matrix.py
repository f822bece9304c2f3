"""The authorization matrix: every portal and API route × every actor × own/other object.

`test_matrix.py` runs each (row × actor × target) as one test and fails when a URL
pattern under /portal/ or /api/ has no row here, so a new route cannot ship
without saying who may use it.

HOW TO ADD A ROUTE: append a `Row` to `ROWS` (one per route and method):

    Row(
        "portal:asset_detail",                      # the URL name with its namespace
        url=lambda w, owner: reverse(                # `owner` is w.alice ("own") or w.bob
            "portal:asset_detail",                   # ("other"); create the object here if
            kwargs={"uuid": make_asset(owner.partner).uuid},  # the world lacks it: this runs
        ),                                           # inside the test's transaction
        expect=actors(anonymous=LOGIN, partner_users=OWN_ONLY, ...),
    )

- `url=None` (the default) is `reverse(route)`; a one-argument callable gets the
  world; a two-argument callable makes the row *scoped*: it runs for the "own"
  object (alice's) and the "other" object (bob's).
- `expect` names every actor of `ACTORS` (`actors()` refuses a missing one). A value
  is a status code, `LOGIN` (302 to the portal login), `Redirect("portal:x")`,
  `STAFF_NOTICE` (200 rendered with portal/staff_notice.html) or, for scoped rows,
  a pair `(own, other)`. "Own" is alice's object: alice's users and key own it, bob's
  admin (`other_partner_admin`) does not, so for bob's admin the pair reads
  (alice's object, bob's object), e.g. `(404, 200)`.
- The rule of the house is checked on the table itself: for a partner-side actor
  the other partner's object answers 404, unless the actor is refused the route
  outright (then it gets the same refusal for both objects, which reveals nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import signature
from typing import Any

from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

# --- who asks -----------------------------------------------------------------------

PARTNER_USERS = ("partner_admin", "partner_marketer", "partner_sales")
STAFF_USERS = ("marketing_admin", "channel_manager", "finance_approver", "analyst")
ACTORS = (
    "anonymous",
    *PARTNER_USERS,
    "other_partner_admin",  # bob's admin
    "partner_key",  # alice's API key
    "staff_key",
    *STAFF_USERS,
)
# Actors acting for alice (own = alice's object).
ALICE_SIDE = (*PARTNER_USERS, "partner_key")


# --- what they get ----------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """302 to the named URL (query string aside)."""

    to: str

    def __str__(self) -> str:
        return f"302→{self.to}"


@dataclass(frozen=True)
class Page:
    """This status, rendered with this template."""

    status: int
    template: str

    def __str__(self) -> str:
        return f"{self.status}:{self.template}"


Outcome = int | Redirect | Page
LOGIN = Redirect("portal:login")
STAFF_NOTICE = Page(200, "portal/staff_notice.html")
OWN_ONLY = (200, 404)  # scoped: own object yes, the other partner's is not found
OTHERS_ONLY = (404, 200)  # bob's admin: alice's object not found, bob's own yes


def status_of(outcome: Outcome) -> int:
    if isinstance(outcome, Redirect):
        return 302
    if isinstance(outcome, Page):
        return outcome.status
    return outcome


def actors(
    *,
    partner_users: Any = None,
    staff_users: Any = None,
    rest: Any = None,
    **per_actor: Any,
) -> dict[str, Any]:
    """Expected outcome per actor. `partner_users`/`staff_users` set the three partner
    roles / four staff roles at once, `rest` every actor not named; a named actor wins."""
    unknown = set(per_actor) - set(ACTORS)
    if unknown:
        raise ValueError(f"Unknown actors: {sorted(unknown)}")
    result = dict.fromkeys(ACTORS, rest)
    if partner_users is not None:
        result.update(dict.fromkeys(PARTNER_USERS, partner_users))
    if staff_users is not None:
        result.update(dict.fromkeys(STAFF_USERS, staff_users))
    result.update(per_actor)
    missing = [actor for actor, outcome in result.items() if outcome is None]
    if missing:
        raise ValueError(f"No expected outcome for {missing}")
    return result


# --- the rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    route: str
    expect: dict[str, Any]
    method: str = "GET"
    url: Callable[..., str] | None = None
    data: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None
    format: str | None = None  # "json" for API bodies; None: form-encoded
    scoped: bool = field(init=False)

    def __post_init__(self) -> None:
        scoped = self.url is not None and len(signature(self.url).parameters) == 2
        object.__setattr__(self, "scoped", scoped)
        for actor, outcome in self.expect.items():
            if isinstance(outcome, tuple) != scoped:
                kind = "an (own, other) pair" if scoped else "one outcome"
                raise ValueError(f"{self.label}: {actor} needs {kind}")
            if scoped and actor in ALICE_SIDE:
                own, other = outcome
                refused = status_of(own) in (302, 401, 403) and other == own
                if status_of(other) != 404 and not refused:
                    raise ValueError(
                        f"{self.label}: {actor} must get 404 for the other partner's "
                        f"object (or the same refusal as for its own), not {other}"
                    )

    @property
    def label(self) -> str:
        return f"{self.route} {self.method}"

    def build_url(self, world: Any, target: str) -> str:
        if self.url is None:
            return reverse(self.route)
        if self.scoped:
            return self.url(world, world.alice if target == "own" else world.bob)
        return self.url(world)

    def body(self, world: Any) -> dict[str, Any] | None:
        return self.data(world) if callable(self.data) else self.data


def partner_detail(world: Any, owner: Any) -> str:
    return reverse("api:partner-detail", kwargs={"id": owner.partner.uuid})


def partner_logo(world: Any, owner: Any) -> str:
    return reverse("portal:partner_logo", kwargs={"partner_uuid": owner.partner.uuid})


def api_key_revoke(world: Any, owner: Any) -> str:
    key = world.alice_key_row if owner is world.alice else world.bob_key_row
    return reverse("portal:api_key_revoke", kwargs={"public_id": key.public_id})


def password_reset_confirm(world: Any) -> str:
    uid = urlsafe_base64_encode(force_bytes(world.alice.admin.pk))
    return reverse("portal:password_reset_confirm", kwargs={"uidb64": uid, "token": "bad-token"})


COBRANDING_FORM = {
    "display_name": "Matrix Co",
    "contact_phone": "+1 555 0100",
    "contact_email": "matrix@example.com",
    "contact_website": "https://matrix.example.com",
    "address": "1 Matrix Way",
}

# Portal pages behind PortalAccessMixin: who gets in, in general.
PORTAL_PAGE = actors(
    anonymous=LOGIN,
    partner_users=200,
    other_partner_admin=200,
    partner_key=LOGIN,  # keys are for the API; in the portal they are anonymous
    staff_key=LOGIN,
    staff_users=STAFF_NOTICE,
)
PORTAL_ADMIN_PAGE = {**PORTAL_PAGE, "partner_marketer": 403, "partner_sales": 403}
PUBLIC_PAGE = actors(rest=200)
API_READ = actors(anonymous=401, rest=200)

ROWS: list[Row] = [
    # --- REST API ---------------------------------------------------------------------
    Row("api:me", API_READ),
    Row("api:partner-list", API_READ),
    Row("api:tier-list", API_READ),
    Row(
        "api:partner-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
        ),
        url=partner_detail,
    ),
    Row(
        "api:partner-detail",
        actors(
            anonymous=(401, 401),
            partner_admin=OWN_ONLY,
            partner_marketer=(403, 403),  # refused the write whichever partner it names
            partner_sales=(403, 403),
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            marketing_admin=(200, 200),
            channel_manager=(200, 200),
            finance_approver=(403, 403),  # no partners.change_partner
            analyst=(403, 403),
        ),
        method="PATCH",
        url=partner_detail,
        data={"display_name": "Matrix Co"},
        format="json",
    ),
    Row("api-schema", PUBLIC_PAGE),
    Row("api-docs", PUBLIC_PAGE),
    Row("api-redoc", PUBLIC_PAGE),
    # --- portal -----------------------------------------------------------------------
    Row("portal:dashboard", PORTAL_PAGE),
    Row(
        "portal:login",
        actors(
            anonymous=200,
            partner_key=200,
            staff_key=200,
            rest=Redirect("portal:dashboard"),  # already logged in
        ),
    ),
    Row("portal:logout", actors(rest=405)),  # GET does not log out (CSRF)
    Row("portal:logout", actors(rest=200), method="POST"),
    Row("portal:password_change", PORTAL_PAGE),
    Row("portal:password_reset", PUBLIC_PAGE),
    Row("portal:password_reset_done", PUBLIC_PAGE),
    Row("portal:password_reset_confirm", PUBLIC_PAGE, url=password_reset_confirm),
    Row("portal:password_reset_complete", PUBLIC_PAGE),
    Row("portal:profile", PORTAL_PAGE),
    Row(
        "portal:profile",
        {
            **PORTAL_PAGE,
            "partner_admin": Redirect("portal:profile"),
            "other_partner_admin": Redirect("portal:profile"),
            "partner_marketer": 403,
            "partner_sales": 403,
        },
        method="POST",
        data=COBRANDING_FORM,
    ),
    Row(
        "portal:partner_logo",
        actors(
            anonymous=(404, 404),  # logos are not public: nothing to enumerate
            partner_users=OWN_ONLY,
            partner_key=(404, 404),
            other_partner_admin=OTHERS_ONLY,
            staff_key=(404, 404),
            staff_users=(200, 200),
        ),
        url=partner_logo,
    ),
    Row("portal:api_keys", PORTAL_ADMIN_PAGE),
    Row(
        "portal:api_keys",
        {**PORTAL_ADMIN_PAGE, "partner_admin": 201, "other_partner_admin": 201},
        method="POST",
        data={"name": "Matrix sync"},
    ),
    Row(
        "portal:api_key_revoke",
        actors(
            anonymous=(LOGIN, LOGIN),
            partner_admin=OWN_ONLY,
            partner_marketer=(403, 403),  # admins only, whichever key it names
            partner_sales=(403, 403),
            other_partner_admin=OTHERS_ONLY,
            partner_key=(LOGIN, LOGIN),
            staff_key=(LOGIN, LOGIN),
            staff_users=(STAFF_NOTICE, STAFF_NOTICE),
        ),
        url=api_key_revoke,
    ),
    Row(
        "portal:api_key_revoke",
        actors(
            anonymous=(LOGIN, LOGIN),
            partner_admin=(Redirect("portal:api_keys"), 404),
            partner_marketer=(403, 403),
            partner_sales=(403, 403),
            other_partner_admin=(404, Redirect("portal:api_keys")),
            partner_key=(LOGIN, LOGIN),
            staff_key=(LOGIN, LOGIN),
            staff_users=(STAFF_NOTICE, STAFF_NOTICE),
        ),
        method="POST",
        url=api_key_revoke,
    ),
]
