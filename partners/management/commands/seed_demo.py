from django.conf import settings
from django.core.management.base import BaseCommand

from partners.demo import DEMO_PASSWORD, demo_logins, seed_demo, seed_voice


class Command(BaseCommand):
    help = "Load the demo data (idempotent: a second run creates nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--print-logins", action="store_true", help="Print the demo logins.")

    def handle(self, *args, **options):
        created = seed_demo()
        # Each app seeds its own demo on top of the partners (entry point: may span apps).
        from django.contrib.auth import get_user_model

        from analytics.demo import seed_analytics
        from campaigns.demo import seed_campaigns, seed_plans, seed_reviews
        from mdf.demo import seed_mdf_demo

        marketing = get_user_model().objects.get(username="marketing")
        # Launches first: the MDF demo's fund requests name the launches they fund.
        created["campaign kits"] = seed_campaigns(actor=marketing)
        created["MDF pools"] = seed_mdf_demo()
        created["result events"] = seed_analytics()
        # Plans last: their activities name launches and fund requests, their KPI
        # targets read the results.
        created["plans"] = seed_plans()
        # Reviews on the demo plans, with their action items.
        created["business reviews"] = seed_reviews()
        # Ratings name the kits; the survey's answers come from the partners' people.
        created["ratings and survey answers"] = seed_voice()
        # Deal registrations name launches; won deals and accepted leads enter the
        # results that the rollup below turns into figures.
        from deals.demo import seed_deals, seed_leads

        created["deal registrations"] = seed_deals()
        created["leads"] = seed_leads()
        from analytics.rollup import rollup_metrics
        from partners.demo import seed_enablement, seed_recruitment

        # The worker of `make run` rolls the results up a minute later; the fit scores
        # and the tier assessments read them now.
        rollup_metrics()
        # After the results: the applications' fit scores compare with the performers.
        created["partner applications"] = seed_recruitment()
        created["enablement tracks"] = seed_enablement(actor=marketing)
        # The agreement and the checklist name a library asset (and a track, if any).
        from partners.demo import seed_onboarding

        created["onboarding steps"] = seed_onboarding(actor=marketing)
        self.stdout.write(
            "Demo data: " + ", ".join(f"{count} {kind} created" for kind, count in created.items())
        )
        if options["print_logins"]:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for who, username, where in demo_logins():
                self.stdout.write(f"  {who:<36} {username:<22} {settings.SITE_URL}{where}")
