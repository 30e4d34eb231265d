"""`/v1/subscriptions`: subscribe, eligibility and unsubscribe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from optledger.core import subscriptions as core
from optledger.core.consent import SubscriptionType
from optledger.core.contact_points import MAX_EMAIL_LENGTH, ContactPoints
from optledger.core.use_cases import subscriptions as use_cases
from optledger.dialects.attentive.dependencies import SubscriberWriter, attentive_context
from optledger.dialects.attentive.wire import (
    ExternalIdentifiersDto,
    LocaleDto,
    ShortText,
    SubscriptionDto,
    SubscriptionTypeName,
    UserDto,
    WireModel,
)
from optledger.storage.database import Database
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/subscriptions", tags=["Subscribers"])

NO_SUBSCRIBER: dict[int | str, dict[str, Any]] = {
    404: {"description": "No subscriber has this phone or email."}
}


class SubscribeRequest(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user": {"phone": "+14155550123", "email": "ada@example.com"},
                    "locale": {"language": "en", "country": "US"},
                    "subscriptionType": "MARKETING",
                    "singleOptIn": True,
                }
            ]
        }
    )

    user: UserDto
    sign_up_source_id: ShortText | int | None = None
    external_identifiers: ExternalIdentifiersDto | None = None
    locale: LocaleDto | None = None
    subscription_type: SubscriptionTypeName | None = None
    single_opt_in: bool = False


class SubscriptionCreationDto(WireModel):
    subscription: SubscriptionDto
    subscription_creation_status: Literal["NEWLY_CREATED", "PREVIOUSLY_CREATED"]


class SubscribeResponse(WireModel):
    user: UserDto
    external_identifiers: ExternalIdentifiersDto | None = None
    subscription_responses: list[SubscriptionCreationDto]


class NotificationDto(WireModel):
    language: Literal["en-US", "fr-CA"] | None = None
    disabled: bool = False


class UnsubscribeRequest(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user": {"phone": "+14155550123"},
                    "subscriptions": [{"type": "MARKETING", "channel": "TEXT"}],
                }
            ]
        }
    )

    user: UserDto
    subscriptions: list[SubscriptionDto] | None = Field(default=None, max_length=20)
    notification: NotificationDto | None = None


class SubscriptionUnsubscribeDto(WireModel):
    subscription: SubscriptionDto
    subscription_unsubscribe_status: Literal["NEWLY_UNSUBSCRIBED", "PREVIOUSLY_UNSUBSCRIBED"]


class UnsubscribeResponse(WireModel):
    user: UserDto
    subscription_responses: list[SubscriptionUnsubscribeDto]


class EligibilityDto(WireModel):
    is_eligible: bool


class SubscriptionEligibilityDto(WireModel):
    subscription: SubscriptionDto
    eligibility: EligibilityDto


class EligibilityResponse(WireModel):
    subscription_eligibilities: list[SubscriptionEligibilityDto]


MAX_PHONE_QUERY = 32
MAX_EMAIL_QUERY = MAX_EMAIL_LENGTH
# The query parameters that name one subscriber: eligibility and proofs take them alike.
PhoneQuery = Annotated[str | None, Query(max_length=MAX_PHONE_QUERY, examples=["+14155550123"])]
EmailQuery = Annotated[str | None, Query(max_length=MAX_EMAIL_QUERY, examples=["ada@example.com"])]


def query_phone(raw: str | None) -> str | None:
    """A phone from a query string, its "+" restored if it arrived as a space."""
    # An unencoded "+" in a query string arrives as a space.
    if raw is not None and raw.startswith(" ") and raw.strip().isascii() and raw.strip().isdigit():
        return "+" + raw.strip()
    return raw


async def eligibility_answer(
    database: Database, company_id: int, phone: str | None, email: str | None
) -> JSONResponse:
    """The `GET /v1/subscriptions` answer, built as plain JSON (see `eligibility_lane`)."""
    contacts = ContactPoints.parse(query_phone(phone), email)
    found = await use_cases.check_eligibility(database, company_id, contacts)
    return JSONResponse(
        {
            "subscriptionEligibilities": [
                {
                    "subscription": {"type": item.type.value, "channel": item.channel.value},
                    "eligibility": {"isEligible": item.is_eligible},
                }
                for item in found
            ]
        }
    )


@router.post(
    "",
    status_code=202,
    response_model_by_alias=True,
    responses={
        404: {"description": "No sign-up source has this id."},
        409: {
            "description": "An identifier belongs to another person, or the contact point "
            "was erased on request and the subscription would not be confirmed."
        },
        422: {"description": "The number answered NO to this sign-up source's prompt."},
    },
)
async def create_subscription(
    body: SubscribeRequest, request: Request, principal: SubscriberWriter, database: DatabaseDep
) -> SubscribeResponse:
    """Opt a user in through a sign-up source, or the one API unit for locale and type."""
    command = core.SubscribeCommand(
        contacts=ContactPoints.parse(body.user.phone, body.user.email),
        unit_id=None if body.sign_up_source_id is None else str(body.sign_up_source_id),
        locale=body.locale.to_core() if body.locale else None,
        subscription_type=SubscriptionType(body.subscription_type)
        if body.subscription_type
        else None,
        single_opt_in=body.single_opt_in,
        external_identifiers=body.external_identifiers.to_core()
        if body.external_identifiers
        else [],
    )
    context = attentive_context(request, principal)
    result = await use_cases.subscribe(database, principal.company, command, context)
    return SubscribeResponse(
        user=UserDto(phone=command.contacts.phone, email=command.contacts.email),
        external_identifiers=body.external_identifiers,
        subscription_responses=[
            SubscriptionCreationDto(
                subscription=SubscriptionDto(
                    type=outcome.type.value, channel=outcome.channel.value
                ),
                subscription_creation_status=outcome.status.value,
            )
            for outcome in result.outcomes
        ],
    )


@router.get(
    "", response_model=EligibilityResponse, response_model_by_alias=True, responses=NO_SUBSCRIBER
)
async def get_subscriptions(
    principal: SubscriberWriter,
    database: DatabaseDep,
    phone: PhoneQuery = None,
    email: EmailQuery = None,
) -> JSONResponse:
    """Which subscriptions a phone or email has, and whether each may be messaged now."""
    return await eligibility_answer(database, principal.company.id, phone, email)


@router.post("/unsubscribe", status_code=202, response_model_by_alias=True, responses=NO_SUBSCRIBER)
async def unsubscribe(
    body: UnsubscribeRequest, request: Request, principal: SubscriberWriter, database: DatabaseDep
) -> UnsubscribeResponse:
    """Opt a user out of the listed subscriptions, or of all of them."""
    notification = body.notification or NotificationDto()
    command = core.UnsubscribeCommand(
        contacts=ContactPoints.parse(body.user.phone, body.user.email),
        subscriptions=[item.to_core() for item in body.subscriptions]
        if body.subscriptions is not None
        else None,
        notify=not notification.disabled,
        notification_locale=notification.language,
    )
    context = attentive_context(request, principal)
    result = await use_cases.unsubscribe(database, principal.company, command, context)
    return UnsubscribeResponse(
        user=UserDto(phone=command.contacts.phone, email=command.contacts.email),
        subscription_responses=[
            SubscriptionUnsubscribeDto(
                subscription=SubscriptionDto(
                    type=outcome.type.value, channel=outcome.channel.value
                ),
                subscription_unsubscribe_status=outcome.status.value,
            )
            for outcome in result.outcomes
        ],
    )
