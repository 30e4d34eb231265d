"""Delivery: the outbox and its workers, transports, webhooks."""
