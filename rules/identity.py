"""Who a Zoom participant is: names and emails compared as people write them, and the matching order.

A participant is matched by email (`email` or `zoom_email`, any case), then by a registrant id,
Zoom user id, email or name a TA linked, then by a display name (ignoring case and spaces) that
fits exactly one student; see README "Zoom attendance".
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

LINK_KINDS = ("email", "registrant_id", "zoom_user_id", "name")
LINK_VALUE_MAX = 320


class Person(Protocol):
    """A roster student, as matching needs them."""

    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def zoom_email(self) -> str | None: ...


class Link(Protocol):
    """A TA's link of a Zoom identity (kind, normalised value) to a student."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def student_id(self) -> int: ...


@dataclass(frozen=True)
class Identity:
    """Who a Zoom participant is, as far as Zoom told us."""

    name: str = ""
    email: str = ""
    registrant_id: str = ""
    zoom_user_id: str = ""

    @property
    def group(self) -> str:
        """Unmatched visits of one person (same email, else same name) are listed together."""
        if self.email:
            return "email:" + self.email.lower()
        if self.name:
            return "name:" + normalize_name(self.name)
        return "id:" + (self.registrant_id or self.zoom_user_id)


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def normalize_name(name: str) -> str:
    """Display names compare ignoring case, spaces and Unicode composition."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def normalize_link(kind: str, value: str) -> str:
    """How an IdentityLink value is stored and compared: emails lower-case, names normalised."""
    if kind == "email":
        return normalize_email(value)
    if kind == "name":
        return normalize_name(value)
    return value.strip()


def is_email(identity: str) -> bool:
    """How a TA's typed identity is told apart: an email has an @ and no space."""
    text = identity.strip()
    return "@" in text and not any(ch.isspace() for ch in text)


def identity_key(identity: str) -> tuple[str, str]:
    """The (kind, value) link a TA's typed name or email is stored as."""
    kind = "email" if is_email(identity) else "name"
    return kind, normalize_link(kind, identity)


def same_identity(identity: str, name: str, email: str) -> bool:
    """Whether a Zoom participant (name, email) is the identity a TA typed."""
    if is_email(identity):
        return bool(email) and normalize_email(email) == normalize_email(identity)
    return normalize_name(name) == normalize_name(identity)


def identity_links(
    identity: str, seen: Iterable[tuple[str, str, str, str]]
) -> tuple[list[tuple[str, str]], int]:
    """The links a TA's match stores, and how many Zoom identities (name, email, ids) it covers.

    Besides the typed name or email itself, every email, registrant id and Zoom user id Zoom
    reported alongside it is linked too, so the student's other visits match as well.
    """
    text = identity.strip()
    email = is_email(text)
    wanted = text.lower() if email else normalize_name(text)
    if not wanted:
        raise ValueError("a Zoom name or email is needed")
    pairs = {("email", wanted) if email else ("name", wanted)}
    count = 0
    for name, mail, registrant_id, zoom_user_id in seen:
        if (mail.lower() == wanted) if email else (normalize_name(name) == wanted):
            count += 1
            pairs |= {("email", mail.lower()), ("registrant_id", registrant_id)}
            pairs.add(("zoom_user_id", zoom_user_id))
    links = sorted((kind, normalize_link(kind, value)[:LINK_VALUE_MAX]) for kind, value in pairs if value)
    return links, count


@dataclass(frozen=True)
class Staff:
    """`[zoom] staff`: hosts, panelists and speakers, by email (any case) or display name."""

    emails: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, entries: Iterable[str]) -> Staff:
        """Each entry is tried as an email and as a display name, so either may be written."""
        listed = [e for e in entries if e.strip()]
        emails = frozenset(normalize_email(e) for e in listed)
        return cls(emails, frozenset(normalize_name(e) for e in listed))

    def __contains__(self, who: Identity) -> bool:
        return self.by_email(who) or self.by_name(who)

    def by_email(self, who: Identity) -> bool:
        """Listed by the email Zoom reported: staff, whoever else they might match."""
        email = normalize_email(who.email)
        return bool(email and email in self.emails)

    def by_name(self, who: Identity) -> bool:
        """Listed by display name only: weaker than a student's email or linked Zoom id."""
        return bool(who.name and normalize_name(who.name) in self.names)

    def drops(self, who: Identity, match: Callable[[Identity], int | None]) -> bool:
        """Staff by email always; staff by name unless the visit is a student's by email or id.

        A panelist "Sam Lee" must not take the minutes of a student Sam Lee who joined with the
        roster email.
        """
        if self.by_email(who):
            return True
        return self.by_name(who) and match(replace(who, name="")) is None


class Matcher:
    """Identity → student: email, linked email/registrant/Zoom user id/name, then a unique name."""

    def __init__(self, students: Sequence[Person], links: Sequence[Link]) -> None:
        self.links: dict[str, dict[str, int]] = {kind: {} for kind in LINK_KINDS}
        for link in links:
            if link.kind in self.links:
                self.links[link.kind][normalize_link(link.kind, link.value)] = link.student_id
        self.emails: dict[str, int] = {}
        names: dict[str, set[int]] = defaultdict(set)
        for s in students:
            assert s.id is not None
            for email in (s.zoom_email, s.email):
                if email:
                    self.emails[normalize_email(email)] = s.id
            names[normalize_name(s.name)].add(s.id)
        self.names = {n: next(iter(ids)) for n, ids in names.items() if len(ids) == 1}

    def match(self, who: Identity) -> int | None:
        """The student this identity is, or None when it must stay unmatched."""
        email = normalize_email(who.email)
        name = normalize_name(who.name)
        candidates = (
            self.emails.get(email) if email else None,
            self.links["email"].get(email) if email else None,
            self.links["registrant_id"].get(who.registrant_id) if who.registrant_id else None,
            self.links["zoom_user_id"].get(who.zoom_user_id) if who.zoom_user_id else None,
            self.links["name"].get(name) if name else None,
            self.names.get(name) if name else None,
        )
        return next((sid for sid in candidates if sid is not None), None)
