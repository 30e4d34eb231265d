"""`GET /v1/subscriptions/proof`: a contact point's proof of consent.

An optledger extension beside the Attentive routes: the records of one phone or
email, their evidence and every event of them, each with an inclusion proof against
one signed tree head, which anyone holding the installation's public key can check
offline (docs/ledger.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from optledger.core.contact_points import ContactPoints
from optledger.core.use_cases.ledger import prove_consent
from optledger.dialects.attentive.dependencies import SubscriberWriter
from optledger.dialects.attentive.subscriptions import (
    NO_SUBSCRIBER,
    EmailQuery,
    PhoneQuery,
    query_phone,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/subscriptions", tags=["Subscribers"])

PROOF_EXAMPLE: dict[str, Any] = {
    "v": 1,
    "kind": "optledger proof of consent",
    "company": "acme",
    "contact_point": "+14155550123",
    "records": [{"id": 7, "status": "ACTIVE", "unit": {"id": 3, "name": "Spring"}}],
    "events": [{"event_id": 41, "leaf": "{...}", "leaf_index": 40, "inclusion_proof": []}],
    "head": {"signed": "{...}", "signature": "base64", "key_id": "3f0c..."},
    "public_key": "-----BEGIN PUBLIC KEY-----...",
}


@router.get(
    "/proof",
    openapi_extra={"x-optledger-extension": True},
    summary="Proof of consent of a phone or email (optledger extension)",
    responses={
        200: {
            "description": "The proof: records, their evidence, every event with its leaf "
            "and inclusion proof, the signed tree head and the public key.",
            "content": {"application/json": {"example": PROOF_EXAMPLE}},
        },
        **NO_SUBSCRIBER,
    },
)
async def get_proof(
    principal: SubscriberWriter,
    database: DatabaseDep,
    phone: PhoneQuery = None,
    email: EmailQuery = None,
) -> JSONResponse:
    """The proof of consent of one phone or email, checkable offline with the
    installation's public key; its events are sealed first if they are not yet."""
    contacts = ContactPoints.parse(query_phone(phone), email)
    document = await prove_consent(database, principal.company, contacts)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})
