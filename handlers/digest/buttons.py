"""The buttons of the coordinator's digests and reports on delivery.

Each kind keeps the prefix its button had before it was typed, so buttons already sent in
people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import Payload


class DeliveryProblems(Payload, prefix="dr"):
    """A coordinator opens the report of the school's undelivered messages."""
