"""Goal-based budget planning: plans, goals and lines, editing, workflow, export and KPIs."""
