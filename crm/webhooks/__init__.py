"""Outbound webhooks: admins register addresses for events; changes queue signed deliveries in their own
transaction (events.emit); a sender posts them and retries (sender); the log shows each one (deliveries)."""
