"""The documentation's Tutorial, run as written (Python 3 syntax)."""

import arrow
import pytest

import ftrack_api
import ftrack_api.collection
import ftrack_api.exception


@pytest.fixture
def tutorial_server(ftrack_fresh_server, tmp_path, monkeypatch):
    """A fresh server holding one project with one child."""
    monkeypatch.setenv("FTRACK_SERVER", ftrack_fresh_server.url)
    monkeypatch.setenv("FTRACK_API_KEY", ftrack_fresh_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", ftrack_fresh_server.api_user)
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path))
    with ftrack_api.Session() as session:
        schema = session.query("ProjectSchema").first()
        project = session.create(
            "Project",
            {"name": "test", "full_name": "Test project", "project_schema": schema},
        )
        session.create("Sequence", {"name": "seq_010", "parent": project})
        session.commit()
    return ftrack_fresh_server


def test_tutorial(tutorial_server, capsys):
    session = ftrack_api.Session(
        server_url=tutorial_server.url,
        api_key=tutorial_server.api_key,
        api_user=tutorial_server.api_user,
    )

    print(session.types.keys())
    assert "Project" in session.types.keys()

    projects = session.query("Project")
    print(projects[0].keys())
    assert "name" in projects[0].keys()

    for project in projects:
        print(project["name"])
    assert "test" in capsys.readouterr().out

    active_projects = session.query("Project where status is active")
    assert len(active_projects) == 1

    active_projects_ending_before_next_week = session.query(
        'Project where status is active and end_date before "{0}"'.format(
            arrow.now().shift(weeks=+1)
        )
    )
    list(active_projects_ending_before_next_week)

    project = session.query("Project").first()
    print(project["children"])
    assert isinstance(project["children"], ftrack_api.collection.Collection)

    child = project["children"][0]
    print(child["parent"] is project)
    assert child["parent"] is project

    results = session.query('Context where parent.name like "te%"')
    assert child in results

    new_sequence = session.create("Sequence", {"name": "Starlord Reveal"})
    new_sequence["description"] = "First hero character reveal."
    new_sequence["parent"] = project
    session.commit()

    # The other way of setting a parent.
    other_sequence = session.create("Sequence", {"name": "Starlord Return"})
    project["children"].append(other_sequence)
    session.commit()

    with ftrack_api.Session() as session_two:
        print(session_two.query("User").first())
        names = sorted(
            sequence["name"]
            for sequence in session_two.query(
                "Sequence where project.id is {0}".format(project["id"])
            )
        )
        assert names == ["Starlord Return", "Starlord Reveal", "seq_010"]
        assert session_two.get("Sequence", new_sequence["id"])["description"] == (
            "First hero character reveal."
        )

    print(session_two.closed)
    assert session_two.closed is True

    with pytest.raises(ftrack_api.exception.ConnectionClosedError) as error:
        session_two.query("Project").first()
    assert str(error.value) == "Connection closed."

    session.close()
