"""Zoho change notifications: channels (open, list, renew, catch up) and the callback inbox.

The bridge's ``POST /zoho/notify`` hands bodies to ``receive_notification``; the
``zoho_to_qb`` sync reads the stored notifications; ``renew_channels`` runs on a schedule.
"""

from connector.notify.channels import (
    WATCHED_MODULES,
    ChannelStatus,
    active_channels,
    list_channels,
    watch,
)
from connector.notify.inbox import NotificationRefused, receive_notification
from connector.notify.renew import catch_up, renew_all
from connector.notify.tokens import hash_token, token_matches

__all__ = [
    "WATCHED_MODULES", "ChannelStatus", "active_channels", "list_channels", "watch",
    "NotificationRefused", "receive_notification", "catch_up", "renew_all", "hash_token",
    "token_matches",
]
