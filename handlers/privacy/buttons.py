"""The privacy buttons: the "My data" page, the data file, deletion requests.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working. The ids are checked against the
database by the handler (``Action.REQUEST_DELETION``, ``Action.CONFIRM_DELETION``).
"""

from __future__ import annotations

from handlers.buttons import Payload


class PrivacyPage(Payload, prefix="pd"):
    """The "My data" entry every menu ends with: the privacy page."""


class DownloadMyData(Payload, prefix="pdx"):
    """A person asks for everything Synaq holds about them, as a file."""


class AskDeletion(Payload, prefix="pdr"):
    """Ask to delete data: whose (no id), or "are you sure?" for one person."""

    subject_id: int | None = None


class RequestDeletion(Payload, prefix="pdy"):
    """A person confirms the request to delete one person's data."""

    subject_id: int


class ConfirmDeletion(Payload, prefix="pdc"):
    """The school coordinator confirms a deletion request."""

    request_id: int


class DeclineDeletion(Payload, prefix="pdn"):
    """The school coordinator declines a deletion request."""

    request_id: int


class DeletionRequests(Payload, prefix="pdl"):
    """The school coordinator lists the school's open deletion requests."""
