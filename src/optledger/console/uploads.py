"""A form post with a file (`multipart/form-data`), streamed to disk as it arrives.

The file is never held in memory: each piece goes to its file as the parser
(`python-multipart`, as Starlette uses) finds it, and the post is refused past
`max_bytes`. The form's CSRF field must come before the file (a browser sends the
fields in the form's order, and the console's forms put it first), so a post that
did not come from the console writes nothing to disk.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from optledger.console.forms import CSRF_FIELD, FORGED
from optledger.console.sessions import ConsoleSession
from optledger.core.errors import Forbidden, InvalidInput

FILE_FIELD = "file"
# Text fields are short: a unit's id, a list of column names, the token.
MAX_FIELD_BYTES = 4096
MAX_FIELDS = 20
# The post beyond its file: the other fields and the parts' headers.
FORM_ALLOWANCE = MAX_FIELDS * (MAX_FIELD_BYTES + 1024)
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class UploadTooLarge(Exception):
    """The file is over the most the form takes."""


@dataclass
class UploadedForm:
    """The text fields of the post, and the file's name as the browser gave it and size."""

    fields: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    size: int = 0


class _Parts:
    """The parser's callbacks: headers gathered per part, text kept, the file written."""

    def __init__(self, session: ConsoleSession, path: Path, max_bytes: int) -> None:
        self.session = session
        self.path = path
        self.max_bytes = max_bytes
        self.form = UploadedForm()
        self.headers: dict[str, str] = {}
        self.header_name = b""
        self.header_value = b""
        self.name = ""
        self.text = bytearray()
        self.file: BinaryIO | None = None

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value_data,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self.header_name, self.header_value = {}, b"", b""
        self.text = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def header_value_data(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        name = self.header_name.decode("latin-1").lower()
        self.headers[name] = self.header_value.decode("latin-1")
        self.header_name, self.header_value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", ""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name != FILE_FIELD:
            if len(self.form.fields) >= MAX_FIELDS:
                raise InvalidInput(f"a form has at most {MAX_FIELDS} fields")
            return
        if self.file is not None or self.form.file_name is not None:
            raise InvalidInput("choose one file")
        if not self.session.accepts(self.form.fields.get(CSRF_FIELD) or None):
            raise Forbidden(FORGED)
        raw_name = options.get(b"filename", b"").decode("utf-8", "replace")
        # The browser's name for the file, shown back as text: its last path part.
        name = _UNSAFE_IN_NAME.sub("", raw_name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
        self.form.file_name = name or "upload.csv"
        self.file = self.path.open("wb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is None:
            self.text += data[start:end]
            if len(self.text) > MAX_FIELD_BYTES:
                raise InvalidInput(f"field {self.name!r} is too long")
            return
        self.form.size += end - start
        if self.form.size > self.max_bytes:
            raise UploadTooLarge(f"the file is over {self.max_bytes:,} bytes")
        # A piece is at most what the server handed over (tens of KiB): written to the
        # page cache at once, cheaper than a hop to a thread.
        self.file.write(data[start:end])

    def part_end(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            return
        try:
            value = self.text.decode()
        except UnicodeDecodeError as exc:
            raise InvalidInput("the form is not UTF-8") from exc
        self.form.fields.setdefault(self.name, value.replace("\x00", ""))

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def new_upload_path(folder: Path) -> Path:
    """A fresh name in the import folder (made if need be) for a file to come."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{secrets.token_hex(16)}.csv"


def discard_upload(path: Path) -> None:
    """Remove an upload that will not be imported."""
    path.unlink(missing_ok=True)


async def read_upload(
    request: Request, session: ConsoleSession, path: Path, max_bytes: int
) -> UploadedForm:
    """The post's fields, its file (field `file`) written to `path`, if the post carries
    the session's token (else `Forbidden`); `UploadTooLarge` past `max_bytes`. On any
    refusal nothing is left at `path`."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput("the import form posts multipart/form-data")
    parts = _Parts(session, path, max_bytes)
    try:
        parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if not session.accepts(parts.form.fields.get(CSRF_FIELD) or None):
            raise Forbidden(FORGED)
    except BaseException as exc:
        parts.close()
        discard_upload(path)
        if isinstance(exc, MultipartParseError):
            raise InvalidInput(f"the form could not be read: {exc}") from None
        raise
    return parts.form
