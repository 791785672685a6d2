"""Websocket close codes, chosen on purpose. 4400-4499 make the y-websocket client
stop reconnecting (docs/protocols.md §2.4): use them for errors a retry cannot fix."""

GOING_AWAY = 1001  # server shutting down: clients reconnect
MESSAGE_TOO_BIG = 1009  # frame over max_message_bytes
INTERNAL_ERROR = 1011  # the room had to be rebuilt: clients reconnect and resync
BAD_FRAME = 4400  # frame that does not follow the protocol, or an update pycrdt refused
UNAUTHORIZED = 4401
FORBIDDEN = 4403  # a write from a principal who may not write
NOT_FOUND = 4404  # unknown document
TOO_SLOW = 4408  # the connection's outbox overflowed: it could not keep up
PRE_AUTH_LIMIT = 4205  # too much queued before authentication (as Hocuspocus)
PERMISSIONS_CHANGED = 1008  # a facilitator changed this participant's role: reconnect
RATE_LIMITED = 1013  # too many messages or bytes per second: reconnect later
