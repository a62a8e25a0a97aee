"""What an import changes besides its own rows: the Insights figures that readers share for a minute."""
from __future__ import annotations


def figures_changed() -> None:
    """Figures kept by ``crm.insights.figures.SHARED_FIGURES`` are computed again on their next read: an import,
    or its revert, changed what they count (new customers, interactions, survey answers...)."""
    from crm.insights.figures import SHARED_FIGURES  # pandas and the figures load only when an import ran

    SHARED_FIGURES.clear()
