"""`POST /v1/subscriptions/eligibility`: many eligibility checks in one request.

An optledger extension beside the Attentive routes, for platforms that filter an
audience before a send. Items come back in request order with the same shape as
`GET /v1/subscriptions`; an invalid contact point carries an `error` instead of
failing the batch.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from optledger.core.use_cases.subscriptions import check_eligibility_of_batch
from optledger.dialects.attentive.dependencies import SubscriberWriter
from optledger.dialects.attentive.wire import UserDto, WireModel
from optledger.web.authentication import DatabaseDep

MAX_BATCH = 1000

router = APIRouter(prefix="/v1/subscriptions", tags=["Subscribers"])


class BatchEligibilityRequest(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"users": [{"phone": "+14155550123"}, {"email": "ada@example.com"}]}]
        }
    )

    users: list[UserDto] = Field(min_length=1, max_length=MAX_BATCH)


class BatchEligibilityItem(WireModel):
    user: UserDto
    subscription_eligibilities: list[dict[str, Any]]
    error: str | None = None


class BatchEligibilityResponse(WireModel):
    results: list[BatchEligibilityItem]


@router.post(
    "/eligibility",
    response_model=BatchEligibilityResponse,
    response_model_exclude_none=True,
    openapi_extra={"x-optledger-extension": True},
    summary="Check the eligibility of up to 1,000 users (optledger extension)",
)
async def check_batch_eligibility(
    body: BatchEligibilityRequest, principal: SubscriberWriter, database: DatabaseDep
) -> JSONResponse:
    """Eligibility of each user's phone or email, in request order, in one query."""
    answers = await check_eligibility_of_batch(
        database, principal.company.id, [(user.phone, user.email) for user in body.users]
    )
    results = []
    # Built as plain dicts: a thousand items through response models cost more than
    # the query.
    for user, answer in zip(body.users, answers, strict=True):
        item: dict[str, Any] = {
            "user": {
                key: value
                for key, value in (("phone", user.phone), ("email", user.email))
                if value is not None
            },
            "subscriptionEligibilities": [
                {
                    "subscription": {"type": e.type.value, "channel": e.channel.value},
                    "eligibility": {"isEligible": e.is_eligible},
                }
                for e in answer.eligibilities
            ],
        }
        if answer.error is not None:
            item["error"] = answer.error
        results.append(item)
    return JSONResponse({"results": results})
