"""Read components from the ftrack.server location: for each id in
``component_ids``, its name, file type, size, availability there and the
SHA-256 of its data (read through the location's accessor)."""

import hashlib

import ftrack_api.symbol

from _common import params, report, session

a_session = session()
location = a_session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
observed = {}
for component_id in params()["component_ids"]:
    component = a_session.get("Component", component_id)
    identifier = location.get_resource_identifier(component)
    data = location.accessor.open(identifier, "rb")
    digest = hashlib.sha256()
    while True:
        chunk = data.read(1024 * 1024)
        if not chunk:
            break
        digest.update(chunk)
    data.close()
    observed[component_id] = {
        "name": component["name"], "file_type": component["file_type"],
        "size": component["size"], "entity_type": component.entity_type,
        "availability": location.get_component_availability(component),
        "sha256": digest.hexdigest()}
report(observed)
