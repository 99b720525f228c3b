"""Stable stand-ins for names, e-mail addresses and free text.

Taking a snapshot of a production site for others to test with should not
hand out people's names or notes. An :class:`Anonymiser` replaces the
values of chosen attributes with stand-ins that are *stable* (the same
value always gets the same stand-in, within one salt, so links by name
and repeated words still line up) and keep the *structure* (a sentence
keeps its word lengths, punctuation and line breaks; an address stays an
address). Ids, numbers, dates and workflow configuration (statuses, types,
priorities) are left alone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

#: Which attributes are replaced, by entity type (a type's rules are those
#: of every type in its lineage), and as what kind of value.
DEFAULT_RULES: Mapping[str, Mapping[str, str]] = {
    "Context": {"name": "name", "description": "text"},
    "Project": {"full_name": "name"},
    "Asset": {"name": "name"},
    "AssetVersion": {"comment": "text"},
    "Note": {"content": "text"},
    "User": {"first_name": "name", "last_name": "name", "username": "username", "email": "email"},
    "List": {"name": "name"},
    "ReviewSession": {"name": "name", "description": "text"},
}


class Anonymiser:
    """Replaces attribute values with stable stand-ins, keyed by *salt*.

    Use a new random salt for each snapshot that leaves the studio, and the
    same salt when two snapshots must line up.
    """

    def __init__(self, salt: str, rules: Optional[Mapping[str, Mapping[str, str]]] = None) -> None:
        """Use *salt* to derive stand-ins and *rules* (default :data:`DEFAULT_RULES`) to choose attributes."""
        self._key = salt.encode("utf-8")
        self.rules = DEFAULT_RULES if rules is None else rules
        self._kinds: Dict[str, Callable[[str], str]] = {
            "name": self.name, "username": self.username, "email": self.email, "text": self.text,
        }

    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self._key, (kind + "\0" + value).encode("utf-8"), hashlib.sha256).digest()

    def _word(self, word: str) -> str:
        digest = self._digest("word", word.lower())
        letters = "".join(_LETTERS[digest[i % len(digest)] % 26] for i in range(len(word)))
        if word[:1].isupper():
            return letters.upper() if word.isupper() and len(word) > 1 else letters.capitalize()
        return letters

    def name(self, value: str) -> str:
        """A name: its words replaced, digits and separators kept (``sh010_comp`` keeps its shape)."""
        return _WORD.sub(lambda match: self._word(match.group(0)), value)

    def username(self, value: str) -> str:
        """A login name: ``user_`` and ten characters derived from *value*."""
        return "user_" + self._digest("username", value).hex()[:10]

    def email(self, value: str) -> str:
        """An address at ``example.invalid`` (a domain that never delivers), derived from *value*."""
        return "{0}@example.invalid".format(self.username(value.lower()))

    def text(self, value: str) -> str:
        """Free text: every word replaced by a stand-in of the same length; the rest kept."""
        return self.name(value)

    def attributes(self, lineage: Iterable[str]) -> Dict[str, str]:
        """The attributes to replace for a type whose lineage (itself and its bases) is *lineage*."""
        chosen: Dict[str, str] = {}
        for type_name in lineage:
            chosen.update(self.rules.get(type_name, {}))
        return chosen

    def entity(self, entity: Mapping[str, Any], lineage: Iterable[str]) -> Dict[str, Any]:
        """A copy of *entity* (a snapshot line) with the chosen attributes replaced."""
        copy = dict(entity)
        for attribute, kind in self.attributes(lineage).items():
            value = copy.get(attribute)
            if isinstance(value, str) and value:
                copy[attribute] = self._kinds[kind](value)
        return copy
