"""Interactions: what happened with a customer, follow-ups, the feedback board, and Home."""
