"""Domain errors. Each carries a kind; dialects map kinds to their own status and shape."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, independent of any wire format."""

    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNPROCESSABLE = "unprocessable"
    RATE_LIMITED = "rate_limited"


class OptledgerError(Exception):
    """Base of every error the core raises on purpose.

    `code` is a stable machine-readable name (used by dialects that have one, such
    as Vibes' error codes); `message` is for people.
    """

    kind: ErrorKind = ErrorKind.INVALID
    code: str = "INVALID"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(OptledgerError):
    """The request is well-formed but breaks a rule of the domain."""

    kind = ErrorKind.INVALID
    code = "INVALID"


class InvalidContactPoint(InvalidInput):
    """A phone number or email address that cannot be used."""

    code = "INVALID_CONTACT_POINT"


class Unauthorized(OptledgerError):
    """No credential, or one that does not authenticate."""

    kind = ErrorKind.UNAUTHORIZED
    code = "UNAUTHORIZED"


class Forbidden(OptledgerError):
    """An authenticated credential that may not do this."""

    kind = ErrorKind.FORBIDDEN
    code = "FORBIDDEN"


class NotFound(OptledgerError):
    """The thing named does not exist for this company."""

    kind = ErrorKind.NOT_FOUND
    code = "NOT_FOUND"


class Conflict(OptledgerError):
    """The request contradicts what is stored."""

    kind = ErrorKind.CONFLICT
    code = "CONFLICT"


class Unprocessable(OptledgerError):
    """The request is valid but the state of the ledger refuses it."""

    kind = ErrorKind.UNPROCESSABLE
    code = "UNPROCESSABLE"


class RateLimited(OptledgerError):
    """The credential has used its requests for now; `retry_after` seconds until one frees."""

    kind = ErrorKind.RATE_LIMITED
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfirmationBlocked(Unprocessable):
    """The number answered NO to this unit's prompt; it is not prompted again."""

    code = "MDNHASCONFIRMATIONBLOCK"


class IdentifierConflict(Conflict):
    """Identifiers in one request point at two different people."""

    code = "IDENTIFIER_CONFLICT"


class SignUpUnitNotResolved(InvalidInput):
    """No single active API sign-up unit fits the request."""

    code = "SIGN_UP_UNIT_NOT_RESOLVED"


class InvalidAttribute(InvalidInput):
    """An attribute name or value that the attribute's type does not allow."""

    code = "INVALID_ATTRIBUTE"


class AttributeLimitReached(InvalidInput):
    """A request would create more custom attributes than a company may have."""

    code = "ATTRIBUTE_LIMIT_REACHED"


class ContactPointSuppressed(Conflict):
    """A contact point erased on request, to be subscribed without confirmed consent."""

    code = "CONTACT_POINT_SUPPRESSED"
