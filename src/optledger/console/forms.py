"""Form posts: URL-encoded fields, checked against the session's CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

from optledger.console.sessions import ConsoleSession
from optledger.core.errors import Conflict, Forbidden, InvalidInput, OptledgerError

CSRF_FIELD = "csrf"
MAX_FIELDS = 200
FORGED = "the form has expired or did not come from this console: reload and retry"


@dataclass(frozen=True)
class Form:
    """The fields of one post, each with every value it was given."""

    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        """The field's first value, or `default`."""
        return self.fields.get(name, [default])[0]

    def all(self, name: str) -> list[str]:
        """Every value of a field (checkboxes)."""
        return self.fields.get(name, [])

    def checked(self, name: str) -> bool:
        """Whether a checkbox was ticked."""
        return name in self.fields


async def read_form(request: Request, session: ConsoleSession) -> Form:
    """The posted fields, if the post carries the session's token (else `Forbidden`)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidInput("the console takes form posts (application/x-www-form-urlencoded)")
    try:
        text = (await request.body()).decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput("the form is not UTF-8") from exc
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise InvalidInput(f"a form has at most {MAX_FIELDS} fields") from exc
    # A NUL is nothing anyone types, and PostgreSQL text cannot hold one.
    form = Form({name: [v.replace("\x00", "") for v in values] for name, values in fields.items()})
    if not session.accepts(form.get(CSRF_FIELD) or None):
        raise Forbidden(FORGED)
    return form


def refusal_status(exc: OptledgerError) -> int:
    """The status of a form shown again with a rule's refusal: 409 for a conflict with
    what is stored, else 400."""
    return 409 if isinstance(exc, Conflict) else 400
