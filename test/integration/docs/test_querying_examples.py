"""The examples of the documentation's "Querying" section, run as written (Python 3)."""

import uuid

import arrow
import pytest

import ftrack_api
from ftrack_local import seed


@pytest.fixture(scope="module")
def world(ftrack_server, ftrack_schema_cache_path):
    """A project named like the docs' "thrones" example, tasks, timelogs, notes and metadata."""
    with ftrack_api.Session(server_url=ftrack_server.url, api_user=ftrack_server.api_user,
                            api_key=ftrack_server.api_key, schema_cache_path=ftrack_schema_cache_path) as session:
        suffix = uuid.uuid4().hex[:6]
        schema = session.get("ProjectSchema", seed.DEFAULT_PROJECT_SCHEMA_ID)
        project = session.create("Project", {"name": "got_{0}_thrones".format(suffix),
                                             "full_name": "Game of thrones", "project_schema": schema})
        other = session.create("Project", {"name": "other_" + suffix, "full_name": "Other thrones",
                                           "project_schema": schema})
        shot = session.create("Shot", {"name": "sh010", "parent": project})
        done = session.query('Status where name is "Completed"').one()
        tasks = [session.create("Task", {"name": name, "parent": shot}) for name in ("comp", "anim", "light")]
        tasks[0]["status"] = done
        jane = session.create("User", {"username": "jane_" + suffix, "first_name": "Jane", "last_name": "Doe"})
        lazy = session.create("User", {"username": "lazy_" + suffix, "first_name": "Lazy", "last_name": "Bones"})
        session.create("Timelog", {"user": jane, "context": tasks[1], "start": arrow.now(), "duration": 3600})
        session.create("Note", {"content": "Looks great", "author": jane, "parent_id": shot["id"],
                                "parent_type": "Shot"})
        project["metadata"]["some_key"] = "some_value"
        session.commit()
        yield {"project": project["id"], "other": other["id"], "tasks": [t["id"] for t in tasks],
               "jane": jane["id"], "lazy": lazy["id"], "suffix": suffix}


@pytest.fixture
def session(ftrack_session):
    return ftrack_session


def ids(entities):
    return {entity["id"] for entity in entities}


def test_listing_and_all(session, world):
    projects = session.query("Project")
    names = [project["name"] for project in projects]
    assert "got_{0}_thrones".format(world["suffix"]) in names
    assert len(session.query("Project").all()) == len(names)


def test_criteria(session, world):
    active = ids(session.query("Project where status is active"))
    assert {world["project"], world["other"]} <= active
    thrones = ids(session.query('Project where status is active and name like "%thrones"'))
    assert world["project"] in thrones and world["other"] not in thrones
    either = ids(session.query('Project where status is active and '
                               '(name like "%thrones" or full_name like "%thrones")'))
    assert {world["project"], world["other"]} <= either


def test_filtering_on_relationships(session, world):
    project = session.get("Project", world["project"])
    tasks_in_project = session.query('Task where project.id is "{0}"'.format(project["id"]))
    assert ids(tasks_in_project) == set(world["tasks"])
    completed = session.query('Task where project.id is "{0}" and status.state.name is "Done"'.format(project["id"]))
    assert ids(completed) == {world["tasks"][0]}
    today = ids(session.query('Task where timelogs.start >= "{0}"'.format(arrow.now().floor("day"))))
    assert world["tasks"][1] in today
    by_has = session.query('Note where author has (first_name is "Jane" and last_name is "Doe")').all()
    by_path = session.query('Note where author.first_name is "Jane" and author.last_name is "Doe"').all()
    assert ids(by_has) == ids(by_path) and len(by_has) >= 1
    keyed = ids(session.query("Project where metadata any (key=some_key and value=some_value)"))
    assert world["project"] in keyed and world["other"] not in keyed
    idle = ids(session.query("User where not timelogs any ()"))
    assert world["lazy"] in idle and world["jane"] not in idle


def test_projections(session, world):
    projects = session.query("select full_name, status from Project")
    lines = ["{project[full_name]} - {project[status]}".format(project=project) for project in projects]
    assert "Game of thrones - active" in lines


def test_paging_first_and_one(session, world):
    query = 'Task where project.id is "{0}"'.format(world["project"])
    assert len(list(session.query(query, page_size=1))) == 3
    assert session.query(query + " order by name").first()["name"] == "anim"
    with pytest.raises(ftrack_api.exception.MultipleResultsFoundError):
        session.query(query).one()
    with pytest.raises(ftrack_api.exception.NoResultFoundError):
        session.query(query + ' and name is "nothing"').one()
    assert session.query(query + ' and name is "light"').one()["name"] == "light"
