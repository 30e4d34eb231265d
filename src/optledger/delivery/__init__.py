"""Delivery: the outbox worker and the transports it sends through."""
