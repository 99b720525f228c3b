"""Create a project named ``params()["name"]`` and commit it, so the server
publishes an ``ftrack.update`` for it."""

from _common import report, session, params

options = params()
a_session = session()
project = a_session.create("Project", {
    "name": options["name"], "full_name": "Committed by the official client",
    "project_schema": a_session.query("ProjectSchema").first()})
a_session.commit()
report({"project_id": project["id"]})
a_session.close()
