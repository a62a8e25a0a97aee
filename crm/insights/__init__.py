"""Customer knowledge: figures for the Insights page, the summary tables behind them, surveys."""
