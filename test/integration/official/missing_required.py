"""Create an AssetType without its required ``name`` through the client."""

import ftrack_api.exception

from _common import error, report, session, still_answering, unique

a_session = session()
short = unique("short")
a_session.create("AssetType", {"short": short})
observed = {}
try:
    a_session.commit()
    observed["commit"] = None
except ftrack_api.exception.ServerError as exception:
    observed["commit"] = error(exception)
    a_session.rollback()
observed["stored"] = len(a_session.query(
    'AssetType where short is "{0}"'.format(short)).all())
observed["still_answering"] = still_answering(a_session)
report(observed)
