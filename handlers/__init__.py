"""What happens on an inbound event or a due time, channel-neutral.

Handlers take an :class:`~handlers.events.Inbound` and a :class:`~handlers.context.Context`
and return :class:`~handlers.events.Outbound` messages; they never talk to a messenger.
"""
