"""The CRM rollout: the implementation and maintenance checklist, requirements and stakeholders."""
