"""Portal pages of campaigns, one module per use case: `kits` (kits and launches),
`plans` (joint marketing plans), `reviews` (business reviews and action items)."""
