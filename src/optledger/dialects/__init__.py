"""HTTP dialects: thin adapters from each wire format to the core."""
