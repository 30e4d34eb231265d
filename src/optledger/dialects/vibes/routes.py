"""Every route of the Vibes dialect."""

from fastapi import APIRouter

from optledger.dialects.errors import Dialect
from optledger.dialects.vibes import callbacks, campaigns, lists, persons, subscriptions
from optledger.dialects.vibes.dependencies import PREFIX, vibes_error

router = APIRouter()
router.include_router(subscriptions.router)
router.include_router(persons.router)
router.include_router(lists.router)
router.include_router(campaigns.router)
router.include_router(callbacks.router)

DIALECT = Dialect(router, prefixes=(f"{PREFIX}/",), error_shape=vibes_error)
