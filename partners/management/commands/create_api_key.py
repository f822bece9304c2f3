from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from partners.models import Partner
from partners.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a partner (--partner SLUG) or a staff key (--staff)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--partner", metavar="SLUG", help="The partner the key acts for.")
        target.add_argument(
            "--staff", action="store_true", help="A staff integration key (all partners)."
        )
        parser.add_argument("--name", required=True, help="What uses the key, e.g. 'CRM sync'.")

    def handle(self, *args, **options):
        partner = None
        if options["partner"]:
            with scopes_disabled():
                partner = Partner.objects.filter(slug=options["partner"]).first()
            if partner is None:
                raise CommandError(f"No partner with slug {options['partner']!r}.")
        try:
            # The command line is an operator's tool: it acts with staff authority.
            created = api_key_create(
                name=options["name"], partner=partner, created_by=None, by_operator=True
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        owner = partner.name if partner else "staff (all partners)"
        self.stderr.write(
            f"Created key {created.api_key.prefix} “{created.api_key.name}” for {owner}."
        )
        self.stderr.write("Store it now: it is shown only this once.")
        self.stdout.write(created.raw_key)
