"""`POST /v2/user/attributes`: upsert one user with attributes and subscriptions.

`attributes` takes the public schema's shape (`firstName`, `lastName`, the
`demographic`, `location` and `locale` groups, and `custom`) as well as flat keys:
a top-level key that names a standard attribute is one, any other is custom.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import AliasChoices, ConfigDict, Field

from optledger.core.attributes.profile import AttributeChanges
from optledger.core.attributes.standard import standard_name
from optledger.core.auth.scopes import Scope
from optledger.core.consent import Channel, SubscriptionType
from optledger.core.errors import Forbidden
from optledger.core.use_cases.attributes import upsert_user
from optledger.core.user_upsert import SubscriptionRequest, UpsertUserCommand
from optledger.dialects.attentive.dependencies import AttributesWriter, attentive_context
from optledger.dialects.attentive.identity import IdentifiersDto
from optledger.dialects.attentive.wire import (
    ChannelName,
    LocaleDto,
    ShortText,
    SubscriptionTypeName,
    WireModel,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v2/user", tags=["User Properties"])
MAX_ATTRIBUTES = 200
# Groups of standard attributes in the public schema, flattened into their fields.
GROUPS = ("demographic", "location")


class UserSubscriptionDto(WireModel):
    type: SubscriptionTypeName = Field(validation_alias=AliasChoices("type", "subscriptionType"))
    channel: ChannelName
    sign_up_source_id: ShortText | int | None = None
    locale: LocaleDto | None = None
    single_opt_in: bool = False

    def to_core(self) -> SubscriptionRequest:
        return SubscriptionRequest(
            type=SubscriptionType(self.type),
            channel=Channel(self.channel),
            unit_id=None if self.sign_up_source_id is None else str(self.sign_up_source_id),
            locale=self.locale.to_core() if self.locale else None,
            single_opt_in=self.single_opt_in,
        )


class UserAttributesRequest(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identifiers": {"phone": "+14155550123", "clientUserId": "crm-1"},
                    "attributes": {"firstName": "Ada", "custom": {"plan": "gold"}},
                    "subscriptions": [
                        {
                            "type": "MARKETING",
                            "channel": "TEXT",
                            "locale": {"language": "en", "country": "US"},
                            "singleOptIn": True,
                        }
                    ],
                }
            ]
        }
    )

    identifiers: IdentifiersDto
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    subscriptions: list[UserSubscriptionDto] = Field(default_factory=list, max_length=20)


class SuccessResponse(WireModel):
    success: bool
    message: str


def _locale_text(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    parts = [value.get("language"), value.get("country")]
    return "-".join(part for part in parts if isinstance(part, str) and part) or None


def split_attributes(attributes: dict[str, Any]) -> AttributeChanges:
    """Standard and custom values from the wire shape; rules are the core's."""
    standard: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    fields = dict(attributes)
    for group in GROUPS:
        if isinstance(fields.get(group), dict):
            fields.update(fields.pop(group))
    if "locale" in fields:
        fields["locale"] = _locale_text(fields["locale"])
    given_custom = fields.pop("custom", {}) if isinstance(fields.get("custom"), dict) else {}
    for name, value in fields.items():
        (standard if standard_name(name) else custom)[name] = value
    return AttributeChanges(standard=standard, custom={**custom, **given_custom})


@router.post(
    "/attributes",
    status_code=202,
    response_model_by_alias=True,
    responses={
        404: {"description": "No sign-up source has this id."},
        409: {
            "description": "An identifier belongs to another person, an attribute already "
            "has another type, or the contact point was erased on request."
        },
        422: {"description": "The number answered NO to this sign-up source's prompt."},
    },
)
async def upsert_user_attributes(
    body: UserAttributesRequest,
    request: Request,
    principal: AttributesWriter,
    database: DatabaseDep,
) -> SuccessResponse:
    """Create or update one user: identifiers, attributes, subscriptions."""
    if body.subscriptions and Scope.SUBSCRIPTIONS_WRITE not in principal.scopes:
        raise Forbidden(f"subscriptions need the {Scope.SUBSCRIPTIONS_WRITE} scope as well")
    command = UpsertUserCommand(
        identity=body.identifiers.to_core(),
        attributes=split_attributes(body.attributes),
        subscriptions=[item.to_core() for item in body.subscriptions],
    )
    context = attentive_context(request, principal)
    result = await upsert_user(database, principal.company, command, context)
    return SuccessResponse(
        success=True,
        message=f"user {result.person.person_key} updated; "
        f"{len(result.outcomes)} subscription(s) applied",
    )
