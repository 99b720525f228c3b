"""User entity: timers, invitations and API keys."""

from __future__ import annotations

import logging
from typing import Optional

import arrow

import ftrack_api._unit_of_work
import ftrack_api.entity.base
import ftrack_api.exception
from ftrack_api.entity.base import Entity

_LOGGER = logging.getLogger(__name__)


class User(ftrack_api.entity.base.Entity):
    """Represent a user."""

    def start_timer(
        self, context: Optional[Entity] = None, comment: str = "", name: Optional[str] = None, force: bool = False
    ) -> Entity:
        """Start a timer for *context* and return it.

        *force* can be used to automatically stop an existing timer and
        create a timelog for it. If you need to get access to the created
        timelog, use :meth:`stop_timer` instead.

        *comment* and *name* are optional but will be set on the timer.

        .. note::

            This method will automatically commit the changes and if *force*
            is False then it will fail with a
            :class:`ftrack_api.exception.NotUniqueError` exception if a
            timer is already running.
        """
        if force:
            try:
                self.stop_timer()
            except ftrack_api.exception.NoResultFoundError:
                _LOGGER.debug("Failed to stop existing timer.")

        timer = self.session.create(
            "Timer",
            {"user": self, "context": context, "comment": comment, "name": name},
        )

        try:
            self.session.commit()
        except ftrack_api.exception.ServerError as error:
            if "DuplicateEntryError" in str(error):
                # Drop the refused timer so that it is not sent again.
                ftrack_api._unit_of_work.discard_changes(timer)
                raise ftrack_api.exception.NotUniqueError(
                    "Failed to start a timer as one is already running for "
                    "user {0}.".format(self)
                )
            raise

        return timer

    def stop_timer(self) -> Entity:
        """Stop the current timer and return a timelog created from it.

        If a timer is not running, a
        :exc:`ftrack_api.exception.NoResultFoundError` exception will be
        raised.

        .. note::

            This method will automatically commit the changes.
        """
        session = self.session
        timer = session.query(
            'select id from Timer where user_id = "{0}"'.format(self["id"])
        ).one()
        session.populate(timer, "start, user_id, context_id, comment, name")

        timezone_enabled = session.server_information.get(
            "is_timezone_support_enabled"
        )
        if timezone_enabled is None:
            _LOGGER.warning(
                "Could not identify if server has timezone support enabled. "
                "Will assume server is running in UTC."
            )
            timezone_enabled = True

        if timezone_enabled:
            now = arrow.now()
        else:
            now = arrow.now().replace(tzinfo="utc")

        start = timer["start"]
        duration = (now - start).total_seconds()

        timelog = session.create(
            "Timelog",
            {
                "user_id": timer["user_id"],
                "context_id": timer["context_id"],
                "comment": timer["comment"],
                "start": start,
                "duration": duration,
                "name": timer["name"],
            },
        )

        session.delete(timer)
        session.commit()

        return timelog

    def send_invite(self) -> None:
        """Send an invitation email to the user."""
        self.session.send_user_invite(self)

    def reset_api_key(self) -> str:
        """Reset the user's API key and return the new one."""
        response = self.session.reset_remote("api_key", entity=self)
        return response["api_key"]
