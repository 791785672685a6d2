"""Every store over one engine, built once by whoever composes the program (the app's
lifespan, the CLI) and handed to the rest, which never builds a store of its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.accounts import Accounts
from persistence.amendments import Amendments
from persistence.authors import Authors
from persistence.comments import Comments
from persistence.contributions import Contributions
from persistence.docs import DocStore
from persistence.engine import OneTrip
from persistence.follows import Follows
from persistence.mail import Outbox
from persistence.moderation import Moderation
from persistence.outline import Outline
from persistence.people import People
from persistence.repo import Repo
from persistence.subgroups import Subgroups
from persistence.versions import Versions
from persistence.votes import Votes


@dataclass(frozen=True)
class Stores:
    engine: AsyncEngine
    docs: DocStore  # the update log of every document (group commit)
    reads: OneTrip  # the hot reads of admission, in one round trip
    repo: Repo  # charters and their outline
    people: People  # invites and participants
    versions: Versions
    amendments: Amendments
    comments: Comments
    contributions: Contributions
    outline: Outline
    authors: Authors  # who wrote which characters (crdt/authors.py)
    moderation: Moderation  # the reverts of the public moderation log
    subgroups: Subgroups  # sub-groups' drafts; bundles of amendments claimed at once
    votes: Votes  # live votes of the room and their ballots
    outbox: Outbox  # e-mails to send (server/domain/mail.py)
    accounts: Accounts  # participants' e-mail addresses, their data, deleting an account
    follows: Follows  # what participants follow, their mail preferences, their last look

    @classmethod
    def over(cls, engine: AsyncEngine, docs: DocStore) -> Stores:
        return cls(
            engine,
            docs,
            OneTrip(engine),
            Repo(engine),
            People(engine),
            Versions(engine),
            Amendments(engine),
            Comments(engine),
            Contributions(engine),
            Outline(engine),
            Authors(engine),
            Moderation(engine),
            Subgroups(engine),
            Votes(engine),
            Outbox(engine),
            Accounts(engine),
            Follows(engine),
        )
