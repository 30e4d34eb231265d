"""Storage: migrations, database URLs, outages, replication, failover."""
