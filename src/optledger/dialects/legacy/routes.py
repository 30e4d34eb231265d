"""Every route of the legacy dialect."""

from fastapi import APIRouter

from optledger.dialects.legacy import unsubscribe

router = APIRouter()
router.include_router(unsubscribe.router)
