"""Operations: Prometheus metrics, structured logs, request lines and worker heartbeats."""
