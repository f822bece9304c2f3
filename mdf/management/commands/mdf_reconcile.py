from django.core.management.base import BaseCommand, CommandError

from mdf.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Recompute every MDF balance from the ledger, compare with the state tables and "
        "verify every hash chain. Exits non-zero on any difference, naming it."
    )

    def handle(self, *args, **options):
        problems = reconcile()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} difference(s) found.")
        self.stdout.write("MDF ledger reconciles: every balance and chain is consistent.")
