"""A company's credentials, as the doors show them."""

from __future__ import annotations

from optledger.storage.repositories.credentials import CredentialListing as CredentialListing
