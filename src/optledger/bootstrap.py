"""Idempotent set-up of a company ready to use: lists, API units and credentials."""

from __future__ import annotations

from dataclasses import dataclass

from optledger.core.auth.credential_kinds import CredentialKind
from optledger.core.auth.credentials import IssuedCredential, new_secret_pair, store_credential
from optledger.core.auth.scopes import ALL_SCOPES
from optledger.core.catalog import load_catalog
from optledger.core.companies import ensure_company
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.sign_up_units import Locale, UnitSpec, create_sign_up_unit
from optledger.storage.repositories.companies import CompanyRow
from optledger.storage.repositories.units import UnitRow
from optledger.storage.sql import Connection

BOOTSTRAP_CREDENTIAL = "bootstrap"
BOOTSTRAP_LOCALE = Locale("en", "US")

DISCLOSURES = {
    SubscriptionType.MARKETING: (
        "By subscribing you agree to receive recurring automated marketing messages "
        "from {company} at the number or address provided. Consent is not a condition "
        "of purchase. Msg & data rates may apply. Msg frequency varies. Reply HELP for "
        "help, STOP to cancel."
    ),
    SubscriptionType.TRANSACTIONAL: (
        "You agree to receive order and account messages from {company}. "
        "Msg & data rates may apply. Reply STOP to cancel."
    ),
    SubscriptionType.CHECKOUT_ABANDONED: (
        "You agree to receive cart reminder messages from {company}. "
        "Msg & data rates may apply. Reply STOP to cancel."
    ),
}


@dataclass(frozen=True)
class BootstrapResult:
    """A company and everything needed to call its APIs."""

    company: CompanyRow
    api_key: IssuedCredential
    legacy_token: IssuedCredential
    basic: IssuedCredential
    units: list[UnitRow]


def bootstrap_unit_name(sub_type: SubscriptionType) -> str:
    """The name of the API unit bootstrap keeps for a subscription type."""
    return f"API {sub_type.value.lower().replace('_', ' ')} {BOOTSTRAP_LOCALE.tag}"


async def bootstrap_company(
    connection: Connection, key: str, *, server_secret: str, name: str | None = None
) -> BootstrapResult:
    """Create, or find again, a company with one API unit per type and its credentials.

    Credentials are derived from the server secret and the company key, so running
    this again prints the same working credentials while only hashes are stored.
    """
    company = await ensure_company(connection, key, name)
    units = [await _ensure_api_unit(connection, company, sub_type) for sub_type in SubscriptionType]
    catalog = await load_catalog(connection, company.id)
    issued: dict[CredentialKind, IssuedCredential] = {}
    for kind in CredentialKind:
        issued[kind] = new_secret_pair(kind, seed=f"{server_secret}:{company.key}:{kind}")
        await store_credential(
            connection,
            company.id,
            issued[kind],
            name=BOOTSTRAP_CREDENTIAL,
            scopes=list(ALL_SCOPES) if kind == CredentialKind.API_KEY else [],
        )
    return BootstrapResult(
        company=catalog.company,
        api_key=issued[CredentialKind.API_KEY],
        legacy_token=issued[CredentialKind.LEGACY_TOKEN],
        basic=issued[CredentialKind.BASIC],
        units=units,
    )


async def _ensure_api_unit(
    connection: Connection, company: CompanyRow, sub_type: SubscriptionType
) -> UnitRow:
    name = bootstrap_unit_name(sub_type)
    catalog = await load_catalog(connection, company.id)
    unit = next((unit for unit in catalog.units if unit.name == name), None)
    if unit is not None:
        return unit
    return await create_sign_up_unit(
        connection,
        company.id,
        UnitSpec(
            name=name,
            subscription_type=sub_type,
            channels=[Channel.TEXT, Channel.EMAIL],
            locale=BOOTSTRAP_LOCALE,
            legal_disclosure=DISCLOSURES[sub_type].format(company=company.name),
            allow_single_opt_in=True,
        ),
    )
