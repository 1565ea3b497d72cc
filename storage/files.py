"""Media files on disk under MEDIA_DIR, named by us (never by the sender)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
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


# Why a file could not be written, by what the operator has to do about it.
FULL = "full"
READ_ONLY = "read-only"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


class MediaUnwritable(OSError):
    """The media folder cannot take a file now: ``reason`` is FULL or READ_ONLY."""

    def __init__(self, reason: str, root: Path, cause: OSError) -> None:
        super().__init__(cause.errno, f"MEDIA_DIR {root} is {reason}: {cause.strerror}")
        self.reason = reason
        self.root = root

    @property
    def remedy(self) -> str:
        if self.reason == FULL:
            return f"free disk space (or raise the quota) for {self.root}"
        return (f"make {self.root} writable for the service's user, and check that its disk "
                "is mounted read-write")


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, mime: str, now: datetime) -> tuple[str, str]:
        """Write ``data``; return (storage key, sha256). The key is relative to the root."""
        ext = EXTENSIONS.get(mime, "bin")
        key = f"{now:%Y/%m}/{secrets.token_hex(16)}.{ext}"
        path = self.path(key)
        tmp = path.with_suffix(".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())  # a full disk may only say so here
            tmp.replace(path)
        except OSError as exc:
            # Nothing half-written stays behind (a 0-byte .part would only confuse).
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            if exc.errno in _FULL_ERRNOS:
                raise MediaUnwritable(FULL, self.root, exc) from exc
            if exc.errno in _READ_ONLY_ERRNOS:
                raise MediaUnwritable(READ_ONLY, self.root, exc) from exc
            raise
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
