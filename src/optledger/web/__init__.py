"""HTTP plumbing shared by every door: authentication, errors, limits, idempotency, lanes."""
