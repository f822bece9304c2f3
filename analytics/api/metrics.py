"""GET /api/v1/metrics/: rollups and KPIs."""
