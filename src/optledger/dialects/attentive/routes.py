"""Every route of the Attentive dialect."""

from fastapi import APIRouter

from optledger.dialects.attentive import me, subscriptions

router = APIRouter()
router.include_router(subscriptions.router)
router.include_router(me.router)
