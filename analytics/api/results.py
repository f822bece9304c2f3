"""POST /api/v1/results/: batches of result events from integrations."""
