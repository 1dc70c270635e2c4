"""Image uploads for posts: type checked by content, size limited, alt text mandatory.

Files live under ``settings.media_dir`` with random names and are served publicly at
``/media/<name>`` — Instagram fetches images by URL, so they must be reachable.
Alt text is required by BITV 2.0 (accessibility for public bodies).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from content_calendar.catalogues import Msg
from content_calendar.refusal import Refused
from publisher.settings import Settings

MAX_BYTES = 8 * 1024 * 1024  # Instagram's limit for JPEG; the strictest common one
MAX_ALT = 1000  # X allows 1,000 characters of alt text, Mastodon 1,500
# Detected from the first bytes, never from the file name or the browser's claim.
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
)
NAME_PATTERN = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp)$")
MIME_BY_EXT = {ext: mime for _, _, mime, ext in SIGNATURES}


class MediaError(Refused):
    """A refused request (see content_calendar.refusal)."""


@dataclass(frozen=True)
class StoredImage:
    name: str
    mime: str
    alt: str
    public_url: str

    def as_media(self) -> dict[str, str]:
        """The shape :class:`publisher.channels.base.Media` takes."""
        return {"path": self.name, "alt": self.alt, "mime": self.mime, "public_url": self.public_url}


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, offset, mime, ext in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if ext == "webp" and not data.startswith(b"RIFF"):
                continue
            return mime, ext
    return None


def check_alt(alt: str) -> str:
    alt = (alt or "").strip()
    if not alt:
        raise MediaError(
            Msg(
                "Alternativtext fehlt: Bitte beschreiben Sie, was auf dem Bild zu sehen ist "
                "(Barrierefreiheit, BITV 2.0)"
            )
        )
    if len(alt) > MAX_ALT:
        raise MediaError(
            Msg("Alternativtext zu lang: %(n)d von höchstens %(max)d Zeichen", n=len(alt), max=MAX_ALT)
        )
    return alt


def store_image(data: bytes, alt: str, settings: Settings) -> StoredImage:
    alt = check_alt(alt)
    if not data:
        raise MediaError(Msg("Keine Bilddatei ausgewählt"))
    if len(data) > MAX_BYTES:
        raise MediaError(
            Msg(
                "Bild zu groß: %(size).1f MB, höchstens %(max)d MB",
                size=len(data) / 1024 / 1024,
                max=MAX_BYTES // 1024 // 1024,
            )
        )
    found = sniff(data)
    if found is None:
        raise MediaError(
            Msg("Dateityp nicht unterstützt: bitte JPEG, PNG, GIF oder WebP hochladen"), status=415
        )
    mime, ext = found
    name = f"{secrets.token_hex(16)}.{ext}"
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / name).write_bytes(data)
    return StoredImage(name, mime, alt, f"{settings.public_base_url}/media/{name}")


def media_path(name: str, settings: Settings) -> Path | None:
    """The file for a public media name, or None (never a path outside the folder)."""
    if not NAME_PATTERN.match(name):
        return None
    path = settings.media_dir / name
    return path if path.is_file() else None
