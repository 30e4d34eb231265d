"""Rules of the core: properties, constraints under concurrency, sign-in."""
