"""The ``ftrack.centralized-storage`` storage scenario.

When the server's information names this scenario, the location it
describes is configured in the session: a disk accessor on the mount point
of the current platform, the standard structure and priority 1. A form
registered on request (:func:`register_configuration`) sets the scenario up.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.accessor.disk
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.structure.standard
from ftrack_api.logging import LazyLogMessage as L

if TYPE_CHECKING:
    from ftrack_api.entity.base import Entity
    from ftrack_api.session import Session

#: A form reply: the widgets of the next step and the state of the form.
Reply = dict[str, Any]
#: One widget of a form step.
Widget = dict[str, Any]

scenario_name = "ftrack.centralized-storage"

_ACTIVATE_TOPIC = "ftrack.storage-scenario.activate"
_VERIFY_STARTUP_TOPIC = "ftrack.connect.verify-startup"


def _platform_key() -> str:
    """Key of the current platform in the scenario's mount points."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "osx"
    return "linux"


class ActivateCentralizedStorageScenario(object):
    """Configure the centralized storage location of a session."""

    def __init__(self) -> None:
        """Initialise; the session is set by :meth:`register`."""
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self.session = None

    def activate(self, event: Mapping[str, Any]) -> Entity:
        """Configure the location described by *event*'s storage scenario.

        Raise :class:`~ftrack_api.exception.LocationError` when the scenario
        data misses the location id, name or mount points.
        """
        storage_scenario = event["data"]["storage_scenario"]
        data = storage_scenario.get("data") or {}
        try:
            location_id = data["location_id"]
            location_name = data["location_name"]
            mount_points = data["accessor"]["mount_points"]
        except (KeyError, TypeError):
            raise ftrack_api.exception.LocationError(
                "Unable to read the centralized storage scenario: {data!r} lacks "
                "location_id, location_name or accessor.mount_points.",
                details=dict(data=data))
        prefix = mount_points.get(_platform_key())
        if not prefix:
            raise ftrack_api.exception.LocationError(
                "The centralized storage scenario has no mount point for {platform}.",
                details=dict(platform=_platform_key()))

        location = self.session.create(
            "Location", data=dict(name=location_name, id=location_id), reconstructing=True)
        location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=prefix)
        location.structure = ftrack_api.structure.standard.StandardStructure()
        location.priority = 1
        self.logger.debug(L("Configured centralized storage location {0!r} at {1!r}.",
                            location_name, prefix))
        return location

    def verify_startup(self, event: Mapping[str, Any]) -> Optional[str]:
        """Return a warning when this computer cannot use the scenario's storage, else None."""
        data = event["data"]["storage_scenario"].get("data") or {}
        try:
            prefix = data["accessor"]["mount_points"].get(_platform_key())
        except (KeyError, TypeError, AttributeError):
            return "The centralized storage scenario is not configured completely."
        if not prefix:
            return "The centralized storage has no mount point for {0}.".format(_platform_key())
        if not os.path.isdir(prefix):
            return ("The centralized storage mount point {0!r} cannot be reached from this "
                    "computer.".format(prefix))
        return None

    def register(self, session: Session) -> None:
        """Listen to the scenario's activation and start-up checks in *session*."""
        self.session = session
        for topic, callback in ((_ACTIVATE_TOPIC, self.activate),
                                (_VERIFY_STARTUP_TOPIC, self.verify_startup)):
            session.event_hub.subscribe(
                'topic={0} and data.storage_scenario.scenario="{1}"'.format(topic, scenario_name),
                callback)


def register(session: Session) -> None:
    """Register the scenario's activation with *session*."""
    ActivateCentralizedStorageScenario().register(session)


_DISCOVER_TOPIC = "ftrack.storage-scenario.discover"
_CONFIGURE_TOPIC = "ftrack.storage-scenario.configure"
_CONFIGURE_DONE_TOPIC = "ftrack.storage-scenario.configure-done"
_NEW_LOCATION = "create_new_location"
_PLATFORMS = (("linux", "Linux"), ("osx", "macOS"), ("windows", "Windows"))


def _label(text: str) -> Widget:
    return {"type": "label", "value": text}


def _hidden(name: str, value: Any) -> Widget:
    return {"type": "hidden", "name": name, "value": value}


def _text(name: str, label: str, value: Optional[str] = "") -> Widget:
    return {"type": "text", "name": name, "label": label, "value": value or ""}


class ConfigureCentralizedStorageScenario(object):
    """A step by step form that sets up the centralized storage scenario.

    The form is answered through ``ftrack.storage-scenario.configure``
    events; each reply holds the widgets of the next step (``items``) and
    the ``state``: ``configuring`` while values are missing or invalid,
    ``confirm`` to review the choices and ``done`` once the location and
    the ``storage_scenario`` setting are saved.
    """

    def __init__(self) -> None:
        """Initialise; the session is set by :meth:`register`."""
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)
        self.session = None

    def register(self, session: Session) -> None:
        """Answer discovery and configuration events of *session*'s user."""
        self.session = session
        user = 'source.user.username="{0}"'.format(session.api_user)
        session.event_hub.subscribe(
            "topic={0} and {1}".format(_DISCOVER_TOPIC, user), self.discover)
        session.event_hub.subscribe(
            'topic={0} and data.scenario_id="{1}" and {2}'.format(
                _CONFIGURE_TOPIC, scenario_name, user), self.configure)

    def discover(self, event: Mapping[str, Any]) -> dict[str, str]:
        """Describe the scenario to a configuration interface."""
        return {
            "id": scenario_name,
            "name": "Centralized storage scenario",
            "description": "Keep published files on shared storage that every computer of "
                           "the studio mounts, in a location of your choice.",
        }

    def configure(self, event: Mapping[str, Any]) -> Reply:
        """Return the next step of the form for the values given so far."""
        values = dict(event["data"].get("values") or {})
        location_id = values.get("location_id")
        if not location_id:
            return self._choose_location()
        if location_id == _NEW_LOCATION:
            problems = self._new_location_problems(values)
            if problems:
                return self._describe_location(values, problems)
        mount_points = {key: (values.get(key) or "").strip() for key, _ in _PLATFORMS}
        if not any(mount_points.values()):
            return self._ask_mount_points(values)
        if not values.get("confirmed"):
            return self._confirm(values, mount_points)
        return self._save(values, mount_points)

    # Steps -------------------------------------------------------------------
    def _reply(self, items: list[Widget], state: str = "configuring") -> Reply:
        return {"items": items, "state": state}

    def _carried(self, values: Mapping[str, Any], *names: str) -> list[Widget]:
        return [_hidden(name, values.get(name, "")) for name in names]

    def _choose_location(self) -> Reply:
        choices = [{"label": "Create a new location", "value": _NEW_LOCATION}]
        for location in self.session.query("select id, name, label from Location").all():
            if not location["name"].startswith("ftrack."):
                choices.append({"label": location["label"] or location["name"],
                                "value": location["id"]})
        return self._reply([
            _label("Choose the location that will hold the studio's files."),
            {"type": "enumerator", "name": "location_id", "label": "Location",
             "data": choices, "value": _NEW_LOCATION},
        ])

    def _new_location_problems(self, values: Mapping[str, Any]) -> list[str]:
        problems = []
        for name in ("name", "label", "description"):
            if not (values.get(name) or "").strip():
                problems.append("The location needs a {0}.".format(name))
        name = (values.get("name") or "").strip()
        if name.startswith("ftrack."):
            problems.append('Location names beginning with "ftrack." are reserved.')
        elif name and self.session.query(
                'select id from Location where name is "{0}"'.format(name)).first():
            problems.append('A location named "{0}" already exists.'.format(name))
        return problems

    def _describe_location(self, values: Mapping[str, Any], problems: list[str]) -> Reply:
        items = [_label(problem) for problem in problems]
        items.extend([
            _text("name", "Name (unique, e.g. studio.central-storage)", values.get("name")),
            _text("label", "Label", values.get("label")),
            _text("description", "Description", values.get("description")),
            _hidden("location_id", _NEW_LOCATION),
        ])
        return self._reply(items)

    def _ask_mount_points(self, values: Mapping[str, Any]) -> Reply:
        items = [_label("Where is the storage mounted on each operating system?")]
        items.extend(_text(key, title, values.get(key)) for key, title in _PLATFORMS)
        items.extend(self._carried(values, "location_id", "name", "label", "description"))
        return self._reply(items)

    def _confirm(self, values: Mapping[str, Any], mount_points: Mapping[str, str]) -> Reply:
        if values["location_id"] == _NEW_LOCATION:
            summary = 'a new location "{0}"'.format(values["name"].strip())
        else:
            summary = "the location {0}".format(values["location_id"])
        lines = ["Store files in {0}, mounted at:".format(summary)]
        lines.extend("{0}: {1}".format(title, mount_points[key] or "(none)")
                     for key, title in _PLATFORMS)
        items = [_label("\n".join(lines)), _hidden("confirmed", True)]
        items.extend(self._carried(values, "location_id", "name", "label", "description"))
        items.extend(_hidden(key, mount_points[key]) for key, _ in _PLATFORMS)
        return self._reply(items, state="confirm")

    def _save(self, values: Mapping[str, Any], mount_points: Mapping[str, str]) -> Reply:
        session = self.session
        if values["location_id"] == _NEW_LOCATION:
            location = session.create("Location", {
                "name": values["name"].strip(), "label": values["label"].strip(),
                "description": values["description"].strip()})
        else:
            location = session.get("Location", values["location_id"])
            if location is None:
                raise ftrack_api.exception.LocationError(
                    "No location with id {location_id}.", details=dict(location_id=values["location_id"]))
        setting_value = json.dumps({"scenario": scenario_name, "data": {
            "location_id": location["id"], "location_name": location["name"],
            "accessor": {"mount_points": mount_points}}})
        setting = session.query(
            'Setting where name is "storage_scenario" and group is "STORAGE"').first()
        if setting is None:
            session.create("Setting", {"name": "storage_scenario", "group": "STORAGE",
                                       "value": setting_value})
        else:
            setting["value"] = setting_value
        session.commit()
        session.event_hub.publish(
            ftrack_api.event.base.Event(topic=_CONFIGURE_DONE_TOPIC, data={}),
            on_error="ignore")
        return self._reply([_label(
            "The centralized storage scenario is configured. New sessions store files in "
            '"{0}".'.format(location["name"]))], state="done")


def register_configuration(session: Session) -> None:
    """Register the scenario's configuration form with *session*."""
    ConfigureCentralizedStorageScenario().register(session)
