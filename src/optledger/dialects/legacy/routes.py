"""Every route of the legacy dialect."""

from fastapi import APIRouter

from optledger.dialects.errors import Dialect, attentive_error
from optledger.dialects.legacy import unsubscribe

router = APIRouter()
router.include_router(unsubscribe.router)

DIALECT = Dialect(router, prefixes=("/1/",), error_shape=attentive_error)
