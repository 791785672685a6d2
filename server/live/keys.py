"""What a room is the room of: a document (an article's or an amendment's stored text), or a
charter's channel (presence and charter events, no text, never stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class RoomKey:
    kind: Literal["document", "channel"]
    id: int  # the document's id, or the charter's

    @classmethod
    def document(cls, document_id: int) -> RoomKey:
        return cls("document", document_id)

    @classmethod
    def channel(cls, charter_id: int) -> RoomKey:
        return cls("channel", charter_id)

    @property
    def holds_text(self) -> bool:
        return self.kind == "document"

    def wire(self) -> int:
        """The signed id of a backplane message's header: channels travel negative."""
        return self.id if self.holds_text else -self.id

    @classmethod
    def from_wire(cls, value: int) -> RoomKey:
        return cls.document(value) if value > 0 else cls.channel(-value)

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"
