"""The async edge of the charter editor: ASGI app, sockets, rooms, JSON API, CLI."""
