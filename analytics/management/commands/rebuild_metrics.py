import datetime

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from analytics.rollup import rebuild_metrics
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Rebuild the daily metrics from the raw result events: all of them, or one "
        "partner's (--partner SLUG) and/or the days from a date on (--since YYYY-MM-DD). "
        "Waits for a running rollup; the rollup's watermark does not move."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", metavar="SLUG", help="Only this partner's metrics.")
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="Only the days from this date on."
        )

    def handle(self, *args, **options):
        partner = None
        since = None
        if options["partner"] is not None:
            with scopes_disabled():
                partner = Partner.objects.filter(slug=options["partner"]).first()
            if partner is None:
                raise CommandError(f"--partner: no partner with slug {options['partner']!r}.")
        if options["since"] is not None:
            try:
                since = datetime.date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(
                    f"--since: {options['since']!r} is not a date (YYYY-MM-DD)."
                ) from None
        rows = rebuild_metrics(partner=partner, since=since)
        scope = []
        if partner is not None:
            scope.append(f"partner {partner.slug}")
        if since is not None:
            scope.append(f"days from {since.isoformat()}")
        self.stdout.write(
            f"Rebuilt {rows} daily metric row(s) from the raw events "
            f"({', '.join(scope) or 'all partners, all days'})."
        )
