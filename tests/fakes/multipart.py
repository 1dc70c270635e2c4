"""Reading multipart/form-data bodies in fakes (photo and media uploads)."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from tests.fakes.http import Recorded


@dataclass
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(request: Recorded) -> dict[str, Part]:
    """Parts of a multipart request by field name; empty if the body is not multipart."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        parts[str(name)] = Part(
            name=str(name),
            data=part.get_payload(decode=True) or b"",
            filename=part.get_filename(),
            content_type=part.get_content_type() if part.get_filename() else None,
        )
    return parts
