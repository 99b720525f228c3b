"""Publish ``path`` (a file) and ``sequence`` (a clique sequence expression)
to the ftrack.server location; report the new component ids and, for the
sequence, the ids of its members by frame name."""

import ftrack_api.symbol

from _common import params, report, session

a_session = session()
location = a_session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
file_component = a_session.create_component(
    params()["path"], data={"name": "from_official"}, location=location)
sequence = a_session.create_component(params()["sequence"], location=location)
members = a_session.query(
    'select id, name from FileComponent where container_id is "{0}"'.format(sequence["id"])).all()
report({"file_id": file_component["id"], "sequence_id": sequence["id"],
        "members": {member["name"]: member["id"] for member in members}})
