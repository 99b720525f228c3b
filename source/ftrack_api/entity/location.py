"""Location entity.

Location behaviour (accessors, structures, adding and removing components)
is not part of this client yet; locations are plain entities for now.
"""

import ftrack_api.entity.base
from ftrack_api.logging import LazyLogMessage as L  # noqa: F401 (public name)


class Location(ftrack_api.entity.base.Entity):
    """Represent storage for components."""
