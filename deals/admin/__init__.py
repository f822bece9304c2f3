"""Staff pages of deals in the admin, one module per use case: `registration` (deal
registrations with their decision page, extension requests), `leads` (leads with their
routing history and the offer/route/withdraw actions), `program` (the program's
settings, products, protected accounts with the CSV import, routing rules, lead
weights)."""

# Importing a module registers its ModelAdmins.
from deals.admin import leads, program, registration  # noqa: F401
