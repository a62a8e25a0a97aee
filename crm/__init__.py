"""Service layer and domain rules of the CRM portal. Never imports Streamlit."""
