"""The documentation's usage examples, run as written against the local server.

Covered here: projects, review sessions, custom attribute configurations,
link attributes, scopes, notes, lists, timers, assignments and allocations,
entity links, security roles, task templates, LDAP sync and user invites.
Examples that need data the text leaves to the reader ("Get a user from
ftrack") get it from small fixtures.
"""

import json
import logging
import random
import uuid

import arrow
import pytest

import ftrack_api
import ftrack_api.exception


def unique(prefix):
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def session(ftrack_session):
    return ftrack_session


def create_project(session):
    """The "Creating a project" example; return the project."""
    # Create a unique name for the project.
    name = "projectname_{0}".format(uuid.uuid1().hex)

    # Naively pick the first project schema. For this example to work the
    # schema must contain `Shot` and `Sequence` object types.
    project_schema = session.query("ProjectSchema").first()

    # Create the project with the chosen schema.
    project = session.create("Project", {
        "name": name,
        "full_name": name + "_full",
        "project_schema": project_schema
    })

    # Retrieve default types.
    default_shot_status = project_schema.get_statuses("Shot")[0]
    default_task_type = project_schema.get_types("Task")[0]
    default_task_status = project_schema.get_statuses(
        "Task", default_task_type["id"]
    )[0]

    # Create sequences, shots and tasks.
    for sequence_number in range(1, 5):
        sequence = session.create("Sequence", {
            "name": "seq_{0}".format(sequence_number),
            "parent": project
        })

        for shot_number in range(1, 5):
            shot = session.create("Shot", {
                "name": "{0}0".format(shot_number).zfill(3),
                "parent": sequence,
                "status": default_shot_status
            })

            for task_number in range(1, 5):
                session.create("Task", {
                    "name": "task_{0}".format(task_number),
                    "parent": shot,
                    "status": default_task_status,
                    "type": default_task_type
                })

    # Commit all changes to the server.
    session.commit()
    return project


@pytest.fixture
def project(session):
    return create_project(session)


@pytest.fixture
def task(session, project):
    return session.query(
        'Task where project_id is "{0}"'.format(project["id"])).first()


@pytest.fixture
def user(session):
    return session.query(
        'User where username is "{0}"'.format(session.api_user)).one()


def create_version(session, project, name="model"):
    """An asset version on the first shot of *project*."""
    shot = session.query('Shot where project_id is "{0}"'.format(project["id"])).first()
    asset_type = session.query("AssetType").first()
    asset = session.create("Asset", {"name": unique(name), "type": asset_type, "parent": shot})
    version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    return version


def test_creating_a_project(session):
    project = create_project(session)
    assert len(session.query(
        'Sequence where project_id is "{0}"'.format(project["id"])).all()) == 4
    assert len(session.query(
        'Shot where project_id is "{0}"'.format(project["id"])).all()) == 16
    tasks = session.query(
        'select status, type from Task where project_id is "{0}"'.format(project["id"])).all()
    assert len(tasks) == 64
    assert all(task["status"] is not None and task["type"] is not None for task in tasks)


def test_review_sessions(session, project, ftrack_server):
    asset_version = create_version(session, project)

    review_session = session.create("ReviewSession", {
        "name": "Weekly review",
        "description": "See updates from last week.",
        "project": project
    })
    session.commit()

    review_sessions = session.query('ReviewSession where name is "Weekly review"')
    assert review_session in review_sessions.all()
    project_review_sessions = project["review_sessions"]
    assert review_session in project_review_sessions

    review_session_object = session.create("ReviewSessionObject", {
        "name": "Compositing",
        "description": "Fixed shadows.",
        "version": "Version 3",
        "review_session": review_session,
        "asset_version": asset_version
    })
    session.commit()

    review_session_objects = review_session["review_session_objects"]
    assert list(review_session_objects) == [review_session_object]

    invitee = session.create("ReviewSessionInvitee", {
        "name": "John Doe",
        "email": "john.doe@example.com",
        "review_session": review_session
    })
    other = session.create("ReviewSessionInvitee", {
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "review_session": review_session
    })
    session.commit()
    invitees = review_session["review_session_invitees"]
    assert set(invitee["email"] for invitee in invitees) == {
        "john.doe@example.com", "jane.doe@example.com"}

    session.send_review_session_invite(invitee)
    a_list_of_invitees = [invitee, other]
    session.send_review_session_invites(a_list_of_invitees)

    session.delete(invitee)
    session.commit()
    assert session.query(
        'ReviewSessionInvitee where id is "{0}"'.format(invitee["id"])).first() is None


def test_managing_custom_attribute_configurations(ftrack_fresh_server,
                                                   ftrack_schema_cache_path):
    session = ftrack_api.Session(
        server_url=ftrack_fresh_server.url, api_user=ftrack_fresh_server.api_user,
        api_key=ftrack_fresh_server.api_key, schema_cache_path=ftrack_schema_cache_path)
    try:
        my_project = create_project(session)

        # Print all existing custom attribute configurations.
        print(session.query("CustomAttributeConfiguration").all())

        # Get the custom attribute type.
        custom_attribute_type = session.query(
            'CustomAttributeType where name is "text"'
        ).one()

        # Create a custom attribute configuration.
        session.create("CustomAttributeConfiguration", {
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Asset version text attribute",
            "key": "asset_version_text_attribute",
            "default": "bar",
            "config": json.dumps({"markdown": False})
        })

        # Persist it to the ftrack instance.
        session.commit()

        # Global or project specific.
        custom_attribute_configuration = session.create("CustomAttributeConfiguration", {
            # Set the `project_id` and the custom attribute will only be
            # available on `my_project`.
            "project_id": my_project["id"],
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Asset version text attribute",
            "key": "project_text_attribute",
            "default": "bar",
            "config": json.dumps({"markdown": False})
        })
        session.commit()

        version = create_version(session, my_project)
        assert version["custom_attributes"]["asset_version_text_attribute"] == "bar"
        assert version["custom_attributes"]["project_text_attribute"] == "bar"

        # A project specific custom attribute can be changed to a global.
        custom_attribute_configuration["project_id"] = None
        session.commit()

        # Creating a text custom attribute for Folder.
        object_type = session.query('ObjectType where name is "Folder"').one()
        session.create("CustomAttributeConfiguration", {
            "entity_type": "task",
            "object_type_id": object_type["id"],
            "type": custom_attribute_type,
            "label": "Foo",
            "key": "foo",
            "default": "bar",
        })
        session.commit()
        folder = session.create("Folder", {"name": "folder", "parent": my_project})
        session.commit()
        assert folder["custom_attributes"]["foo"] == "bar"

        # Enumerator.
        custom_attribute_type = session.query(
            'CustomAttributeType where name is "enumerator"'
        ).first()
        session.create("CustomAttributeConfiguration", {
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Enumerator attribute",
            "key": "enumerator_attribute",
            "default": ["bar"],
            "config": json.dumps({
                "multiSelect": True,
                "data": json.dumps([
                    {"menu": "Foo", "value": "foo"},
                    {"menu": "Bar", "value": "bar"}
                ])
            })
        })
        session.commit()

        # Number.
        custom_attribute_type = session.query(
            'CustomAttributeType where name is "number"'
        ).first()
        custom_attribute_configuration = session.create("CustomAttributeConfiguration", {
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Number attribute",
            "key": "number_attribute",
            "default": 42,
            "config": json.dumps({
                "isdecimal": True
            })
        })
        session.commit()

        # Changing default: only affects newly created entities.
        custom_attribute_configuration["default"] = 43
        session.commit()
        newer = create_version(session, my_project, name="newer")
        assert newer["custom_attributes"]["number_attribute"] == 43

        # Security roles.
        # Pick random security role.
        security_role = session.query("SecurityRole").first()
        custom_attribute_type = session.query(
            'CustomAttributeType where name is "date"'
        ).first()
        session.create("CustomAttributeConfiguration", {
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Date attribute",
            "key": "date_attribute",
            "default": arrow.Arrow(2017, 2, 8),
            "write_security_roles": [security_role],
            "read_security_roles": [security_role]
        })
        session.commit()

        # Custom attribute groups.
        group = session.query("CustomAttributeGroup").first()
        if group is None:
            group = session.create("CustomAttributeGroup", {"name": "Pipeline"})
            session.commit()
        custom_attribute_type = session.query(
            'CustomAttributeType where name is "enumerator"'
        ).first()
        configuration = session.create("CustomAttributeConfiguration", {
            "entity_type": "assetversion",
            "type": custom_attribute_type,
            "label": "Enumerator attribute",
            "key": "grouped_enumerator_attribute",
            "default": ["bar"],
            "config": json.dumps({
                "multiSelect": True,
                "data": json.dumps([
                    {"menu": "Foo", "value": "foo"},
                    {"menu": "Bar", "value": "bar"}
                ])
            }),
            "group": group,
            "write_security_roles": [security_role],
            "read_security_roles": [security_role]
        })
        session.commit()

        stored = session.query(
            'select key, group.name, read_security_roles.name from '
            'CustomAttributeConfiguration where id is "{0}"'.format(configuration["id"])).one()
        assert stored["group"]["name"] == group["name"]
        assert [role["name"] for role in stored["read_security_roles"]] == [
            security_role["name"]]
        latest = create_version(session, my_project, name="latest")
        assert latest["custom_attributes"]["date_attribute"].date() == arrow.Arrow(
            2017, 2, 8).date()
        assert latest["custom_attributes"]["enumerator_attribute"] == ["bar"]
    finally:
        session.close()


def test_link_attributes(session, project, user):
    task = session.query(
        'select link from Task where project_id is "{0}" and name is "task_1"'.format(
            project["id"])
    ).first()
    print(task["link"])
    assert [item["type"] for item in task["link"]] == [
        "Project", "TypedContext", "TypedContext", "TypedContext"]
    assert task["link"][-1]["id"] == task["id"]

    entities = []
    for item in task["link"]:
        entities.append(session.get(item["type"], item["id"]))
    assert entities[0] == project and entities[-1] == task

    john = session.create("User", {"username": unique("john.doe")})
    session.create("Timelog", {"user": john, "context": task, "start": arrow.utcnow(),
                               "duration": 3600})
    session.commit()
    timelogs = session.query(
        "select context.link, start, duration from Timelog "
        'where user.username is "{0}"'.format(john["username"]))
    found = []
    for timelog in timelogs:
        print(timelog["context"]["link"], timelog["start"], timelog["duration"])
        found.append(timelog["context"]["link"][-1]["id"])
    assert task["id"] in found

    version = create_version(session, project)
    linked = []
    for asset_version in session.query(
        "select link from AssetVersion "
        'where user.username is "{0}"'.format(session.api_user)
    ):
        print(asset_version["link"])
        linked.append(asset_version)
    assert version in linked


def test_scopes(session, task):
    scope = session.query('Scope where name is "London"').first()
    if scope is None:
        scope = session.create("Scope", {"name": "London"})
        session.commit()

    scope = session.query('Scope where name is "London"')[0]
    if scope in task["scopes"]:
        task["scopes"].remove(scope)
    else:
        task["scopes"].append(scope)
    session.commit()

    tasks = session.query('Task where scopes.name is "London"')
    assert task in tasks.all()

    task["scopes"].remove(scope)
    session.commit()
    assert task not in session.query('Task where scopes.name is "London"').all()


def test_notes(session, task, user):
    # Retrieve notes using notes property.
    notes_on_task = task["notes"]
    assert len(notes_on_task) == 0

    # Create note using the helper method.
    note = task.create_note("My new note", author=user)

    # Manually create a note
    manual = session.create("Note", {
        "content": "My new note",
        "author": user
    })
    task["notes"].append(manual)
    session.commit()

    # Or query them.
    notes_on_task = session.query('Note where parent_id is "{}"'.format(task["id"]))
    assert set(notes_on_task.all()) == {note, manual}

    # Create using helper method.
    first_note_on_task = task["notes"][0]
    first_note_on_task.create_reply("My new reply on note", author=user)

    # Create manually
    reply = session.create("Note", {
        "content": "My new note",
        "author": user
    })
    first_note_on_task["replies"].append(reply)
    session.commit()
    assert len(session.query(
        'Note where in_reply_to_id is "{0}"'.format(first_note_on_task["id"])).all()) == 2

    label = session.query('NoteLabel where name is "External Note"').first()
    note = task.create_note("New note with external category", author=user, labels=[label])
    session.commit()

    label = session.query('NoteLabel where name is "External Note"').first()
    note_with_link = session.create("Note", {
        "content": "New note with external category",
        "author": user
    })
    session.create("NoteLabelLink", {
        "note_id": note_with_link["id"],
        "label_id": label["id"]
    })
    task["notes"].append(note_with_link)
    session.commit()

    category = session.query('NoteCategory where name is "External Note"').first()
    note_in_category = task.create_note(
        "New note with external category", author=user, category=category)
    session.commit()

    for created in (note, note_with_link):
        stored = session.query(
            'select note_label_links.label.name from Note where id is "{0}"'.format(
                created["id"])).one()
        assert [link["label"]["name"] for link in stored["note_label_links"]] == [
            "External Note"]
    stored = session.query(
        'select category.name from Note where id is "{0}"'.format(
            note_in_category["id"])).one()
    assert stored["category"]["name"] == "External Note"

    john = session.query('User where username is "john"').first()
    if john is None:
        john = session.create("User", {"username": "john"})
    animation_group = session.query('Group where name is "Animation"').first()
    if animation_group is None:
        animation_group = session.create("Group", {"name": "Animation"})
    session.commit()
    note = task.create_note(
        "Note with recipients", author=user, recipients=[john, animation_group])
    session.commit()
    stored = session.query(
        'select recipients.resource_id from Note where id is "{0}"'.format(note["id"])).one()
    # The server also makes the author a recipient.
    assert {recipient["resource_id"] for recipient in stored["recipients"]} == {
        john["id"], animation_group["id"], user["id"]}


def test_lists(session, project, task, user):
    asset_version = create_version(session, project)
    list_category = session.query("ListCategory").first()

    asset_version_list = session.create("AssetVersionList", {
        "name": unique("dailies"),
        "owner": user,
        "project": project,
        "category": list_category
    })
    task_list = session.create("TypedContextList", {
        "name": unique("todo"),
        "owner": user,
        "project": project,
        "category": list_category
    })

    asset_version_list["items"].append(asset_version)
    task_list["items"].append(task)
    session.commit()

    stored = session.query(
        'select items from TypedContextList where id is "{0}"'.format(task_list["id"])).one()
    assert list(stored["items"]) == [task]
    assert list(session.query(
        'select items from AssetVersionList where id is "{0}"'.format(
            asset_version_list["id"])).one()["items"]) == [asset_version]

    asset_version_list["items"].remove(asset_version)
    task_list["items"].remove(task)
    session.commit()
    assert len(session.query(
        'ListObject where list_id is "{0}"'.format(task_list["id"])).all()) == 0


def test_timers(session, task):
    user = session.create("User", {"username": unique("timer_user")})
    session.commit()

    user.start_timer(task)
    session.commit()
    assert len(session.query('Timer where user_id is "{0}"'.format(user["id"])).all()) == 1

    with pytest.raises(ftrack_api.exception.NotUniqueError):
        user.start_timer(task)

    user.start_timer(task, force=True)
    session.commit()

    timelog = user.stop_timer()
    session.commit()
    assert timelog["context_id"] == task["id"]
    assert session.query('Timer where user_id is "{0}"'.format(user["id"])).first() is None
    assert session.query('Timelog where id is "{0}"'.format(timelog["id"])).one()


def test_assignments_and_allocations(session, project, task):
    member = session.create("User", {"username": unique("member")})
    solo = session.create("User", {"username": unique("solo")})
    group = session.create("Group", {"name": unique("team")})
    session.create("Membership", {"user": member, "group": group})
    session.create("Appointment", {"context": project, "resource": group,
                                   "type": "allocation"})
    session.create("Appointment", {"context": project, "resource": solo,
                                   "type": "allocation"})
    session.commit()

    # Set to hold all users part of the project team
    project_team = set()

    # Add all allocated groups and users
    for allocation in project["allocations"]:

        # Resource may be either a group or a user
        resource = allocation["resource"]

        # If the resource is a group, add its members
        if isinstance(resource, session.types["Group"]):
            for membership in resource["memberships"]:
                user = membership["user"]
                project_team.add(user)

        # The resource is a user, add it.
        else:
            user = resource
            project_team.add(user)
    assert project_team == {member, solo}

    current_user = session.query(
        u"User where username is {0}".format(session.api_user)
    ).one()

    # Create a new Appointment of type assignment.
    session.create("Appointment", {
        "context": task,
        "resource": current_user,
        "type": "assignment"
    })

    # Finally, persist the new assignment
    session.commit()

    users = session.query(
        "select first_name, last_name from User "
        'where assignments any (context_id = "{0}")'.format(task["id"])
    )
    names = []
    for user in users:
        print(user["first_name"], user["last_name"])
        names.append(user)
    assert names == [current_user]

    assigned_tasks = session.query(
        "select link from Task "
        'where assignments any (resource.username = "{0}")'.format(session.api_user)
    )
    paths = []
    for assigned in assigned_tasks:
        print(u" / ".join(item["name"] for item in assigned["link"]))
        paths.append(assigned["link"][-1]["id"])
    assert task["id"] in paths


def test_entity_links(session, project):
    shot = session.query('Shot where project_id is "{0}"'.format(project["id"])).first()
    asset_build = session.create("AssetBuild", {"name": unique("build"), "parent": project})
    session.create("TypedContextLink", {"from": asset_build, "to": shot})
    session.commit()
    pairs = []
    for link in shot["incoming_links"]:
        print(link["from"], link["to"])
        pairs.append((link["from"], link["to"]))
    assert pairs == [(asset_build, shot)]
    assert [link["to"] for link in asset_build["outgoing_links"]] == [shot]

    from_asset_version = create_version(session, project, name="from")
    to_asset_version = create_version(session, project, name="to")
    session.create("AssetVersionLink", {
        "from": from_asset_version,
        "to": to_asset_version
    })
    session.commit()
    assert [link["from"] for link in to_asset_version["incoming_links"]] == [
        from_asset_version]

    model_version = create_version(session, project, name="model")
    rig_version = create_version(session, project, name="rig")
    rig_version["uses_versions"].append(model_version)
    session.commit()
    users = []
    for version in model_version["used_in_versions"]:
        print("{0} is using {1}".format(version, model_version))
        users.append(version)
    assert users == [rig_version]


def test_user_security_roles(session, project):
    user = session.create("User", {"username": unique("artist")})
    session.commit()

    security_roles = session.query(
        'select name from SecurityRole where type is "PROJECT"'
    )
    assert len(security_roles.all()) > 0

    project_manager_role = session.query(
        'SecurityRole where name is "Project Manager"'
    ).one()
    session.create("UserSecurityRole", {
        "is_all_projects": True,
        "user": user,
        "security_role": project_manager_role
    })
    session.commit()

    other = create_project(session)
    projects = session.query(
        'Project where full_name is "{0}" or full_name is "{1}"'.format(
            project["full_name"], other["full_name"])
    ).all()[:]
    # The documentation passes ``projects`` here; the schema of current
    # servers (the one this server ships) links projects to a user security
    # role through UserSecurityRoleProject entities instead.
    role = session.create("UserSecurityRole", {
        "user": user,
        "security_role": project_manager_role,
    })
    for project in projects:
        session.create("UserSecurityRoleProject", {
            "user_security_role": role, "project": project})
    session.commit()

    lines = []
    for user_security_role in user["user_security_roles"]:
        if user_security_role["is_all_projects"]:
            result_string = "all projects"
        else:
            result_string = ", ".join(
                [link["project"]["full_name"]
                 for link in user_security_role["user_security_role_projects"]]
            )
        lines.append('User has security role "{0}" which is valid on {1}.'.format(
            user_security_role["security_role"]["name"],
            result_string
        ))
    print("\n".join(lines))
    assert 'User has security role "Project Manager" which is valid on all projects.' in lines
    [per_project] = [line for line in lines if "all projects" not in line]
    assert all(item["full_name"] in per_project for item in projects)
    assert len(lines) == 2

    user_security_roles = session.query(
        'UserSecurityRole where user.username is "{0}"'.format(user["username"])
    ).all()
    assert len(user_security_roles) == 2


def test_task_templates(ftrack_server, ftrack_schema_cache_path, capsys):
    # Someone configured a task template on the project's schema.
    setup = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path)
    project = create_project(setup)
    schema = project["project_schema"]
    task_types = schema.get_types("Task")[:2]
    template = setup.create("TaskTemplate", {"name": unique("template"),
                                             "project_schema": schema})
    for task_type in task_types:
        setup.create("TaskTemplateItem", {"template": template, "task_type": task_type})
    setup.commit()
    setup.close()

    session = ftrack_api.Session(
        server_url=ftrack_server.url, api_user=ftrack_server.api_user,
        api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path)
    project = session.query('Project where id is "{0}"'.format(project["id"])).first()
    for task_template in project["project_schema"]["task_templates"]:
        print("\ntask template: {0}".format(
            task_template["name"]
        ))
        for task_type in [t["task_type"] for t in task_template["items"]]:
            print("\ttask type: {0}".format(
                task_type["name"]
            ))
    assert "task template: {0}".format(template["name"]) in capsys.readouterr().out

    task_template = random.choice(
        project["project_schema"]["task_templates"]
    )
    for task_type in [t["task_type"] for t in task_template["items"]]:
        session.create(
            "Task", {
                "name": task_type["name"],
                "type": task_type,
                "parent": project
            }
        )
    session.commit()
    created = session.query(
        'Task where parent_id is "{0}"'.format(project["id"])).all()
    assert sorted(task["name"] for task in created) == sorted(
        item["task_type"]["name"] for item in task_template["items"])
    session.close()


def test_sync_users_with_ldap(session):
    result = session.call([
        dict(
            action="delayed_job",
            job_type="SYNC_USERS_LDAP"
        )
    ])
    job = result[0]["data"]
    assert isinstance(job, session.types["Job"])
    if job.get("status") == "failed":
        # The job failed get the error.
        logging.error(job.get("data"))
    # The local server has no LDAP directory to read from.
    assert job["status"] == "failed"
    assert "LDAP" in job["data"]


def test_invite_user(session):
    user_email = "{0}@mail.vfx-company.com".format(unique("artist"))
    new_user = session.create(
        "User", {
            "username": user_email,
            "email": user_email,
            "is_active": True
        }
    )
    session.commit()
    new_user.send_invite()
