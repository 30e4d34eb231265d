"""Signed links in emails: confirm a double opt-in, unsubscribe in one click (RFC 8058).

No link is stored. A link carries what it acts on, signed (HMAC-SHA256, through
`itsdangerous`) with a key derived from a server secret that the database keeps
(`server_secrets`, name `consent_links`, made by whichever process needs it first),
so that every process of an installation, servers, workers and the management API,
signs and checks alike without sharing anything but the database. Each kind of
link has its own derived key: an unsubscribe token never passes as a confirm one.

- A confirm link (`/c/{token}`) names a record of its company and when it was
  issued; it lasts the confirmation time to live, and it is used once its record
  is no longer PENDING.
- An unsubscribe link (`/u/{token}`) names a company, one of its email lists and
  an address; it does not expire (mailbox providers keep it for the life of the
  email, RFC 8058).

Links point at `OPTLEDGER_PUBLIC_BASE_URL`, or at `DEFAULT_PUBLIC_BASE_URL` when it
is not set: production must set it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from itsdangerous import BadData, URLSafeSerializer

from optledger.core.catalog import load_catalog
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.contact_points import normalize_email
from optledger.core.errors import InvalidInput, NotFound
from optledger.storage.clock import utcnow
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.server_secrets import shared_secret, stored_secret
from optledger.storage.sql import Connection

CONFIRM_PATH = "/c/"
UNSUBSCRIBE_PATH = "/u/"
# Where links point when `OPTLEDGER_PUBLIC_BASE_URL` is not set: `optledger serve`'s
# own address, good for a trial on one machine and for nothing else.
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
SECRET_NAME = "consent_links"
# The longest token a link can carry (an address is at most 254 characters).
MAX_TOKEN_LENGTH = 1024
# Addresses one call of `mint_unsubscribe_links` takes.
MAX_ADDRESSES = 1000

ONE_CLICK = "List-Unsubscribe=One-Click"

_SIGNER_OPTIONS: dict[str, Any] = {"key_derivation": "hmac", "digest_method": hashlib.sha256}


@dataclass(frozen=True)
class ConfirmLink:
    """What a confirm token says: this record, issued then."""

    company_id: int
    record_id: int
    issued_at: datetime


@dataclass(frozen=True)
class UnsubscribeLink:
    """What an unsubscribe token says: this address, off this list of this company."""

    company_id: int
    list_id: int
    address: str


def _ints(values: Any, count: int) -> bool:
    return (
        isinstance(values, list)
        and len(values) == count
        and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    )


class LinkSigner:
    """Makes and reads the tokens and URLs of consent links."""

    def __init__(self, secret: str, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._confirm = URLSafeSerializer(
            secret, salt="optledger.consent-link.confirm", signer_kwargs=_SIGNER_OPTIONS
        )
        self._unsubscribe = URLSafeSerializer(
            secret, salt="optledger.consent-link.unsubscribe", signer_kwargs=_SIGNER_OPTIONS
        )

    def confirm_token(
        self, company_id: int, record_id: int, issued_at: datetime | None = None
    ) -> str:
        """A token that confirms one PENDING record until the time to live runs out."""
        issued = int((issued_at or utcnow()).timestamp())
        return str(self._confirm.dumps([company_id, record_id, issued]))

    def confirm_url(self, company_id: int, record_id: int) -> str:
        return f"{self.base_url}{CONFIRM_PATH}{self.confirm_token(company_id, record_id)}"

    def unsubscribe_token(self, company_id: int, list_id: int, address: str) -> str:
        """A token that ends `address`'s subscription to one list."""
        return str(self._unsubscribe.dumps([company_id, list_id, address]))

    def unsubscribe_url(self, company_id: int, list_id: int, address: str) -> str:
        token = self.unsubscribe_token(company_id, list_id, address)
        return f"{self.base_url}{UNSUBSCRIBE_PATH}{token}"

    def read_confirm(self, token: str) -> ConfirmLink | None:
        """What a confirm token says; None unless this installation signed it."""
        payload = self._load(self._confirm, token)
        if not _ints(payload, 3):
            return None
        company_id, record_id, issued = payload
        try:
            issued_at = datetime.fromtimestamp(issued, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return ConfirmLink(company_id, record_id, issued_at)

    def read_unsubscribe(self, token: str) -> UnsubscribeLink | None:
        """What an unsubscribe token says; None unless this installation signed it."""
        payload = self._load(self._unsubscribe, token)
        if not (isinstance(payload, list) and len(payload) == 3):
            return None
        if not (_ints(payload[:2], 2) and isinstance(payload[2], str)):
            return None
        return UnsubscribeLink(payload[0], payload[1], payload[2])

    @staticmethod
    def _load(serializer: URLSafeSerializer, token: str) -> Any:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            # The signature is checked before the payload is decoded at all.
            return serializer.loads(token)
        except (BadData, UnicodeError, ValueError):
            return None


_secrets: dict[str, str] = {}


def configured_base_url() -> str:
    """The public base URL the process is configured with, else the default."""
    from optledger.settings import get_settings

    return (get_settings().public_base_url or DEFAULT_PUBLIC_BASE_URL).rstrip("/")


def configured_mailto() -> str | None:
    """The `OPTLEDGER_UNSUBSCRIBE_MAILTO` address, if the process has one."""
    from optledger.settings import get_settings

    return get_settings().unsubscribe_mailto


async def link_signer(connection: Connection, base_url: str | None = None) -> LinkSigner:
    """The installation's signer, its links under `base_url` (default: as configured).

    The secret is read once per process and database. One this unit of work made
    itself is not remembered until it is committed (read back the next time): a
    rolled-back secret must not sign anything that outlives it.
    """
    secret = _secrets.get(connection.scope)
    if secret is None:
        found = await stored_secret(connection, SECRET_NAME)
        if found is not None:
            _secrets[connection.scope] = secret = found
        else:
            secret = await shared_secret(connection, SECRET_NAME)
    return LinkSigner(secret, base_url or configured_base_url())


def _mailto(address: str, token: str) -> str:
    address = address.strip().removeprefix("mailto:")
    if "?" in address:
        return f"mailto:{address}"
    # Whoever reads that mailbox learns the list and address from the token.
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


def list_unsubscribe_headers(
    signer: LinkSigner, company_id: int, list_id: int, address: str, mailto: str | None = None
) -> dict[str, str]:
    """`List-Unsubscribe` (the HTTPS one-click URL, and `mailto` if given) and
    `List-Unsubscribe-Post` for an email to `address` on one list (RFC 2369, 8058)."""
    token = signer.unsubscribe_token(company_id, list_id, address)
    return _headers(f"{signer.base_url}{UNSUBSCRIBE_PATH}{token}", token, mailto)


def _headers(url: str, token: str, mailto: str | None) -> dict[str, str]:
    targets = [f"<{url}>"]
    if mailto:
        targets.append(f"<{_mailto(mailto, token)}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": ONE_CLICK}


@dataclass(frozen=True)
class MintedLink:
    """One address's one-click unsubscribe URL and the headers its emails carry."""

    address: str
    url: str
    headers: Mapping[str, str]


async def mint_unsubscribe_links(
    connection: Connection,
    company: CompanyRow,
    addresses: Iterable[str],
    list_id: int | None = None,
    *,
    base_url: str | None = None,
    mailto: str | None = None,
) -> list[MintedLink]:
    """One-click unsubscribe URLs and headers for a brand's own emails to `addresses`.

    `list_id` is one of the company's email lists (None: its default MARKETING email
    list). Each address is validated and normalised as stored; a link ends that
    address's subscription to the list with `user_opt_out`. `mailto` defaults to
    `OPTLEDGER_UNSUBSCRIBE_MAILTO`. Nothing is written but, the first time an
    installation makes a link, its signing secret.
    """
    wanted = list(addresses)
    if not wanted:
        raise InvalidInput("name at least one address")
    if len(wanted) > MAX_ADDRESSES:
        raise InvalidInput(f"at most {MAX_ADDRESSES} addresses at a time")
    catalog = await load_catalog(connection, company.id)
    if list_id is None:
        target = catalog.default_list(SubscriptionType.MARKETING, Channel.EMAIL)
        if target is None:
            raise NotFound("the company has no default MARKETING email list")
    else:
        target = next((found for found in catalog.lists if found.id == list_id), None)
        if target is None:
            raise NotFound(f"subscription list {list_id} does not exist")
    if target.channel != Channel.EMAIL:
        raise InvalidInput(f"subscription list {target.id} is not an email list")
    normalised = [normalize_email(address) for address in wanted]
    signer = await link_signer(connection, base_url)
    mailto = mailto if mailto is not None else configured_mailto()
    minted = []
    for address in normalised:
        token = signer.unsubscribe_token(company.id, target.id, address)
        url = f"{signer.base_url}{UNSUBSCRIBE_PATH}{token}"
        minted.append(MintedLink(address, url, _headers(url, token, mailto)))
    return minted
