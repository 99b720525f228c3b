"""Component entities.

Component data transfer (availability, thumbnails) relies on locations,
which are not part of this client yet.
"""

import ftrack_api.entity.base


class Component(ftrack_api.entity.base.Entity):
    """Represent a component."""
