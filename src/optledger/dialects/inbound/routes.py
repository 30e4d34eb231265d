"""Every route of the inbound SMS dialect."""

from fastapi import APIRouter

from optledger.dialects.inbound import sms, twilio
from optledger.web.errors import Dialect, attentive_error

router = APIRouter()
router.include_router(sms.router)
router.include_router(twilio.router)

DIALECT = Dialect(router, prefixes=("/inbound/",), error_shape=attentive_error)
