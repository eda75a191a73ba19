"""The HTTP API (FastAPI): health, metrics, KPIs and the city's live data."""
