"""Every route of the Vibes dialect."""

from fastapi import APIRouter

from optledger.dialects.vibes import campaigns, lists, persons, subscriptions

router = APIRouter()
router.include_router(subscriptions.router)
router.include_router(persons.router)
router.include_router(lists.router)
router.include_router(campaigns.router)
