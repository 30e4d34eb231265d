"""HTTP plumbing: auth, limits, idempotency, errors, input, the OpenAPI document."""
