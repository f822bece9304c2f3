"""Portal pages of deals/ (/portal/deals/): deal registrations (`registration`) and the
leads the vendor offers the partner (`leads`)."""
