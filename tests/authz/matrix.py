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

from tests.mdf.conftest import pdf_bytes

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

# Portal pages of one shared asset: a partner sees its own (available) asset, the other
# partner's is not found; staff get the portal's staff notice; keys are anonymous here.
LIBRARY_OBJECT = actors(
    anonymous=(LOGIN, LOGIN),
    partner_users=OWN_ONLY,
    other_partner_admin=OTHERS_ONLY,
    partner_key=(LOGIN, LOGIN),
    staff_key=(LOGIN, LOGIN),
    staff_users=(STAFF_NOTICE, STAFF_NOTICE),
)


def company_sign_in_scoped(own: Any) -> dict[str, Any]:
    """Who gets what on a page of one provider (own: alice's admin on alice's provider,
    and bob's admin on bob's)."""
    return actors(
        anonymous=(LOGIN, LOGIN),
        partner_admin=(own, 404),
        partner_marketer=(403, 403),
        partner_sales=(403, 403),
        other_partner_admin=(404, own),
        partner_key=(LOGIN, LOGIN),
        staff_key=(LOGIN, LOGIN),
        staff_users=(STAFF_NOTICE, STAFF_NOTICE),
    )


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
    # Any other path under /api/: the API's JSON 404, for everyone.
    Row("api-not-found", actors(rest=404), url=lambda w: "/api/v1/no-such-route/"),
    Row("api-not-found", actors(rest=404), method="POST", url=lambda w: "/api/v1/me/x"),
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
    Row(  # GET logs nobody out: signed in, a button that POSTs (CSRF); else the logged-out page
        "portal:logout",
        actors(
            anonymous=Page(200, "portal/logged_out.html"),
            partner_key=Page(200, "portal/logged_out.html"),  # keys are anonymous here
            staff_key=Page(200, "portal/logged_out.html"),
            rest=Page(200, "portal/logout_confirm.html"),
        ),
    ),
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
    # --- MDF portal (/portal/funds/) ------------------------------------------------
    # Objects are made per test by `funds_object_url` and the `funds_*` helpers at the
    # end of this file. Partner admins and marketers act; sales reps read (403 on every
    # action, whichever partner's object it names). Actions redirect back (302); forms
    # posted empty answer 400 with field errors and save nothing.
    Row("funds:overview", PORTAL_PAGE),
    Row("funds:request_list", PORTAL_PAGE),
    Row("funds:claim_list", PORTAL_PAGE),
    Row("funds:statement", PORTAL_PAGE),
    Row("funds:statement_csv", PORTAL_PAGE),
    Row("funds:request_create", {**PORTAL_PAGE, "partner_sales": 403}),
    Row(
        "funds:request_create",
        {
            **PORTAL_PAGE,
            "partner_admin": 400,
            "partner_marketer": 400,
            "partner_sales": 403,
            "other_partner_admin": 400,
        },
        method="POST",
        data={"save": "1"},
    ),
    *(
        Row(
            f"funds:{route}",
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_users=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            # the outer lambda binds this row's values; the inner one is the scoped url
            url=(lambda r, m: lambda w, owner: funds_object_url(r, m, w, owner))(route, make),
        )
        for route, make in (
            ("request_detail", "approved"),
            ("claim_detail", "claim"),
            ("proof_download", "proof"),
            ("statement", "allocation"),  # ?allocation=<uuid>
            ("statement_csv", "allocation"),
        )
    ),
    *(
        Row(
            f"funds:{route}",
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=(own, 404),
                partner_marketer=(own, 404),
                partner_sales=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            method=method,
            url=(lambda r, m: lambda w, owner: funds_object_url(r, m, w, owner))(route, make),
            data=data,
        )
        for route, method, own, make, data in (
            ("request_cancel", "GET", 200, "draft", None),
            ("request_close", "GET", 200, "approved", None),
            ("claim_create", "GET", 200, "approved", None),
            ("request_submit", "POST", 302, "draft", None),
            ("request_cancel", "POST", 302, "draft", None),
            ("request_close", "POST", 302, "approved", None),
            ("claim_submit", "POST", 302, "claim", None),
            ("claim_create", "POST", 400, "approved", {}),
            ("claim_proof_upload", "POST", 400, "claim", {"kind": "matrix-invoice"}),
            ("request_edit", "GET", 200, "draft", None),
            ("request_edit", "POST", 400, "draft", {}),
            ("claim_edit", "GET", 200, "claim", None),
            ("claim_edit", "POST", 400, "claim", {}),
            ("proof_remove", "GET", 200, "proof", None),
            ("proof_remove", "POST", 302, "proof", None),
        )
    ),
    # --- MDF API (/api/v1/mdf/) ------------------------------------------------------
    # Objects come from the `funds_*` helpers (MDF portal helpers below); bodies and
    # URLs from the `mdf_api_*` helpers at the end of this file. Partner admins,
    # marketers and keys write for their partner; sales reps and staff roles without
    # mdf.add_fundrequest / mdf.add_claim only read; the staff key writes for any
    # partner, naming it. A body naming another partner's objects is a 400 ("does not
    # exist"), another partner's object in the URL a 404. Marketing admins and channel
    # managers hold those permissions (mdf/0005): they act on a partner's behalf.
    Row("api:mdf-balances", API_READ),
    Row("api:mdf-activity-type-list", API_READ),
    Row("api:mdf-request-list", API_READ),
    Row("api:mdf-claim-list", API_READ),
    *(
        Row(
            route,
            actors(
                anonymous=401,
                partner_admin=201,
                partner_marketer=201,
                partner_sales=403,
                other_partner_admin=400,  # alice's allocation/request "does not exist"
                partner_key=201,
                staff_key=201,
                staff_users=403,
                marketing_admin=201,  # on alice's behalf (mdf/0005)
                channel_manager=201,
            ),
            method="POST",
            data=body,
            format="json",
        )
        for route, body in (
            ("api:mdf-request-list", lambda w: mdf_api_request_body(w)),
            ("api:mdf-claim-list", lambda w: mdf_api_claim_body(w)),
        )
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_users=OWN_ONLY,
                partner_key=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                staff_key=(200, 200),
                staff_users=(200, 200),
            ),
            url=(lambda r, m: lambda w, owner: mdf_api_url(r, m, w, owner))(route, make),
        )
        for route, make in (
            ("api:mdf-request-detail", "draft"),
            ("api:mdf-claim-detail", "claim"),
        )
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_admin=OWN_ONLY,
                partner_marketer=OWN_ONLY,
                partner_sales=(403, 403),
                other_partner_admin=OTHERS_ONLY,
                partner_key=OWN_ONLY,
                staff_key=(200, 200),
                staff_users=(403, 403),
                marketing_admin=(200, 200),  # on the partner's behalf (mdf/0005)
                channel_manager=(200, 200),
            ),
            method="POST",
            url=(lambda r, m: lambda w, owner: mdf_api_url(r, m, w, owner))(route, make),
        )
        for route, make in (
            ("api:mdf-request-submit", "draft"),
            ("api:mdf-request-cancel", "draft"),
            ("api:mdf-claim-submit", "claim"),
        )
    ),
    # Changing drafts (PATCH), adding proof to a claim (multipart POST) and removing a
    # proof file (DELETE): the writers of the rows above, on their own partner's objects.
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_admin=(ok, 404),
                partner_marketer=(ok, 404),
                partner_sales=(403, 403),
                other_partner_admin=(404, ok),
                partner_key=(ok, 404),
                staff_key=(ok, ok),
                staff_users=(403, 403),
                marketing_admin=(ok, ok),
                channel_manager=(ok, ok),
            ),
            method=method,
            url=url,
            data=data,
            format=body_format,
        )
        for route, method, ok, url, data, body_format in (
            (
                "api:mdf-request-detail",
                "PATCH",
                200,
                lambda w, owner: mdf_api_url("api:mdf-request-detail", "draft", w, owner),
                {"title": "Matrix renamed"},
                "json",
            ),
            (
                "api:mdf-claim-detail",
                "PATCH",
                200,
                lambda w, owner: mdf_api_url("api:mdf-claim-detail", "claim", w, owner),
                {"results_note": "Matrix results"},
                "json",
            ),
            (
                "api:mdf-claim-proof",
                "POST",
                201,
                lambda w, owner: mdf_api_url("api:mdf-claim-proof", "claim", w, owner),
                lambda w: mdf_api_proof_body(),
                "multipart",
            ),
            (
                "api:mdf-claim-proof-remove",
                "DELETE",
                204,
                lambda w, owner: mdf_api_proof_url(w, owner),
                None,
                None,
            ),
        )
    ),
    # --- Assets (the content library: /portal/library/ and /api/v1/assets/) ----------
    # Assets are shared content: "own" is an asset published for alice only (allow-list),
    # "other" one for bob only (`library_url` and `library_*` helpers at the end of the
    # file). Every partner role may browse, download and ask for co-branded copies.
    Row("library:list", PORTAL_PAGE),
    *(
        Row(
            f"library:{route}",
            LIBRARY_OBJECT,
            url=(lambda r: lambda w, owner: library_url(r, w, owner))(route),
        )
        for route in (
            "detail",
            "thumbnail",
            "download",
            "preview",
            "cobrand_status",
            "cobrand_download",
        )
    ),
    Row(
        "library:cobrand",
        {
            **LIBRARY_OBJECT,
            # back to the asset page (alice's profile lacks a phone: it says so there)
            **dict.fromkeys(("partner_admin", "partner_marketer", "partner_sales"), (302, 404)),
            "other_partner_admin": (404, 302),
        },
        method="POST",
        url=lambda w, owner: library_url("cobrand", w, owner),
    ),
    # A signed, short-lived link (issued by the API after its access check and download
    # record) is itself the permission: whoever holds it gets the file until it expires.
    Row("library:file", actors(rest=200), url=lambda w: library_signed_url(w)),
    Row("api:asset-list", {**API_READ, "finance_approver": 403}),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_users=OWN_ONLY,
                partner_key=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                staff_key=(200, 200),
                staff_users=(200, 200),
                finance_approver=(403, 403),  # no assets.view_asset
            ),
            method=method,
            url=(lambda r: lambda w, owner: library_api_url(r, w, owner))(route),
            data=data,
            format="json" if data is not None else None,
        )
        for route, method, data in (
            ("api:asset-detail", "GET", None),
            ("api:asset-download", "POST", {}),
        )
    ),
    # --- Campaigns (/portal/campaigns/ and /api/v1/kits/, /api/v1/launches/) ----------
    # Kits are shared content: "own" is a kit published for alice only (allow-list),
    # "other" one for bob only. Launches are partner-owned, named by tracking code: "own"
    # is alice's launch of a kit meant for everyone, "other" bob's (`campaign_*` helpers
    # at the end of the file). Partner admins and marketers launch and move launches;
    # sales reps read (403 on every action, whichever partner's object it names).
    Row("campaigns:list", PORTAL_PAGE),
    Row("campaigns:launch_list", PORTAL_PAGE),
    Row("campaigns:kit_detail", LIBRARY_OBJECT, url=lambda w, owner: campaign_kit_url(w, owner)),
    Row(
        "campaigns:launch_detail",
        LIBRARY_OBJECT,
        url=lambda w, owner: campaign_launch_url("campaigns:launch_detail", w, owner),
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=(own, 404),
                partner_marketer=(own, 404),
                partner_sales=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            method=method,
            url=url,
            data=data,
        )
        for route, method, own, url, data in (
            (
                "campaigns:launch_create",
                "POST",
                302,  # to the new launch's page
                lambda w, owner: reverse(
                    "campaigns:launch_create", kwargs={"slug": campaign_kit(w, owner).slug}
                ),
                lambda w: campaign_launch_form(),
            ),
            (
                "campaigns:launch_status",
                "GET",
                200,  # the confirmation page
                lambda w, owner: campaign_launch_url("campaigns:launch_status", w, owner),
                None,
            ),
            (
                "campaigns:launch_status",
                "POST",
                302,
                lambda w, owner: campaign_launch_url("campaigns:launch_status", w, owner),
                {"status": "active"},
            ),
        )
    ),
    Row("api:kit-list", API_READ),
    Row("api:launch-list", API_READ),
    Row(
        "api:launch-list",
        actors(
            anonymous=401,
            partner_admin=201,
            partner_marketer=201,
            partner_sales=403,
            other_partner_admin=400,  # names alice: that partner "does not exist" for bob
            partner_key=201,
            staff_key=201,
            staff_users=403,  # staff users read; launches are the partners' (or a key's)
        ),
        method="POST",
        data=lambda w: campaign_api_launch_body(w),
        format="json",
    ),
    Row(
        "api:kit-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
        ),
        url=lambda w, owner: reverse(
            "api:kit-detail", kwargs={"slug": campaign_kit(w, owner).slug}
        ),
    ),
    Row(
        "api:launch-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
        ),
        url=lambda w, owner: campaign_launch_url("api:launch-detail", w, owner),
    ),
    Row(
        "api:launch-detail",
        actors(
            anonymous=(401, 401),
            partner_admin=OWN_ONLY,
            partner_marketer=OWN_ONLY,
            partner_sales=(403, 403),
            other_partner_admin=OTHERS_ONLY,
            partner_key=OWN_ONLY,
            staff_key=(200, 200),
            staff_users=(403, 403),
        ),
        method="PATCH",
        url=lambda w, owner: campaign_launch_url("api:launch-detail", w, owner),
        data={"status": "active"},
        format="json",
    ),
    # --- Results sync (POST /api/v1/results/) and upload (/portal/performance/upload/)
    # Partner admins, marketers and keys send their own partner's results; sales reps
    # and staff users are refused; the staff key sends for any partner, naming it. The
    # body names alice: for bob's admin that is "not your partner" (400, nothing kept).
    Row(
        "api:results",
        actors(
            anonymous=401,
            partner_admin=201,
            partner_marketer=201,
            partner_sales=403,
            other_partner_admin=400,
            partner_key=201,
            staff_key=201,
            staff_users=403,
        ),
        method="POST",
        data=lambda w: results_api_body(w),
        format="json",
    ),
    Row("performance:results_upload", {**PORTAL_PAGE, "partner_sales": 403}),
    Row(  # no file: the form's errors, nothing stored
        "performance:results_upload",
        {
            **PORTAL_PAGE,
            "partner_admin": 400,
            "partner_marketer": 400,
            "partner_sales": 403,
            "other_partner_admin": 400,
        },
        method="POST",
        data={},
    ),
    # --- performance (/portal/performance/, /api/v1/metrics/) ----------------------------
    # Filters name a launch by its tracking code: another partner's launch is not found.
    Row("performance:dashboard", PORTAL_PAGE),
    Row(
        "performance:dashboard",
        actors(
            anonymous=(LOGIN, LOGIN),
            partner_users=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            partner_key=(LOGIN, LOGIN),
            staff_key=(LOGIN, LOGIN),
            staff_users=(STAFF_NOTICE, STAFF_NOTICE),
        ),
        url=lambda w, owner: performance_url(w, owner, "/portal/performance/?launch={code}"),
    ),
    Row(  # the CSV export of the same page
        "performance:dashboard",
        actors(
            anonymous=(LOGIN, LOGIN),
            partner_users=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            partner_key=(LOGIN, LOGIN),
            staff_key=(LOGIN, LOGIN),
            staff_users=(STAFF_NOTICE, STAFF_NOTICE),
        ),
        url=lambda w, owner: performance_url(
            w, owner, "/portal/performance/?format=csv&table=breakdown&launch={code}"
        ),
    ),
    # Staff users need analytics.view_dailymetric (finance approvers do not have it).
    Row("api:metrics", actors(anonymous=401, rest=200, finance_approver=403)),
    *(
        Row(
            "api:metrics",
            actors(
                anonymous=(401, 401),
                partner_users=OWN_ONLY,
                partner_key=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                staff_key=(200, 200),
                staff_users=(200, 200),
                finance_approver=(403, 403),
            ),
            url=(lambda t: lambda w, owner: performance_url(w, owner, t))(template),
        )
        for template in (
            "/api/v1/metrics/?partner={partner}",
            "/api/v1/metrics/?launch={code}&granularity=week",
        )
    ),
    # --- business reviews (/portal/plans/reviews/, /portal/plans/action-items/, the API) ---
    # Every partner role reads its reviews and marks its side's action items; another
    # partner's review or item is not found. The API is read-only: staff users need
    # campaigns.view_businessreview (finance approvers do not have it).
    Row("plans:reviews", PORTAL_PAGE),
    Row(
        "plans:review_detail",
        LIBRARY_OBJECT,
        url=lambda w, owner: reverse(
            "plans:review_detail", kwargs={"uuid": review_of(w, owner).uuid}
        ),
    ),
    Row("plans:action_items", PORTAL_PAGE),
    Row(
        "plans:action_item_status",
        actors(
            anonymous=(LOGIN, LOGIN),
            partner_users=(302, 404),
            other_partner_admin=(404, 302),
            partner_key=(LOGIN, LOGIN),
            staff_key=(LOGIN, LOGIN),
            staff_users=(STAFF_NOTICE, STAFF_NOTICE),
        ),
        method="POST",
        url=lambda w, owner: reverse(
            "plans:action_item_status", kwargs={"uuid": review_item_of(w, owner).uuid}
        ),
        data={"status": "done"},
    ),
    Row("api:review-list", actors(anonymous=401, rest=200, finance_approver=403)),
    Row(
        "api:review-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
            finance_approver=(403, 403),
        ),
        url=lambda w, owner: reverse("api:review-detail", kwargs={"id": review_of(w, owner).uuid}),
    ),
    # --- Joint marketing plans API (/api/v1/plans/, /api/v1/plan-periods/) -----------
    # "Own" is alice's draft plan (a custom target, an activity), "other" bob's
    # (`plan_api_*` helpers at the end of the file). Partner admins, marketers and keys
    # write their own; sales reps read; staff read every plan and never write one (403).
    Row("api:plan-period-list", API_READ),
    Row("api:plan-list", API_READ),
    Row(
        "api:plan-list",
        actors(
            anonymous=401,
            partner_admin=201,
            partner_marketer=201,
            partner_sales=403,
            other_partner_admin=201,  # bob's own plan for the period
            partner_key=201,
            staff_key=403,
            staff_users=403,
        ),
        method="POST",
        data=lambda w: plan_api_create_body(w),
        format="json",
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_users=OWN_ONLY,
                partner_key=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                staff_key=(200, 200),
                staff_users=(200, 200),
            ),
            url=(lambda r: lambda w, owner: plan_api_url(r, w, owner))(route),
        )
        for route in ("api:plan-detail", "api:plan-targets", "api:plan-activities")
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_admin=(own, 404),
                partner_marketer=(own, 404),
                partner_sales=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(own, 404),
                staff_key=(403, 403),
                staff_users=(403, 403),
            ),
            method=method,
            url=(lambda r: lambda w, owner: plan_api_url(r, w, owner))(route),
            data=data,
            format="json",
        )
        for route, method, own, data in (
            ("api:plan-detail", "PATCH", 200, {"title": "Matrix plan, revised"}),
            ("api:plan-submit", "POST", 200, {}),
            (
                "api:plan-targets",
                "POST",
                201,
                {"measure": "leads", "values": ["10"], "weight": "1"},
            ),
            ("api:plan-target", "PATCH", 200, {"weight": "2"}),
            ("api:plan-target", "DELETE", 204, None),
            ("api:plan-target-actual", "POST", 200, {"quarter": 1, "actual": "3"}),
            ("api:plan-activities", "POST", 201, lambda w: plan_api_activity_body()),
            ("api:plan-activity", "PATCH", 200, {"status": "in_progress"}),
            ("api:plan-activity", "DELETE", 204, None),
        )
    ),
    # --- Plans portal (/portal/plans/) ------------------------------------------------
    # Plans are partner-owned, by UUID; targets (by id) and activities (by UUID) are looked
    # up within the plan, so another partner's plan answers 404 whatever follows it. "Own"
    # is alice's plan (with a target, an activity and a submitted revision for the routes
    # that need them; `plan_*` helpers at the end of the file). Partner admins and
    # marketers act; sales reps read (403 on every action, whichever plan it names).
    Row("plans:list", PORTAL_PAGE),
    Row("plans:create", {**PORTAL_PAGE, "partner_sales": 403}),
    Row(  # posted empty: the errors at the fields, nothing saved
        "plans:create",
        {
            **PORTAL_PAGE,
            "partner_admin": 400,
            "partner_marketer": 400,
            "partner_sales": 403,
            "other_partner_admin": 400,
        },
        method="POST",
        data={},
    ),
    *(
        Row(
            f"plans:{route}",
            LIBRARY_OBJECT,
            url=(lambda r, m: lambda w, owner: plan_route_url(r, m, w, owner))(route, make),
        )
        for route, make in (
            ("detail", "plan"),
            ("revision", "revision"),
            ("compare", "revision"),
            ("export_pdf", "plan"),
            ("export_csv", "plan"),
        )
    ),
    *(
        Row(
            f"plans:{route}",
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=(own, 404),
                partner_marketer=(own, 404),
                partner_sales=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            method=method,
            url=(lambda r, m: lambda w, owner: plan_route_url(r, m, w, owner))(route, make),
            data=data,
        )
        for route, make, method, own, data in (
            ("edit", "plan", "GET", 200, None),
            ("edit", "plan", "POST", 302, {"title": "Matrix plan"}),
            ("submit", "plan", "GET", 200, None),  # the confirmation
            ("submit", "target", "POST", 302, None),
            ("target_add", "plan", "GET", 200, None),
            ("target_add", "plan", "POST", 400, {"measure": "leads"}),  # no values: errors
            ("target_edit", "target", "GET", 200, None),
            ("target_remove", "target", "GET", 200, None),  # the confirmation
            ("target_remove", "target", "POST", 302, None),
            ("target_actual", "custom", "GET", 200, None),
            ("target_actual", "custom", "POST", 302, {"quarter": "1", "actual": "3"}),
            ("activity_add", "plan", "GET", 200, None),
            ("activity_edit", "activity", "GET", 200, None),
            ("activity_remove", "activity", "GET", 200, None),  # the confirmation
            ("activity_remove", "activity", "POST", 302, None),
            ("activity_status", "activity", "POST", 302, {"status": "done"}),
            ("comment", "plan", "GET", 200, None),
            ("comment", "plan", "POST", 302, {"body": "Matrix comment"}),
        )
    ),
    # --- Voice of the partner (/portal/feedback/, /portal/surveys/, /api/v1/feedback/) ---
    # Rating pages name an item the partner may see: "own" is an asset (a kit) published
    # for alice only, "other" one for bob only (`library_asset`, `campaign_kit`). Every
    # partner role rates. Surveys are the program's, the same round for every partner:
    # admins and marketers answer, sales reps are not asked. API ratings are the caller's
    # own: "own" is one alice's admin gave, which her colleagues and her key do not find.
    *(
        Row(
            route,
            LIBRARY_OBJECT
            if method == "GET"
            else {  # a rating goes back to its item's page; for bob, alice's is not found
                **LIBRARY_OBJECT,
                **dict.fromkeys(PARTNER_USERS, (302, 404)),
                "other_partner_admin": (404, 302),
            },
            method=method,
            url=url,
            data=None if method == "GET" else {"rating": "4"},
        )
        for route, url in (
            ("portal:rate_asset", lambda w, owner: voice_rate_url("asset", w, owner)),
            ("portal:rate_kit", lambda w, owner: voice_rate_url("kit", w, owner)),
        )
        for method in ("GET", "POST")
    ),
    Row("portal:survey_list", PORTAL_PAGE),
    Row(
        "portal:survey_answer",
        {**PORTAL_PAGE, "partner_sales": 403},
        url=lambda w: voice_survey_url(w),
    ),
    Row(
        "portal:survey_answer",
        {
            **PORTAL_PAGE,
            "partner_admin": Redirect("portal:survey_list"),
            "partner_marketer": Redirect("portal:survey_list"),
            "partner_sales": 403,
            "other_partner_admin": Redirect("portal:survey_list"),
        },
        method="POST",
        url=lambda w: voice_survey_url(w),
        data={"score": "9"},
    ),
    Row("api:feedback-list", actors(anonymous=401, rest=200, finance_approver=403)),
    Row(
        "api:feedback-list",
        actors(
            anonymous=401,
            partner_users=201,
            other_partner_admin=400,  # names alice: that partner "does not exist" for bob
            partner_key=201,
            staff_key=201,
            staff_users=403,  # staff read ratings; partners (or a key) give them
        ),
        method="POST",
        data=lambda w: voice_feedback_body(w),
        format="json",
    ),
    Row(
        "api:feedback-detail",
        actors(
            anonymous=(401, 401),
            partner_admin=OWN_ONLY,
            partner_marketer=(404, 404),
            partner_sales=(404, 404),
            other_partner_admin=OTHERS_ONLY,
            partner_key=(404, 404),
            staff_key=(200, 200),
            staff_users=(200, 200),
            finance_approver=(403, 403),
        ),
        url=lambda w, owner: voice_feedback_url(w, owner),
    ),
    Row(
        "api:feedback-detail",
        actors(
            anonymous=(401, 401),
            partner_admin=OWN_ONLY,
            partner_marketer=(404, 404),
            partner_sales=(404, 404),
            other_partner_admin=OTHERS_ONLY,
            partner_key=(404, 404),
            staff_key=(404, 404),  # a staff key changes only the ratings it gave
            staff_users=(403, 403),
        ),
        method="PATCH",
        url=lambda w, owner: voice_feedback_url(w, owner),
        data={"rating": 2},
        format="json",
    ),
    # --- the team (/portal/team/): everyone reads, partner admins act ---------------------
    Row("portal:team", PORTAL_PAGE),
    Row(
        "portal:team",
        {
            **PORTAL_PAGE,
            "partner_admin": Redirect("portal:team"),
            "other_partner_admin": Redirect("portal:team"),
            "partner_marketer": 403,
            "partner_sales": 403,
        },
        method="POST",
        data={"email": "matrix-invitee@example.com", "role": "sales"},
    ),
    *(
        row
        for route, kind in (
            ("portal:team_invitation_resend", "invitation"),
            ("portal:team_invitation_revoke", "invitation"),
            ("portal:team_member_role", "member"),
            ("portal:team_member_deactivate", "member"),
            ("portal:team_member_reactivate", "member"),
        )
        # Partner admins of the row's partner only; others are refused whichever it names.
        for refused in (
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=OWN_ONLY,
                partner_marketer=(403, 403),
                partner_sales=(403, 403),
                other_partner_admin=OTHERS_ONLY,
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
        )
        for row in (
            Row(route, refused, url=(lambda r, k: lambda w, o: team_url(r, k, w, o))(route, kind)),
            Row(
                route,
                {
                    **refused,
                    "partner_admin": (Redirect("portal:team"), 404),
                    "other_partner_admin": (404, Redirect("portal:team")),
                },
                method="POST",
                url=(lambda r, k: lambda w, o: team_url(r, k, w, o))(route, kind),
                data={"role": "marketer", "reason": "matrix"},
            ),
        )
    ),
    # --- enablement (partners.views.enablement): shared tracks, the user's own quiz ---
    Row("portal:enablement", PORTAL_PAGE),
    Row("portal:enablement_certifications", PORTAL_PAGE),
    Row("portal:enablement_track", PORTAL_PAGE, url=lambda w: enablement_url(w, "track")),
    Row("portal:enablement_quiz", PORTAL_PAGE, url=lambda w: enablement_url(w, "quiz")),
    Row(  # an empty answer sheet: refused at the field (every question must be answered)
        "portal:enablement_quiz",
        {**PORTAL_PAGE, **dict.fromkeys((*PARTNER_USERS, "other_partner_admin"), 400)},
        method="POST",
        url=lambda w: enablement_url(w, "quiz"),
        data={},
    ),
    Row(  # the user's own latest attempt; none yet: not found
        "portal:enablement_result",
        {**PORTAL_PAGE, **dict.fromkeys((*PARTNER_USERS, "other_partner_admin"), 404)},
        url=lambda w: enablement_url(w, "result"),
    ),
    # --- onboarding (issue 20): the program agreement and the checklist ---------------
    Row("portal:agreement", PORTAL_PAGE),
    Row(  # only a partner admin accepts, for its own partner (the one it belongs to)
        "portal:agreement",
        {
            **PORTAL_ADMIN_PAGE,
            "partner_admin": Redirect("portal:onboarding"),
            "other_partner_admin": Redirect("portal:onboarding"),
        },
        method="POST",
        url=lambda w: agreement_published(w),  # defined below ROWS
    ),
    Row("portal:onboarding", PORTAL_PAGE),
    # --- deals API (/api/v1/deals/, /api/v1/leads/, /api/v1/protected-accounts/) -----
    # Objects and bodies come from the `deals_api_*` helpers at the end of this file.
    # Partner admins, sales reps and keys register and work their partner's deals and
    # answer its lead offers; marketers read. Staff read every partner's deals and
    # offers (keys; users with deals.view_*), hand leads out (keys; users with
    # deals.add_lead); a staff key registers a deal for the partner it names; staff
    # never work a partner's deal or answer its lead (403).
    # Protected accounts are staff only: every partner caller is refused (403).
    Row("api:deal-list", actors(anonymous=401, rest=200, finance_approver=403)),
    Row(
        "api:deal-list",
        actors(
            anonymous=401,
            partner_admin=201,
            partner_marketer=403,
            partner_sales=201,
            other_partner_admin=400,  # names alice: that partner "does not exist" for bob
            partner_key=201,
            staff_key=201,  # for the partner it names
            staff_users=403,
        ),
        method="POST",
        data=lambda w: deals_api_deal_body(w),
        format="json",
    ),
    Row(
        "api:deal-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
            finance_approver=(403, 403),
        ),
        url=lambda w, owner: deals_api_url("api:deal-detail", "submitted", owner),
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_admin=(ok, 404),
                partner_marketer=(403, 403),
                partner_sales=(ok, 404),
                other_partner_admin=(404, ok),
                partner_key=(ok, 404),
                staff_key=(403, 403),  # deals are the partner's to work
                staff_users=(403, 403),
            ),
            method="POST",
            url=(lambda r: lambda w, owner: deals_api_url(r, "approved", owner))(route),
            data=body,
            format="json",
        )
        for route, ok, body in (
            ("api:deal-stage", 200, {"stage": "proposal"}),
            ("api:deal-close", 200, {"outcome": "won", "amount": "1000.00"}),
            ("api:deal-extension", 201, {"reason": "Procurement takes longer."}),
        )
    ),
    Row("api:lead-list", actors(anonymous=401, rest=200, finance_approver=403)),
    Row(
        "api:lead-list",
        actors(
            anonymous=401,
            partner_users=403,
            other_partner_admin=403,
            partner_key=403,
            staff_key=201,
            marketing_admin=201,
            channel_manager=201,
            finance_approver=403,
            analyst=403,
        ),
        method="POST",
        data={"external_id": "matrix-lead", "company": "Matrix Lead Co", "partner": "alice"},
        format="json",
    ),
    Row(
        "api:lead-detail",
        actors(
            anonymous=(401, 401),
            partner_users=OWN_ONLY,
            partner_key=OWN_ONLY,
            other_partner_admin=OTHERS_ONLY,
            staff_key=(200, 200),
            staff_users=(200, 200),
            finance_approver=(403, 403),
        ),
        url=lambda w, owner: deals_api_offer_url("api:lead-detail", owner),
    ),
    *(
        Row(
            route,
            actors(
                anonymous=(401, 401),
                partner_admin=OWN_ONLY,
                partner_marketer=(403, 403),
                partner_sales=OWN_ONLY,
                other_partner_admin=OTHERS_ONLY,
                partner_key=OWN_ONLY,
                staff_key=(403, 403),  # only the partner offered a lead answers it
                staff_users=(403, 403),
            ),
            method="POST",
            url=(lambda r: lambda w, owner: deals_api_offer_url(r, owner))(route),
            data=body,
            format="json",
        )
        for route, body in (
            ("api:lead-accept", None),
            ("api:lead-decline", {"reason": "no_capacity"}),
        )
    ),
    Row(
        "api:protected-account-list",
        actors(
            anonymous=401,
            partner_users=403,
            other_partner_admin=403,
            partner_key=403,
            staff_key=200,
            staff_users=200,
            finance_approver=403,
        ),
    ),
    Row(
        "api:protected-account-list",
        actors(
            anonymous=401,
            partner_users=403,
            other_partner_admin=403,
            partner_key=403,
            staff_key=201,
            marketing_admin=201,
            channel_manager=201,
            finance_approver=403,
            analyst=403,
        ),
        method="POST",
        data={"domain": "matrix-protected.example", "company": "Matrix Protected"},
        format="json",
    ),
    Row(
        "api:protected-account-detail",
        actors(
            anonymous=401,
            partner_users=403,
            other_partner_admin=403,
            partner_key=403,
            staff_key=204,
            marketing_admin=204,  # only marketing admins may delete (deals/0002)
            channel_manager=403,
            finance_approver=403,
            analyst=403,
        ),
        method="DELETE",
        url=lambda w: deals_api_protected_url(),
    ),
    # --- Deals portal (/portal/deals/): registrations and lead offers ---------------------
    # Deals and offers are partner-owned, by UUID: another partner's answers 404. Every
    # partner role reads deals; admins and sales reps act (marketers get 403 on every
    # action, whichever deal it names); leads pages are for admins and sales reps. "Own"
    # is a registration under review / a pending offer of alice's (`deals_portal_*`
    # helpers at the end of the file). Forms posted empty: the errors at the fields.
    Row("deals:list", PORTAL_PAGE),
    Row("deals:export", PORTAL_PAGE),
    Row("deals:create", {**PORTAL_PAGE, "partner_marketer": 403}),
    Row(
        "deals:create",
        {
            **PORTAL_PAGE,
            "partner_admin": 400,
            "partner_sales": 400,
            "partner_marketer": 403,
            "other_partner_admin": 400,
        },
        method="POST",
        data={},
    ),
    Row("deals:detail", LIBRARY_OBJECT, url=lambda w, owner: deals_portal_url("detail", owner)),
    *(
        Row(
            f"deals:{route}",
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=(own, 404),
                partner_sales=(own, 404),
                partner_marketer=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            method=method,
            url=(lambda r: lambda w, owner: deals_portal_url(r, owner))(route),
            data=None if method == "GET" else {},
        )
        for route in ("edit", "answer", "stage", "extension", "close_won", "close_lost")
        for method, own in (("GET", 200), ("POST", 400))
    ),
    Row("deals:lead_list", {**PORTAL_PAGE, "partner_marketer": 403}),
    *(
        Row(
            f"deals:{route}",
            actors(
                anonymous=(LOGIN, LOGIN),
                partner_admin=(own, 404),
                partner_sales=(own, 404),
                partner_marketer=(403, 403),
                other_partner_admin=(404, own),
                partner_key=(LOGIN, LOGIN),
                staff_key=(LOGIN, LOGIN),
                staff_users=(STAFF_NOTICE, STAFF_NOTICE),
            ),
            method=method,
            url=(lambda r: lambda w, owner: deals_portal_offer_url(r, owner))(route),
            data=None if method == "GET" else {},
        )
        for route, method, own in (
            ("lead_detail", "GET", 200),
            ("lead_accept", "POST", 302),
            ("lead_decline", "GET", 200),  # the confirmation
            ("lead_decline", "POST", 400),  # no reason
            ("lead_work", "GET", 200),
            ("lead_work", "POST", 400),  # no progress
            ("lead_convert", "GET", 200),  # says the lead is not accepted yet
            ("lead_convert", "POST", 400),
        )
    ),
    # --- the language switcher (issue 22) ------------------------------------------------
    # Anyone may choose (the login page's switcher): back to the dashboard without a
    # `next`; a signed-in person's choice is also recorded for them. English, so the
    # world's clients keep reading the pages the other rows expect.
    Row(
        "portal:language",
        actors(rest=Redirect("portal:dashboard")),
        method="POST",
        data={"language": "en"},
    ),
    Row("portal:language", actors(rest=405)),  # a GET changes nothing
    # --- single sign-on (issue 23) -------------------------------------------------------
    # Home-realm discovery: anyone signed out may ask which company sign-in owns an
    # address (no provider here: the login page again, 200); signed in, the dashboard,
    # as the login page. A GET shows the login page.
    Row(
        "portal:login_sso",
        actors(
            anonymous=Page(200, "portal/login.html"),
            partner_key=Page(200, "portal/login.html"),  # keys are anonymous here
            staff_key=Page(200, "portal/login.html"),
            rest=Redirect("portal:dashboard"),
        ),
        method="POST",
        data={"email": "someone@no-sso.example"},
    ),
    Row(
        "portal:login_sso",
        actors(
            anonymous=Redirect("portal:login"),
            partner_key=Redirect("portal:login"),
            staff_key=Redirect("portal:login"),
            rest=Redirect("portal:dashboard"),
        ),
    ),
    # --- the company sign-in (/portal/company/sign-in/): partner admins only ---------------
    # The overview of the company's providers; the form of a new one (bad input answers
    # 400). Each provider's page and actions are looked up among the partner's own
    # providers by slug (another partner's: 404); its domains among that provider's. The
    # switch, delete, domain removal and move ask first (GET). A provider's pages answer
    # with a redirect to that provider's page (302: its address names the provider).
    Row("portal:company_sign_in", PORTAL_ADMIN_PAGE),
    Row("portal:company_sign_in_add", PORTAL_ADMIN_PAGE),
    Row(
        "portal:company_sign_in_add",
        {**PORTAL_ADMIN_PAGE, "partner_admin": 400, "other_partner_admin": 400},
        method="POST",
        data={"name": ""},
    ),
    *(
        Row(
            "portal:company_sign_in_provider",
            company_sign_in_scoped(own),
            method=method,
            url=lambda w, o: company_sign_in_url("portal:company_sign_in_provider", o),
            data=data,
        )
        for method, own, data in (("GET", 200, None), ("POST", 400, {"name": ""}))
    ),
    Row(
        "portal:company_sign_in_domain_add",
        company_sign_in_scoped(400),
        method="POST",
        url=lambda w, o: company_sign_in_url("portal:company_sign_in_domain_add", o),
        data={"domain": "gmail.com"},
    ),
    Row(
        "portal:company_sign_in_domain_add",
        company_sign_in_scoped(302),
        url=lambda w, o: company_sign_in_url("portal:company_sign_in_domain_add", o),
    ),
    *(
        Row(
            "portal:company_sign_in_domain_remove",
            company_sign_in_scoped(own),
            method=method,
            url=lambda w, o: company_sign_in_domain_url("portal:company_sign_in_domain_remove", o),
        )
        for method, own in (("GET", 200), ("POST", 302))
    ),
    # The move names alice's second provider: bob's admin, moving his own domain there,
    # is refused (400: not one of his company's sign-ins).
    Row(
        "portal:company_sign_in_domain_move",
        company_sign_in_scoped(200),
        url=lambda w, o: company_sign_in_domain_url("portal:company_sign_in_domain_move", o),
    ),
    Row(
        "portal:company_sign_in_domain_move",
        {**company_sign_in_scoped(302), "other_partner_admin": (404, 400)},
        method="POST",
        url=lambda w, o: company_sign_in_domain_url("portal:company_sign_in_domain_move", o),
        data={"provider": "alice-matrix-2"},
    ),
    *(
        Row(
            route,
            company_sign_in_scoped(own),
            method=method,
            url=(lambda r: lambda w, o: company_sign_in_url(r, o))(route),
        )
        for route in (
            "portal:company_sign_in_activate",
            "portal:company_sign_in_deactivate",
            "portal:company_sign_in_delete",
        )
        for method, own in (("GET", 200), ("POST", 302))
    ),
    # --- single sign-on through SAML 2.0 (issue 23): allauth's routes under
    # /accounts/saml/<slug>/, for alice's SAML provider. Public by nature: the IdP's
    # browser posts arrive signed out. Our SP metadata is public (it names no partner);
    # a GET of the login shows "Continue" and starts nothing, its POST goes to the IdP;
    # the ACS keeps the post and sends on to acs/finish/, which with no response
    # refuses on our page (403); single logout is not offered (404).
    Row("saml_metadata", actors(rest=200), url=lambda w: saml_url(w, "saml_metadata")),
    Row("saml_login", actors(rest=200), url=lambda w: saml_url(w, "saml_login")),
    Row("saml_login", actors(rest=302), method="POST", url=lambda w: saml_url(w, "saml_login")),
    Row(
        "saml_acs",
        actors(rest=302),  # to acs/finish/ (a Redirect would reverse it without the slug)
        method="POST",
        url=lambda w: saml_url(w, "saml_acs"),
    ),
    Row(
        "saml_finish_acs",
        actors(rest=Page(403, "portal/sso_refused.html")),
        url=lambda w: saml_url(w, "saml_finish_acs"),
    ),
    Row("saml_sls", actors(rest=404), url=lambda w: saml_url(w, "saml_sls")),
]


def saml_url(world: Any, route: str) -> str:
    """The route for alice's SAML provider (made once per test; its IdP settings are
    placeholders: no IdP answers in the matrix)."""
    from django_scopes import scopes_disabled

    from partners.models import IdentityProvider
    from partners.services import sso

    with scopes_disabled():
        provider, created = IdentityProvider.objects.get_or_create(
            slug="matrix-saml",
            defaults={
                "partner": world.alice.partner,
                "name": "Matrix SAML",
                "protocol": IdentityProvider.Protocol.SAML,
                "default_role": "marketer",
            },
        )
    if created:
        sso.identity_provider_saml_app_save(
            provider=provider,
            idp=sso.SAMLIdPSettings(
                entity_id="https://idp.matrix.example/metadata",
                sso_url="https://idp.matrix.example/sso",
                x509cert="MIIBplaceholder",
            ),
        )
    return reverse(route, kwargs={"organization_slug": provider.slug})


# --- MDF portal helpers (rows in the "MDF portal" section of ROWS) ---------------------


def funds_allocation(world: Any, owner: Any) -> Any:
    """The owner's allocation in a pool open for requests and claims (made once per test)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from mdf import services
    from mdf.models import Allocation, FundPool

    with scopes_disabled():
        existing = Allocation.objects.filter(partner=owner.partner).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    pool, _created = FundPool.objects.get_or_create(
        name="Matrix funds",
        defaults={
            "currency": "EUR",
            "total": Decimal("100000.00"),
            "period_start": today - timedelta(days=60),
            "period_end": today + timedelta(days=120),
            "request_deadline": today + timedelta(days=60),
            "claim_deadline": today + timedelta(days=120),
        },
    )
    return services.allocation_create(
        pool=pool,
        partner=owner.partner,
        amount="5000.00",
        actor=world.staff["marketing_admin"],
        reason="Matrix",
    )


def funds_draft(world: Any, owner: Any, starts_in: int = 10) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from mdf import services
    from mdf.models import ActivityType, ProofKind

    kind, _created = ProofKind.objects.get_or_create(
        slug="matrix-invoice", defaults={"name": "Invoice"}
    )
    activity, _created = ActivityType.objects.get_or_create(
        slug="matrix-event", defaults={"name": "Event"}
    )
    activity.proof_kinds.add(kind)
    start = timezone.localdate() + timedelta(days=starts_in)
    return services.request_create(
        partner=owner.partner,
        allocation=funds_allocation(world, owner),
        activity_type=activity,
        title="Matrix roadshow",
        description="A request made by the authorization matrix",
        activity_start=start,
        activity_end=start + timedelta(days=1),
        requested_amount="1000.00",
        actor=owner.marketer,
    )


def funds_approved(world: Any, owner: Any) -> Any:
    """An approved request whose activity ended last week (made in the past)."""
    from datetime import datetime, time, timedelta

    import time_machine
    from django.utils import timezone

    from mdf import services

    funds_allocation(world, owner)
    past = datetime.combine(timezone.localdate() - timedelta(days=20), time(12))
    with time_machine.travel(timezone.make_aware(past), tick=False):
        fund_request = funds_draft(world, owner, starts_in=10)
        services.request_submit(fund_request=fund_request, actor=owner.marketer)
        # the marketing admin may decide any partner's request (bob has no manager)
        return services.request_decide(
            fund_request=fund_request,
            actor=world.staff["marketing_admin"],
            approve=True,
            note="Matrix approval",
        )


def funds_claim(world: Any, owner: Any) -> Any:
    """A draft claim on an approved request, with every proof it needs."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mdf import services

    claim = services.claim_create(
        fund_request=funds_approved(world, owner), amount="100.00", actor=owner.marketer
    )
    for kind in services.required_proof(claim):
        services.claim_attach_proof(
            claim=claim,
            proof_kind=kind,
            upload=SimpleUploadedFile("invoice.pdf", pdf_bytes(), "application/pdf"),
            actor=owner.marketer,
        )
    return claim


def funds_proof(world: Any, owner: Any) -> Any:
    from django_scopes import scopes_disabled

    claim = funds_claim(world, owner)
    with scopes_disabled():
        return claim.proofs.get()


def funds_object_url(route: str, make: str, world: Any, owner: Any) -> str:
    """The route for the owner's object made by `funds_<make>` (by UUID); the
    statements take the allocation as a filter: another partner's answers 404."""
    obj = {
        "draft": funds_draft,
        "approved": funds_approved,
        "claim": funds_claim,
        "proof": funds_proof,
        "allocation": funds_allocation,
    }[make](world, owner)
    if make == "allocation":
        return f"{reverse(f'funds:{route}')}?allocation={obj.uuid}"
    return reverse(f"funds:{route}", kwargs={"uuid": obj.uuid})


# --- MDF API helpers (rows in the "MDF API" section of ROWS) --------------------------


def mdf_api_url(route: str, make: str, world: Any, owner: Any) -> str:
    """The API route for the owner's draft request or draft claim (by UUID)."""
    obj = funds_draft(world, owner) if make == "draft" else funds_claim(world, owner)
    return reverse(route, kwargs={"id": obj.uuid})


def mdf_api_proof_url(world: Any, owner: Any) -> str:
    """The API route of one proof file of the owner's draft claim."""
    proof = funds_proof(world, owner)
    return reverse(
        "api:mdf-claim-proof-remove", kwargs={"id": proof.claim.uuid, "proof_id": proof.uuid}
    )


def mdf_api_proof_body() -> dict[str, Any]:
    """Another invoice for a claim (multipart: the file field names the proof kind)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"proof_matrix-invoice": SimpleUploadedFile("more.pdf", pdf_bytes(), "application/pdf")}


def mdf_api_request_body(world: Any) -> dict[str, Any]:
    """A draft request on alice's allocation, naming alice (the staff key must)."""
    from datetime import timedelta

    from django.utils import timezone

    from mdf.models import ActivityType

    ActivityType.objects.get_or_create(slug="matrix-event", defaults={"name": "Event"})
    start = timezone.localdate() + timedelta(days=10)
    return {
        "partner": str(world.alice.partner.uuid),
        "allocation": str(funds_allocation(world, world.alice).uuid),
        "activity_type": "matrix-event",
        "title": "Matrix webinar",
        "description": "A request made through the API by the authorization matrix",
        "activity_start": start.isoformat(),
        "activity_end": start.isoformat(),
        "requested_amount": "500.00",
    }


def mdf_api_claim_body(world: Any) -> dict[str, Any]:
    """A draft claim (JSON, no files) on alice's approved request, naming alice."""
    return {
        "partner": str(world.alice.partner.uuid),
        "request": str(funds_approved(world, world.alice).uuid),
        "amount": "100.00",
    }


# --- Assets helpers ------------------------------------------------------------------


def library_asset(world: Any, owner: Any) -> Any:
    """A co-brandable PDF asset published for `owner` only, with its preview made and a
    ready co-branded copy for `owner` (made directly: the world's profiles are incomplete)."""
    from django.core.files.base import ContentFile
    from django_scopes import scopes_disabled

    from assets import services
    from assets.models import CobrandedCopy
    from tests.assets.factories import make_asset

    asset = make_asset(
        title="Matrix datasheet", cobrandable=True, audience={"partners": [owner.partner]}
    )
    version = asset.versions.get()
    services.version_make_preview(version_id=version.pk)
    with scopes_disabled():
        copy = CobrandedCopy(
            version=version,
            partner=owner.partner,
            cobranding_revision=type(owner.partner)
            .objects.values_list("cobranding_revision", flat=True)
            .get(pk=owner.partner.pk),
            state=CobrandedCopy.State.READY,
        )
        copy.file.save("matrix-copy.pdf", ContentFile(b"%PDF-1.4 matrix copy"), save=False)
        copy.save()
    return asset


def library_url(route: str, world: Any, owner: Any) -> str:
    asset = library_asset(world, owner)
    if route in ("detail", "thumbnail"):
        return reverse(f"library:{route}", kwargs={"uuid": asset.uuid})
    version = asset.versions.get()
    return reverse(f"library:{route}", kwargs={"uuid": asset.uuid, "version": version.uuid})


def library_signed_url(world: Any) -> str:
    from assets import delivery, services

    version = library_asset(world, world.alice).versions.get()
    url, _expires = delivery.short_lived_url(
        version.file.storage,
        delivery.Delivery(
            version.file.name, services.download_filename(version), version.content_type
        ),
    )
    return url


def library_api_url(route: str, world: Any, owner: Any) -> str:
    return reverse(route, kwargs={"id": library_asset(world, owner).uuid})


# --- Campaigns helpers (rows in the "Campaigns" section of ROWS) -----------------------


def campaign_kit(world: Any, owner: Any, *, shared: bool = False) -> Any:
    """A published kit for `owner` only (or, `shared`, for every partner); made once."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns import services
    from campaigns.models import CampaignKit

    slug = "matrix-shared" if shared else f"matrix-{owner.partner.slug}"
    existing = CampaignKit.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    kit = services.kit_create(
        actor=world.staff["marketing_admin"],
        name="Matrix campaign",
        slug=slug,
        objective="lead_generation",
        channels=["email", "social"],
        start_date=today,
        end_date=today + timedelta(days=30),
        landing_url="https://vendor.example.com/matrix?x=1",
        audience=None if shared else {"partners": [owner.partner]},
    )
    return services.kit_publish(kit=kit, actor=world.staff["marketing_admin"])


def campaign_kit_url(world: Any, owner: Any) -> str:
    return reverse("campaigns:kit_detail", kwargs={"slug": campaign_kit(world, owner).slug})


def campaign_launch(world: Any, owner: Any) -> Any:
    """The owner's launch of the shared kit (planned)."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns import services

    today = timezone.localdate()
    return services.launch_create(
        partner=owner.partner,
        kit=campaign_kit(world, owner, shared=True),
        actor=owner.marketer,
        channel="email",
        start_date=today,
        end_date=today + timedelta(days=7),
    )


def campaign_launch_url(route: str, world: Any, owner: Any) -> str:
    return reverse(route, kwargs={"code": campaign_launch(world, owner).code})


def campaign_launch_form() -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return {
        "channel": "email",
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=7)).isoformat(),
    }


def campaign_api_launch_body(world: Any) -> dict[str, Any]:
    """A launch of the shared kit for alice (the staff key must name her)."""
    return {
        "partner": "alice",
        "kit": campaign_kit(world, world.alice, shared=True).slug,
        **campaign_launch_form(),
    }


# --- Results helpers ------------------------------------------------------------------


def results_api_body(world: Any) -> dict[str, Any]:
    """One lead of alice's, naming her partner (as a staff key must)."""
    return {
        "events": [
            {
                "external_id": "matrix-lead-1",
                "partner": str(world.alice.partner.uuid),
                "kind": "lead",
                "occurred_at": "2026-01-05T10:00:00+00:00",
            }
        ]
    }


# --- performance helpers ---------------------------------------------------------------


def performance_url(world: Any, owner: Any, template: str) -> str:
    """`template` with the owner's slug (`{partner}`) and the tracking code of a launch
    of the owner (`{code}`), made here with its kit."""
    from datetime import date

    from django_scopes import scopes_disabled

    from campaigns.models import CampaignKit, Channel, Launch

    kit, _created = CampaignKit.objects.get_or_create(
        slug="matrix-kit",
        defaults={
            "name": "Matrix kit",
            "objective": CampaignKit.Objective.LEAD_GENERATION,
            "channels": [Channel.EMAIL],
            "start_date": date(2026, 1, 1),
            "end_date": date(2027, 12, 31),
            "landing_url": "https://vendor.example.com/matrix",
            "status": CampaignKit.Status.PUBLISHED,
        },
    )
    with scopes_disabled():
        launch = Launch.objects.create(
            partner=owner.partner,
            kit=kit,
            channel=Channel.EMAIL,
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            created_by=owner.admin,
        )
    return template.format(partner=owner.partner.slug, code=launch.code)


# --- business review helpers ---------------------------------------------------------------


def review_of(world: Any, owner: Any) -> Any:
    """A held review (with the scorecard frozen) of the owner's plan of the current quarter."""
    from django.utils import timezone

    from campaigns import services
    from campaigns.models import PlanPeriod
    from tests.campaigns.plan_factories import add_target, make_period, make_plan
    from tests.campaigns.review_factories import quarter_start, soon

    period = make_period(start=quarter_start(timezone.localdate()), kind=PlanPeriod.Kind.QUARTER)
    plan = make_plan(owner, period)
    add_target(plan, owner, values=["10"])
    review = services.review_schedule(
        plan=plan,
        actor=world.staff["marketing_admin"],
        title="Matrix review",
        scheduled_at=soon(1),
        attendees=[owner.admin],
    )
    return services.review_hold(review=review, actor=world.staff["marketing_admin"], notes="OK")


def review_item_of(world: Any, owner: Any) -> Any:
    """An open partner-side action item of the owner's review."""
    from django.utils import timezone

    from campaigns import services

    return services.action_item_add(
        review=review_of(world, owner),
        actor=world.staff["marketing_admin"],
        title="Matrix follow-up",
        owner_side="partner",
        due_date=timezone.localdate(),
    )


# --- Joint marketing plans helpers -------------------------------------------------------


def plan_period(*, start: Any = None) -> Any:
    """An open quarter (2027 Q1 unless told), made once."""
    from datetime import date, timedelta

    from campaigns.models import PlanPeriod

    start = start or date(2027, 1, 1)
    end = date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1) - timedelta(days=1)
    period, _created = PlanPeriod.objects.get_or_create(
        kind=PlanPeriod.Kind.QUARTER, start=start, defaults={"end": end, "name": f"M{start}"}
    )
    return period


def plan_of(world: Any, owner: Any) -> Any:
    """The owner's draft plan for 2027 Q1: a custom target (number 1) and an activity."""
    from django_scopes import scopes_disabled

    from campaigns import services
    from campaigns.models import Plan

    period = plan_period()
    with scopes_disabled():
        plan = Plan.objects.filter(partner=owner.partner, period=period).first()
        if plan is not None:
            return plan
        plan = services.plan_create(
            partner=owner.partner, period=period, actor=owner.marketer, title="Matrix plan"
        )
        services.target_add(
            plan=plan,
            actor=owner.marketer,
            measure="custom",
            name="Engineers certified",
            values=["4"],
            weight="1",
        )
        services.activity_add(plan=plan, actor=owner.marketer, **plan_activity_fields())
    return plan


def plan_activity_fields() -> dict[str, Any]:
    from datetime import date

    from mdf.models import ActivityType

    kind, _created = ActivityType.objects.get_or_create(
        slug="webinar", defaults={"name": "Webinar"}
    )
    return {
        "title": "Matrix webinar",
        "activity_type": kind,
        "owner_side": "partner",
        "start_date": date(2027, 1, 10),
        "end_date": date(2027, 1, 20),
        "budget": "1000.00",
        "currency": "EUR",
    }


def plan_api_activity_body() -> dict[str, Any]:
    fields = plan_activity_fields()
    return {
        **fields,
        "activity_type": fields["activity_type"].slug,
        "start_date": fields["start_date"].isoformat(),
        "end_date": fields["end_date"].isoformat(),
    }


def plan_api_url(route: str, world: Any, owner: Any) -> str:
    from django_scopes import scopes_disabled

    plan = plan_of(world, owner)
    kwargs: dict[str, Any] = {"id": plan.uuid}
    if route in ("api:plan-target", "api:plan-target-actual"):
        kwargs["number"] = 1
    if route == "api:plan-activity":
        with scopes_disabled():
            kwargs["activity"] = plan.activities.get().uuid
    return reverse(route, kwargs=kwargs)


def plan_api_create_body(world: Any) -> dict[str, Any]:
    """A plan for an open period nobody has a plan for (2027 Q2)."""
    from datetime import date

    return {"period": plan_period(start=date(2027, 4, 1)).pk, "title": "Matrix plan"}


# --- Plans portal helpers (rows in the "Plans portal" section of ROWS) -------------------


def portal_plan_of(world: Any, owner: Any) -> Any:
    """The owner's plan for an open year (made once per test)."""
    from datetime import date

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from campaigns import services
    from campaigns.models import Plan, PlanPeriod

    year = timezone.localdate().year
    period, _created = PlanPeriod.objects.get_or_create(
        kind=PlanPeriod.Kind.YEAR,
        start=date(year, 1, 1),
        defaults={"end": date(year, 12, 31), "name": f"Matrix FY {year}"},
    )
    with scopes_disabled():
        existing = Plan.objects.filter(partner=owner.partner, period=period).first()
    if existing is not None:
        return existing
    return services.plan_create(
        partner=owner.partner, period=period, actor=owner.marketer, title="Matrix plan"
    )


def portal_plan_target(world: Any, owner: Any, *, custom: bool = False) -> Any:
    from decimal import Decimal

    from campaigns import services
    from campaigns.models import PlanTarget

    plan = portal_plan_of(world, owner)
    return services.target_add(
        plan=plan,
        actor=owner.marketer,
        measure=PlanTarget.Measure.CUSTOM if custom else PlanTarget.Measure.LEADS,
        name="Matrix custom" if custom else "",
        values=[Decimal(5)] * plan.period.quarter_count,
        weight=Decimal(1),
    )


def portal_plan_activity(world: Any, owner: Any) -> Any:
    from decimal import Decimal

    from django.utils import timezone

    from campaigns import services
    from mdf.models import ActivityType

    activity_type, _created = ActivityType.objects.get_or_create(
        slug="matrix-event", defaults={"name": "Event"}
    )
    today = timezone.localdate()
    return services.activity_add(
        plan=portal_plan_of(world, owner),
        actor=owner.marketer,
        title="Matrix activity",
        activity_type=activity_type,
        owner_side="partner",
        start_date=today,
        end_date=today,
        budget=Decimal("100.00"),
        currency="USD",
    )


def plan_route_url(route: str, make: str, world: Any, owner: Any) -> str:
    """The route for the owner's plan, or its target, custom target, activity or first
    revision (`make`)."""
    plan = portal_plan_of(world, owner)
    kwargs: dict[str, Any] = {"uuid": plan.uuid}
    if make == "target":
        kwargs["target"] = portal_plan_target(world, owner).pk
        if route == "submit":
            del kwargs["target"]  # submitted with its target
    elif make == "custom":
        kwargs["target"] = portal_plan_target(world, owner, custom=True).pk
    elif make == "activity":
        kwargs["activity"] = portal_plan_activity(world, owner).uuid
    elif make == "revision":
        from campaigns import services

        portal_plan_target(world, owner)
        services.plan_submit(plan=plan, actor=owner.marketer)
        if route == "revision":
            kwargs["number"] = 1
    return reverse(f"plans:{route}", kwargs=kwargs)


# --- Voice of the partner helpers (rows in the "Voice of the partner" section of ROWS) ---


def voice_rate_url(kind: str, world: Any, owner: Any) -> str:
    if kind == "kit":
        return reverse("portal:rate_kit", kwargs={"slug": campaign_kit(world, owner).slug})
    return reverse("portal:rate_asset", kwargs={"uuid": library_asset(world, owner).uuid})


def voice_survey_url(world: Any) -> str:
    """An open round of the matrix survey (made once per test)."""
    from datetime import timedelta

    from django.utils import timezone

    from partners.models import Survey

    survey, _created = Survey.objects.get_or_create(title="Matrix pulse")
    today = timezone.localdate()
    survey_round, _created = survey.rounds.get_or_create(
        number=1, defaults={"opens_on": today, "closes_on": today + timedelta(days=13)}
    )
    return reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid})


def voice_feedback_body(world: Any) -> dict[str, Any]:
    """A rating of an asset for alice (the staff key must name her)."""
    return {"partner": "alice", "asset": str(library_asset(world, world.alice).uuid), "rating": 4}


def voice_feedback_url(world: Any, owner: Any) -> str:
    """The rating the owner's admin gave an asset published for the owner."""
    from partners import services

    rating, _created = services.rating_save(
        actor=owner.admin, partner=owner.partner, asset=library_asset(world, owner), rating=3
    )
    return reverse("api:feedback-detail", kwargs={"id": rating.uuid})


# --- the team's helpers (rows in the "team" section of ROWS) ---------------------------------


def team_url(route: str, kind: str, world: Any, owner: Any) -> str:
    """A pending invitation of the owner's partner ("invitation", made per test), or its
    sales rep's membership ("member": not the last admin, so every action may succeed)."""
    from django_scopes import scopes_disabled

    from partners.models import Membership
    from partners.services.recruitment import invitation_create

    if kind == "invitation":
        invitation = invitation_create(
            partner=owner.partner,
            email="matrix-pending@example.com",
            role="sales",
            actor=owner.admin,
        )
        return reverse(route, kwargs={"uuid": invitation.uuid})
    with scopes_disabled():
        membership = Membership.objects.get(user=owner.sales)
    return reverse(route, kwargs={"uuid": membership.uuid})


# --- enablement helpers ---------------------------------------------------------------


def enablement_url(world: Any, page: str) -> str:
    """A page of a shared track with a one-question quiz and nothing to study."""
    from partners.models import EnablementTrack, QuizChoice, QuizQuestion

    track, created = EnablementTrack.objects.get_or_create(
        slug="matrix-track", defaults={"title": "Matrix track", "pass_mark": 50}
    )
    if created:
        question = QuizQuestion.objects.create(track=track, text="Matrix?", position=1)
        QuizChoice.objects.create(question=question, text="Yes", correct=True, position=1)
        QuizChoice.objects.create(question=question, text="No", correct=False, position=2)
    return reverse(f"portal:enablement_{page}", kwargs={"slug": track.slug})


# --- onboarding helpers -----------------------------------------------------------------


def agreement_published(world: Any) -> str:
    """The agreement page, with a published agreement to accept."""
    from django.utils import timezone

    from partners.models import ProgramAgreement

    ProgramAgreement.objects.get_or_create(
        version=1,
        defaults={
            "title": "Matrix agreement",
            "text": "Terms.",
            "effective_date": timezone.localdate(),
            "published_at": timezone.now(),
            "created_by": world.alice.admin,
        },
    )
    return reverse("portal:agreement")


# --- deals API helpers ------------------------------------------------------------------


def deals_api_deal_body(world: Any) -> dict[str, Any]:
    """A registration for alice (what her callers may leave out, and a staff key must
    name)."""
    from tests.deals.api_factories import deal_body

    return deal_body(domain="matrix-customer.example", partner="alice")


def deals_api_url(route: str, status: str, owner: Any) -> str:
    """A registration of the owner's partner in `status`, made per test."""
    from tests.deals.api_factories import make_deal

    return reverse(route, kwargs={"id": make_deal(owner, status=status).uuid})


def deals_api_offer_url(route: str, owner: Any) -> str:
    """A lead offered to the owner's partner and waiting for its answer."""
    from tests.deals.api_factories import make_offer

    return reverse(route, kwargs={"id": make_offer(owner).uuid})


def deals_api_protected_url() -> str:
    from tests.deals.api_factories import make_protected_account

    account = make_protected_account(domain="matrix-vip.example")
    return reverse("api:protected-account-detail", kwargs={"domain": account.domain})


# --- Deals portal helpers (rows in the "Deals portal" section of ROWS) -----------------------


def deals_portal_deal(owner: Any) -> Any:
    """A registration of the owner's, under review (written directly: the rows check who
    gets in, the services are tested in tests/deals)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from deals.models import Deal

    with scopes_disabled():
        return Deal.objects.create(
            partner=owner.partner,
            registered_by=owner.sales,
            company="Matrix customer",
            domain=f"matrix-{owner.partner.slug}.example",
            country="US",
            amount=Decimal("1000.00"),
            currency="USD",
            expected_close_date=timezone.localdate() + timedelta(days=30),
            submitted_at=timezone.now(),
        )


def deals_portal_url(route: str, owner: Any) -> str:
    return reverse(f"deals:{route}", kwargs={"uuid": deals_portal_deal(owner).uuid})


def deals_portal_offer_url(route: str, owner: Any) -> str:
    """A lead offered to the owner, waiting for its answer."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from deals.models import Lead, LeadOffer

    now = timezone.now()
    lead = Lead.objects.create(company="Matrix lead", status=Lead.Status.OFFERED, created_at=now)
    with scopes_disabled():
        offer = LeadOffer.objects.create(
            lead=lead, partner=owner.partner, offered_at=now, due_at=now + timedelta(days=2)
        )
    Lead.objects.filter(pk=lead.pk).update(current_offer=offer)
    return reverse(f"deals:{route}", kwargs={"uuid": offer.uuid})


# --- the company sign-in's helpers (rows in the "company sign-in" section of ROWS) -----------


def company_sign_in_provider(owner: Any) -> Any:
    """The owner's identity provider, with one approved domain, and a second provider
    (`<partner>-matrix-2`, no domain) for a domain to move to."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from partners.models import IdentityProvider, IdentityProviderDomain

    slug = owner.partner.slug
    with scopes_disabled():
        provider, _created = IdentityProvider.objects.get_or_create(
            partner=owner.partner, slug=f"{slug}-matrix", defaults={"name": "Matrix IdP"}
        )
        IdentityProvider.objects.get_or_create(
            partner=owner.partner, slug=f"{slug}-matrix-2", defaults={"name": "Matrix IdP 2"}
        )
        IdentityProviderDomain.objects.get_or_create(
            provider=provider,
            domain=f"matrix-{slug}.example",
            defaults={"approved_at": timezone.now()},
        )
    return provider


def company_sign_in_url(route: str, owner: Any) -> str:
    provider = company_sign_in_provider(owner)
    return reverse(route, kwargs={"slug": provider.slug})


def company_sign_in_domain_url(route: str, owner: Any) -> str:
    provider = company_sign_in_provider(owner)
    return reverse(route, args=[provider.slug, f"matrix-{owner.partner.slug}.example"])
