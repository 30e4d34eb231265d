"""Every route of the Vibes dialect."""

from fastapi import APIRouter

from optledger.dialects.vibes import callbacks, campaigns, lists, persons, subscriptions
from optledger.dialects.vibes.dependencies import PREFIX, vibes_error
from optledger.web.errors import Dialect

router = APIRouter()
router.include_router(subscriptions.router)
router.include_router(persons.router)
router.include_router(lists.router)
router.include_router(campaigns.router)
router.include_router(callbacks.router)

DIALECT = Dialect(router, prefixes=(f"{PREFIX}/",), error_shape=vibes_error)
