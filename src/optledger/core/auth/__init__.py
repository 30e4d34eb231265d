"""Credentials, scopes and who is asking."""
