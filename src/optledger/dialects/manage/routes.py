"""Every route of the management API, with its error shape under `/manage/`."""

from fastapi import APIRouter, Depends

from optledger.dialects.manage import companies, credentials, links, lists, templates, units
from optledger.dialects.manage.dependencies import only_known_query
from optledger.dialects.manage.errors import manage_error
from optledger.web.errors import Dialect

# Every route refuses query parameters it does not take.
router = APIRouter(
    dependencies=[Depends(only_known_query)],
    responses={400: {"description": "A query parameter the route does not take."}},
)
router.include_router(companies.router)
router.include_router(lists.router)
router.include_router(units.router)
router.include_router(templates.router)
router.include_router(credentials.router)
router.include_router(links.router)

DIALECT = Dialect(router, prefixes=("/manage/",), error_shape=manage_error)
