"""Every route of the Attentive dialect."""

from fastapi import APIRouter

from optledger.dialects.attentive import (
    custom_attributes,
    eligibility,
    identity,
    me,
    privacy,
    proofs,
    subscriptions,
    user_attributes,
    webhooks,
)
from optledger.web.errors import Dialect, attentive_error

router = APIRouter()
router.include_router(eligibility.router)
router.include_router(proofs.router)
router.include_router(subscriptions.router)
router.include_router(me.router)
router.include_router(user_attributes.router)
router.include_router(custom_attributes.router)
router.include_router(identity.router)
router.include_router(privacy.router)
router.include_router(webhooks.router)

DIALECT = Dialect(router, prefixes=("/v1/", "/v2/"), error_shape=attentive_error)
