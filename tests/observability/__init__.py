"""Logs, metrics, heartbeats and readiness."""
