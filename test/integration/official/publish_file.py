"""Publish a file to the ftrack.server location, read it back through the
location's URL, attach it to a job, encode an image, then remove the data.

Parameters: ``size`` (bytes of the generated file), ``image`` (path of an
image to encode, optional).
"""

import hashlib
import os
import tempfile

import requests

from _common import attempt, report, session, unique

options = __import__("_common").params()
a_session = session()
server_location = a_session.query('Location where name is "ftrack.server"').one()

handle, path = tempfile.mkstemp(suffix=".bin")
with os.fdopen(handle, "wb") as stream:
    block = hashlib.sha256(b"publish").digest() * 2048
    remaining = int(options.get("size", 100000))
    while remaining > 0:
        stream.write(block[:remaining])
        remaining -= len(block)
with open(path, "rb") as stream:
    local_md5 = hashlib.md5(stream.read()).hexdigest()

name = unique("published")
component = a_session.create_component(path, data={"name": name}, location=server_location)
observed = {
    "component_id": component["id"],
    "name": component["name"],
    "file_type": component["file_type"],
    "size": component["size"],
    "local_md5": local_md5,
    "availability": server_location.get_component_availability(component),
}

url = server_location.get_url(component)
observed["url"] = url
answer = requests.get(url, timeout=60)
observed["download_status"] = answer.status_code
observed["download_md5"] = hashlib.md5(answer.content).hexdigest()

reader = session()
stored = reader.get("FileComponent", component["id"])
observed["stored_locations"] = [entry["location_id"] for entry in stored["component_locations"]]
observed["stored_resource_identifiers"] = [
    entry["resource_identifier"] for entry in stored["component_locations"]]
reader.close()

# Attach the file to a job, as the documentation's job example does.
job = a_session.create("Job", {"user": a_session.query(
    'User where username is "{0}"'.format(a_session.api_user)).one(), "status": "running"})
attachment = a_session.create_component(path, data={"name": name + "_log"},
                                        location=server_location)
a_session.create("JobComponent", {"component_id": attachment["id"], "job_id": job["id"]})
job["status"] = "done"
a_session.commit()
observed["job_attachment_urls"] = [
    server_location.get_url(entry["component"]) for entry in job["job_components"]]
observed["job_attachment_md5"] = [
    hashlib.md5(requests.get(item, timeout=60).content).hexdigest()
    for item in observed["job_attachment_urls"]]

if options.get("image"):
    encoded = attempt(lambda: a_session.encode_media(options["image"]))
    if "result" in encoded:
        observed["encode_job"] = {"id": encoded["result"]["id"],
                                  "data": encoded["result"]["data"]}
    else:
        observed["encode_job"] = encoded

server_location.remove_component(component)
observed["availability_after_remove"] = server_location.get_component_availability(component)
observed["download_after_remove_status"] = requests.get(url, timeout=60).status_code
os.unlink(path)
a_session.close()
report(observed)
