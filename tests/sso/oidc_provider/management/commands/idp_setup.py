"""Create or update a user and/or a client application of the test OIDC provider.

    python -m django idp_setup --user maya --password secret --email maya@vendor.example \
        --group partnerhub-marketing
    python -m django idp_setup --client-id partnerhub --client-secret secret \
        --redirect-uri http://127.0.0.1:8000/accounts/oidc/staff/login/callback/
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tests.sso.oidc_provider import quirks
from tests.sso.oidc_provider.accounts import client_put, user_put


class Command(BaseCommand):
    help = "Create or update a user and/or a client application of the test OIDC provider."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username of the user to create or update")
        parser.add_argument("--password")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--group", action="append", default=[], help="a group name (repeat for more)"
        )
        parser.add_argument("--client-id", help="client id of the application to put")
        parser.add_argument("--client-secret")
        parser.add_argument("--redirect-uri", action="append", default=[])
        parser.add_argument("--name", default="")
        parser.add_argument("--quirk", choices=quirks.QUIRKS)

    def handle(self, *args, **options):
        if not options["user"] and not options["client_id"]:
            raise CommandError("give --user and/or --client-id")
        if options["user"]:
            if not options["password"]:
                raise CommandError("--user needs --password")
            user = user_put(
                username=options["user"],
                password=options["password"],
                email=options["email"],
                groups=options["group"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
            groups = ", ".join(options["group"]) or "no groups"
            self.stdout.write(f"user {user.username} <{user.email}>: {groups}")
        if options["client_id"]:
            if not options["client_secret"] or not options["redirect_uri"]:
                raise CommandError("--client-id needs --client-secret and --redirect-uri")
            application = client_put(
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                redirect_uris=options["redirect_uri"],
                name=options["name"],
                quirk=options["quirk"],
            )
            self.stdout.write(f"client {application.client_id}: {application.redirect_uris}")
