"""Note entity and the mixin adding notes to entities."""

from __future__ import annotations

from typing import Iterable, Optional

import ftrack_api.entity.base
from ftrack_api.entity.base import Entity


class Note(ftrack_api.entity.base.Entity):
    """Represent a note."""

    def create_reply(self, content: str, author: Entity) -> Entity:
        """Create a reply with *content* and *author*.

        .. note::

            This is a helper method. To create replies manually use the
            standard :meth:`Session.create` method.
        """
        reply = self.session.create("Note", {"author": author, "content": content})
        self["replies"].append(reply)
        return reply


class CreateNoteMixin(object):
    """Mixin to add create_note method on entity class."""

    def create_note(
        self, content: str, author: Entity, recipients: Optional[Iterable[Entity]] = None,
        category: Optional[Entity] = None, labels: Optional[Iterable[Entity]] = None
    ) -> Entity:
        """Create note with *content*, *author*.

        NoteLabels can be set by including *labels*.

        Note category can be set by including *category*.

        *recipients* can be specified as a list of user or group instances.
        """
        session = self.session
        data = {"content": content, "author": author}
        if category:
            data["category"] = category

        note = session.create("Note", data)
        self["notes"].append(note)

        for resource in recipients or []:
            session.create(
                "Recipient", {"note_id": note["id"], "resource_id": resource["id"]}
            )

        for label in labels or []:
            session.create(
                "NoteLabelLink", {"label_id": label["id"], "note_id": note["id"]}
            )

        return note
