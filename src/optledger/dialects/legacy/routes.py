"""Every route of the legacy dialect."""

from fastapi import APIRouter

from optledger.dialects.legacy import unsubscribe
from optledger.web.errors import Dialect, attentive_error

router = APIRouter()
router.include_router(unsubscribe.router)

DIALECT = Dialect(router, prefixes=("/1/",), error_shape=attentive_error)
