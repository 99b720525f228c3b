"""What happens to dependent rows when a row is deleted.

A rule names an owner type, a dependent type and the dependent's column
holding the owner's id. The rules are data: :data:`CASCADES`, built from
one table per action. :mod:`.removal` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from ...schema import EntityType

DELETE = "delete"          # remove the dependent rows (and what depends on them)
REFUSE = "refuse"          # fail while dependent rows exist
REFUSE_DIRECT = "refuse_direct"  # fail for a requested delete; delete when reached by a cascade
DETACH = "detach"          # clear the dependent rows' reference

#: Owner written for rules that apply to every type keyed by a text ``id``.
ANY_OWNER = "*"

#: Order in which the rules of one owner run: refusals before anything changes.
ACTION_ORDER = {REFUSE: 0, REFUSE_DIRECT: 0, DETACH: 1, DELETE: 2}


@dataclass(frozen=True)
class Cascade:
    """What happens to *target* rows whose *column* holds the id of a deleted *owner* row.

    *owner* applies to that type and its subtypes; ``"*"`` applies to every
    type keyed by a text ``id``. *label* names the dependents in refusals.
    """

    owner: str
    target: str
    column: str
    action: str = DELETE
    label: str = ""


#: Owner -> "Dependent.column" rows deleted with it.
DELETED_WITH: Dict[str, Tuple[str, ...]] = {
    # Whatever any entity owns.
    ANY_OWNER: ("Metadata.parent_id", "CustomAttributeValue.entity_id", "Note.parent_id",
                "EntitySetting.parent_id", "StatusChange.parent_id", "ListObject.entity_id",
                "CustomAttributeLink.from_id", "CustomAttributeLink.to_id",
                "CustomAttributeLinkFrom.from_id", "CustomAttributeLinkFrom.to_id"),
    # The project hierarchy.
    "Context": ("Context.parent_id", "Asset.context_id", "Appointment.context_id", "Timelog.context_id",
                "Manager.context_id"),
    "TypedContext": ("TypedContextLink.from_id", "TypedContextLink.to_id"),
    "Project": ("List.project_id", "ReviewSession.project_id", "UserSecurityRoleProject.project_id"),
    # Assets, versions and components; a version's components (its encoded
    # review media among them) go with it.
    "Asset": ("AssetVersion.asset_id",),
    "AssetVersion": ("AssetVersionLink.from_id", "AssetVersionLink.to_id", "ReviewSessionObject.version_id",
                     "Component.version_id"),
    "Component": ("ComponentLocation.component_id", "Component.container_id", "NoteComponent.component_id",
                  "JobComponent.component_id", "SettingComponent.component_id"),
    "Note": ("Note.in_reply_to_id", "Recipient.note_id", "NoteComponent.note_id", "NoteLabelLink.note_id"),
    # Users and groups.
    "User": ("Timer.user_id", "Timelog.user_id", "Membership.user_id", "UserSecurityRole.user_id",
             "UserApplicationState.user_id"),
    "Resource": ("Appointment.resource_id", "Recipient.resource_id", "DashboardResource.resource_id",
                 "CalendarEventResource.resource_id", "Participant.resource_id"),
    "Group": ("Membership.group_id", "Group.parent_id"),
    "UserSecurityRole": ("UserSecurityRoleProject.user_security_role_id",),
    # Lists, jobs, review sessions, conversations, calendars.
    "List": ("ListObject.list_id",),
    "Job": ("JobComponent.job_id",),
    "ReviewSession": ("ReviewSessionObject.review_session_id", "ReviewSessionInvitee.review_session_id"),
    "ReviewSessionObject": ("ReviewSessionObjectStatus.review_session_object_id",),
    "Conversation": ("Message.conversation_id", "Participant.conversation_id"),
    "CalendarEvent": ("CalendarEventResource.calendar_event_id",),
    # Configuration.
    "CustomConfigurationBase": ("CustomAttributeValue.configuration_id",),
    "WorkflowSchema": ("WorkflowSchemaStatus.workflow_schema_id",),
    "TaskTypeSchema": ("TaskTypeSchemaType.task_type_schema_id",),
    "ProjectSchema": ("ProjectSchemaObjectType.project_schema_id", "Schema.project_schema_id",
                      "ProjectSchemaOverride.project_schema_id", "TaskTemplate.project_schema_id"),
    "TaskTemplate": ("TaskTemplateItem.template_id",),
    "Schema": ("SchemaStatus.schema_id", "SchemaType.schema_id"),
}

#: Owner -> "Dependent.column" references cleared when it goes.
DETACHED_FROM: Dict[str, Tuple[str, ...]] = {
    "Context": ("Timer.context_id",),
    "Project": ("CalendarEvent.project_id",),
    "Component": ("Context.thumbnail_id", "AssetVersion.thumbnail_id", "User.thumbnail_id"),
    "User": ("AssetVersion.user_id", "List.user_id", "Job.user_id"),
}

#: Owner -> ("Dependent.column", what the refusal calls them): deletes refused while they exist.
REFUSED_BY: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "Location": (("ComponentLocation.location_id", "component locations"),),
}


def _rules() -> Tuple[Cascade, ...]:
    rules = [Cascade(owner, *dependent.split("."), action=REFUSE, label=label)
             for owner, dependents in REFUSED_BY.items() for dependent, label in dependents]
    for action, table in ((DELETE, DELETED_WITH), (DETACH, DETACHED_FROM)):
        rules.extend(Cascade(owner, *dependent.split("."), action=action)
                     for owner, dependents in table.items() for dependent in dependents)
    return tuple(rules)


#: Every cascade rule.
CASCADES: Tuple[Cascade, ...] = _rules()


def cascades_for(entity_type: EntityType) -> Tuple[Cascade, ...]:
    """The rules applying to deleted rows of *entity_type*, in the order they run."""
    identifier = entity_type.attributes.get("id")
    has_text_id = identifier is not None and identifier.value_type == "string"
    return tuple(sorted(
        (rule for rule in CASCADES if (rule.owner == ANY_OWNER and has_text_id) or (
            rule.owner != ANY_OWNER and entity_type.is_a(rule.owner))),
        key=lambda rule: ACTION_ORDER[rule.action]))
