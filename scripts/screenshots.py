"""Take the README's screenshots (docs/img/) from a running demo.

Start the demo first (`make run`, or on another port and data folder:
`VAR_DIR=/tmp/shots manage.py migrate`, `seed_demo`, `runserver 127.0.0.1:8606`), then:

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8606

It logs in as demo users (partners/demo.py), opens each page at 1280 x 800 in
Debian's headless Chromium (never a downloaded browser) and writes one PNG per page,
reduced to a 256-colour palette with Pillow so the files stay small in the repository.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

BASE_DIR = Path(__file__).resolve().parent.parent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Shot:
    name: str
    username: str
    login_path: str
    path: str
    height: int = VIEWPORT["height"]  # taller for a page whose point is below the fold
    # A page whose address holds an id (a plan, a deal): open `path`, then follow the
    # first link matching this CSS selector.
    follow: str = ""


SHOTS = [
    # A partner's view: the MDF balances, requests and claims of one company.
    Shot("portal-funds", "northwind-admin", "/portal/login/", "/portal/funds/"),
    # A partner's view: the content library.
    Shot("portal-library", "northwind-admin", "/portal/login/", "/portal/library/"),
    # Staff's view: the desk, what awaits the finance approver's decision, and the programme.
    Shot("admin-desk", "finance", "/admin/login/", "/admin/"),
    # Staff's view: the fund request queue, what awaits the channel manager's decision.
    Shot("admin-request-queue", "channel", "/admin/login/", "/admin/mdf/fundrequest/"),
    # A partner's view: a year of results, against the previous one, by month.
    Shot(
        "portal-performance",
        "contoso-marketer",
        "/portal/login/",
        "/portal/performance/?period=12m&granularity=month",
        height=1250,
    ),
    # Staff's view: the partner leaderboard over the last twelve months.
    Shot("admin-leaderboard", "analyst", "/admin/login/", "/admin/performance/?period=12m"),
    # A partner's view: its approved joint marketing plan, targets against live actuals.
    Shot(
        "portal-plan",
        "northwind-admin",
        "/portal/login/",
        "/portal/plans/",
        height=1400,
        follow="main table a.fw-semibold",
    ),
    # A partner's view: its deal registrations, protected until when, one under review.
    Shot("portal-deals", "northwind-admin", "/portal/login/", "/portal/deals/", height=1100),
    # A partner's view: an approved deal whose protection ends soon, with the
    # extension it asked for, its stage and its history.
    Shot(
        "portal-deal",
        "northwind-admin",
        "/portal/login/",
        "/portal/deals/?q=pinecrest",
        height=1200,
        follow="main table a.fw-semibold",
    ),
    # A partner's view in German: Fabrikam markets in German, so its people read the
    # portal in German (amounts as German writes them).
    Shot("portal-home-de", "fabrikam-admin", "/portal/login/", "/portal/", height=1100),
    Shot("portal-funds-de", "fabrikam-admin", "/portal/login/", "/portal/funds/"),
    # A partner's view: the leads offered to it (answer by when) and those it works.
    Shot("portal-leads", "contoso-admin", "/portal/login/", "/portal/deals/leads/"),
    # Staff's view: the channel manager's decision page of the registration with a
    # conflict, the other partner's registration of the same customer beside it.
    Shot(
        "admin-deal-conflict",
        "channel",
        "/admin/login/",
        "/admin/deals/deal/?conflict=open",
        height=1800,
        follow="#result_list tbody a",
    ),
    # A partner admin's view: the company sign-in (single sign-on), its redirect URI to
    # register at the company's identity provider, the role rows, the domains.
    Shot(
        "portal-company-sign-in",
        "northwind-admin",
        "/portal/login/",
        "/portal/company/sign-in/",
        height=1500,
    ),
]


def demo_password() -> str:
    """The demo users' one password, from the module that creates them."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from partners.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def log_in(page: Page, base_url: str, shot: Shot, password: str) -> None:
    page.goto(base_url + shot.login_path)
    page.fill("input[name=username]", shot.username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def small_png(png: bytes) -> Image.Image:
    """A palette image: screenshots are flat colours and text, 256 colours show them."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=BASE_DIR / "docs" / "img")
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base_url = args.base_url.rstrip("/")
    password = demo_password()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for shot in SHOTS:
            if args.only and shot.name not in args.only:
                continue
            # One context per shot: its own cookies, so each login is the shot's user.
            context = browser.new_context(
                viewport={**VIEWPORT, "height": shot.height}, locale="en-US"
            )
            page = context.new_page()
            log_in(page, base_url, shot, password)
            page.goto(base_url + shot.path)
            page.wait_for_load_state("networkidle")
            if shot.follow:
                page.locator(shot.follow).first.click()
                page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # the charts' drawing animation
            target = args.out / f"{shot.name}.png"
            small_png(page.screenshot()).save(target, optimize=True)
            print(f"{target} ({target.stat().st_size // 1024} KB)")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
