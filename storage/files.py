"""Media files on disk under MEDIA_DIR, named by us (never by the sender)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path

# What we accept and the extension we give it; anything else is refused.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, mime: str, now: datetime) -> tuple[str, str]:
        """Write ``data``; return (storage key, sha256). The key is relative to the root."""
        ext = EXTENSIONS.get(mime, "bin")
        key = f"{now:%Y/%m}/{secrets.token_hex(16)}.{ext}"
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return key, hashlib.sha256(data).hexdigest()

    def path(self, key: str) -> Path:
        """The file of ``key``; a key that would leave the root is refused."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key outside the media folder")
        return path

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
