"""Operators: people who run the installation, with their own credentials (never a
company's API key): passwords for the console, tokens for the management API."""
