"""Wire models of the management API (snake_case, ids as strings), also what the
CLI prints with `--json`, so that both show one object the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from optledger.core.auth.scopes import Scope
from optledger.core.template_listing import TemplateText
from optledger.core.templates import MAX_TEMPLATE_LENGTH
from optledger.core.use_cases.companies import CompanyRow
from optledger.core.use_cases.credentials import CredentialListing
from optledger.core.use_cases.lists import ListRow
from optledger.core.use_cases.units import UnitRow

TypeName = Literal["MARKETING", "TRANSACTIONAL", "CHECKOUT_ABANDONED"]
ChannelName = Literal["TEXT", "EMAIL"]
MethodName = Literal["API", "KEYWORD", "FORM", "IMPORT"]
CredentialKindName = Literal["api_key", "legacy_token", "basic"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=1600)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Keyword = Annotated[str, StringConstraints(min_length=1, max_length=30)]
Channels = Annotated[list[ChannelName], Field(min_length=1, max_length=2)]
Keywords = Annotated[list[Keyword], Field(max_length=20)]


class Body(BaseModel):
    """A request body: strict types, and an unknown field is a 400 (a typo, not a no-op)."""

    model_config = ConfigDict(strict=True, extra="forbid")


class LocaleDto(Body):
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class GivenLocale(Body):
    """A unit's locale as given: any case, stored as `en` / `US` by the core's rules."""

    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]


class OperatorDto(BaseModel):
    name: str
    all_companies: bool


class CompanyDto(BaseModel):
    key: str
    name: str
    default_locale: LocaleDto

    @classmethod
    def of(cls, company: CompanyRow) -> CompanyDto:
        locale = LocaleDto(language=company.default_language, country=company.default_country)
        return cls(key=company.key, name=company.name, default_locale=locale)


class CompaniesDto(BaseModel):
    companies: list[CompanyDto]
    # Pass as `after` for the next page; None on the last.
    next_after: str | None = None


class NewCompany(Body):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")]
    name: Name | None = None


class ListDto(BaseModel):
    id: str
    name: str
    description: str
    type: TypeName
    channel: ChannelName
    is_default: bool
    status: Literal["active", "archived"]

    @classmethod
    def of(cls, found: ListRow) -> ListDto:
        return cls.model_validate({**found.__dict__, "id": str(found.id)})


class ListsDto(BaseModel):
    lists: list[ListDto]


class NewList(Body):
    name: Name
    description: Description = ""
    type: TypeName
    channel: ChannelName


class ListPatch(Body):
    """Only what is given changes."""

    name: Name | None = None
    description: Description | None = None


class UnitDto(BaseModel):
    id: str = Field(description="The `signUpSourceId` of subscribe requests.")
    name: str
    method: MethodName
    type: TypeName
    channels: list[ChannelName]
    locale: LocaleDto
    legal_disclosure: str | None
    confirmation_prompt: str | None
    welcome_text: str | None
    keywords: list[str]
    double_opt_in: bool
    email_double_opt_in: bool
    allow_single_opt_in: bool
    welcome_on_single_opt_in: bool
    status: Literal["active", "archived"]
    created_at: datetime | None

    @classmethod
    def of(cls, unit: UnitRow) -> UnitDto:
        fields: dict[str, Any] = {
            name: getattr(unit, name)
            for name in cls.model_fields
            if name not in {"id", "type", "locale"}
        }
        locale = LocaleDto(language=unit.language, country=unit.country)
        return cls(id=str(unit.id), type=unit.subscription_type, locale=locale, **fields)


class UnitsDto(BaseModel):
    units: list[UnitDto]


class NewUnit(Body):
    name: Name
    method: MethodName = "API"
    type: TypeName
    channels: Channels
    locale: GivenLocale
    legal_disclosure: Text | None = Field(
        default=None, description="Shown with the prompt and kept with each consent; "
        "required for MARKETING units.",
    )  # fmt: skip
    confirmation_prompt: Text | None = None
    welcome_text: Text | None = None
    keywords: Keywords = Field(default_factory=list, description="KEYWORD units only.")
    double_opt_in: bool = True
    email_double_opt_in: bool = False
    allow_single_opt_in: bool = False
    welcome_on_single_opt_in: bool = True


class UnitPatch(Body):
    """Only what is given changes; null clears a text, and leaves any other field as it is.
    A unit's type and method never change."""

    name: Name | None = None
    channels: Channels | None = None
    locale: GivenLocale | None = None
    legal_disclosure: Text | None = None
    confirmation_prompt: Text | None = None
    welcome_text: Text | None = None
    keywords: Keywords | None = None
    double_opt_in: bool | None = None
    email_double_opt_in: bool | None = None
    allow_single_opt_in: bool | None = None
    welcome_on_single_opt_in: bool | None = None


class TemplateDto(BaseModel):
    locale: str
    kind: str
    text: str
    source: Literal["built_in", "company"]
    encoding: Literal["GSM-7", "UCS-2"] = Field(
        description="How the text goes as SMS, with the company's name filled in."
    )
    characters: int = Field(description="Its length as SMS: septets, or UTF-16 code units.")
    segments: int = Field(
        description="The SMS it takes (a unit's disclosure, where it is placed, adds to it)."
    )

    @classmethod
    def of(cls, found: TemplateText) -> TemplateDto:
        return cls(
            locale=found.locale,
            kind=found.kind.value,
            text=found.text,
            source=found.source,
            encoding=found.sms.encoding,
            characters=found.sms.characters,
            segments=found.sms.segments,
        )


class TemplatesDto(BaseModel):
    templates: list[TemplateDto]


class TemplateBody(Body):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEMPLATE_LENGTH)] = Field(
        description="Placeholders: {company} and {disclosure}."
    )


class CredentialDto(BaseModel):
    id: str
    kind: CredentialKindName
    name: str
    lookup_id: str
    scopes: list[str]
    rate_limit: int = Field(description="Requests a second (the server's default if unset).")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, found: CredentialListing, default_rate_limit: int) -> CredentialDto:
        return cls.model_validate(
            {
                **found.__dict__,
                "id": str(found.id),
                "rate_limit": found.rate_limit or default_rate_limit,
            }
        )


class CredentialsDto(BaseModel):
    credentials: list[CredentialDto]


class MintedCredentialDto(CredentialDto):
    """A new credential: its secret is in this answer only."""

    token: str | None = Field(default=None, description="Bearer token (API key, legacy token).")
    username: str | None = Field(default=None, description="Basic login's username.")
    password: str | None = Field(default=None, description="Basic login's password.")


class NewCredential(Body):
    kind: CredentialKindName
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="Reusing a live credential's name gives it a new secret."
    )
    # Not strict: JSON names the scopes by value.
    scopes: Annotated[list[Annotated[Scope, Field(strict=False)]], Field(max_length=20)] | None = (
        Field(default=None, description="API keys only; default: every scope.")
    )
    rate_limit: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
