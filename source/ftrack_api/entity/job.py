"""Job entity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

import ftrack_api.entity.base

if TYPE_CHECKING:
    from ftrack_api.session import Session


class Job(ftrack_api.entity.base.Entity):
    """Represent job."""

    def __init__(
        self, session: Session, data: Optional[Mapping[str, Any]] = None, reconstructing: bool = False
    ) -> None:
        """Initialise entity.

        *session* is an instance of :class:`ftrack_api.session.Session` that
        this entity instance is bound to.

        *data* is a mapping of key, value pairs to apply as initial attribute
        values.

        To set a job *description* visible in the web interface, *data* can
        contain a key called *data* which should be a JSON serialised
        dictionary containing description::

            data = {
                'status': 'running',
                'data': json.dumps(dict(description='My job description.')),
                ...
            }

        Will raise a :py:exc:`ValueError` if *data* contains *type* and
        *type* is set to something not equal to "api_job".

        *reconstructing* indicates whether this entity is being
        reconstructed, such as from a query, and therefore should not have
        any special creation logic applied, such as initialising defaults for
        missing data.
        """
        if not reconstructing and data is not None:
            job_type = data.get("type")
            if job_type is not None and job_type != "api_job":
                raise ValueError(
                    'Invalid job type "{0}". Must be "api_job"'.format(job_type)
                )

        super(Job, self).__init__(session, data=data, reconstructing=reconstructing)
