from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from partners.models import Membership, Partner
from partners.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for a partner (--partner SLUG, with --role) or a staff key "
        "(--staff). The key acts as itself: what it does is recorded as the key."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--partner", metavar="SLUG", help="The partner the key acts for.")
        target.add_argument(
            "--staff", action="store_true", help="A staff integration key (all partners)."
        )
        parser.add_argument("--name", required=True, help="What uses the key, e.g. 'CRM sync'.")
        parser.add_argument(
            "--role",
            choices=Membership.Role.values,
            help=(
                "What a partner key may do, as that partner role: admin (everything, the "
                "default), marketer (funds, no company profile) or sales (read only)."
            ),
        )

    def handle(self, *args, **options):
        partner = None
        if options["staff"] and options["role"]:
            raise CommandError("A staff key acts across partners: it has no --role.")
        if options["partner"]:
            with scopes_disabled():
                partner = Partner.objects.filter(slug=options["partner"]).first()
            if partner is None:
                raise CommandError(f"No partner with slug {options['partner']!r}.")
        try:
            # The command line is an operator's tool: it acts with staff authority.
            created = api_key_create(
                name=options["name"],
                partner=partner,
                created_by=None,
                role=options["role"],
                by_operator=True,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        owner = (
            f"{partner.name} (role: {options['role'] or Membership.Role.ADMIN})"
            if partner
            else "staff (all partners)"
        )
        self.stderr.write(
            f"Created key {created.api_key.prefix} “{created.api_key.name}” for {owner}."
        )
        self.stderr.write("Store it now: it is shown only this once.")
        self.stdout.write(created.raw_key)
