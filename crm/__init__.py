"""Service layer and domain rules of the CRM portal. Never imports Streamlit."""

__version__ = "1.0.0"  # the portal's release, reported by GET /api/v1/health: raise it with each release
