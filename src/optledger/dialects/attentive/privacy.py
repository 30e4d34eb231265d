"""`/v1/privacy/delete-request`: erase a subject, and look the request up again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import ConfigDict, Field

from optledger.core.identity import IdentifierInput, parse_identity
from optledger.core.privacy.erasure import DeleteRequestCommand
from optledger.core.use_cases.privacy import (
    PrivacyRequestRow,
    get_deletion_request,
    request_deletion,
)
from optledger.dialects.attentive.dependencies import PrivacyWriter, attentive_context
from optledger.dialects.attentive.wire import (
    EmailText,
    IdentifierText,
    ShortText,
    WireModel,
    wire_time,
)
from optledger.web.authentication import DatabaseDep

router = APIRouter(prefix="/v1/privacy", tags=["Privacy Request"])
# No separate read scope exists: reading a request needs the scope that made it.
SOURCE = "privacy_request"


class DeleteRequestBody(WireModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"subjectEmail": "erase.me@example.com", "requestMsg": "Please delete my data."}
            ]
        }
    )

    subject_email: EmailText | None = None
    subject_phone: ShortText | None = None
    client_user_id: IdentifierText | None = None
    request_msg: str | None = Field(default=None, max_length=2000)


class PrivacyRequestDto(WireModel):
    id: str
    processed: bool
    type: str
    subject_email: str | None
    subject_phone: str | None
    request_msg: str | None
    request_date_time: str
    processing_start_date_time: str | None
    processing_end_date_time: str | None


def _dto(found: PrivacyRequestRow) -> PrivacyRequestDto:
    return PrivacyRequestDto(
        id=str(found.id),
        processed=found.processed,
        type=found.type,
        subject_email=found.subject_email,
        subject_phone=found.subject_phone,
        request_msg=found.request_msg,
        request_date_time=wire_time(found.requested_at) or "",
        processing_start_date_time=wire_time(found.processing_started_at),
        processing_end_date_time=wire_time(found.processing_ended_at),
    )


@router.post("/delete-request", response_model_by_alias=True)
async def create_delete_request(
    body: DeleteRequestBody, request: Request, principal: PrivacyWriter, database: DatabaseDep
) -> PrivacyRequestDto:
    """Erase a subject's personal data now; their opt-out survives as a suppression."""
    command = DeleteRequestCommand(
        subject=parse_identity(
            IdentifierInput(
                phone=body.subject_phone,
                email=body.subject_email,
                client_user_id=body.client_user_id,
            )
        ),
        request_msg=body.request_msg,
    )
    context = attentive_context(request, principal, SOURCE)
    found = await request_deletion(database, principal.company, command, context)
    return _dto(found)


@router.get("/delete-request/{request_id}", response_model_by_alias=True)
async def read_delete_request(
    request_id: Annotated[str, Path(max_length=40)],
    principal: PrivacyWriter,
    database: DatabaseDep,
) -> PrivacyRequestDto:
    """A deletion request of this company, by id."""
    found = await get_deletion_request(database, principal.company.id, request_id)
    return _dto(found)
