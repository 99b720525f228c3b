"""Asset version entity.

Creating components and encoding media rely on locations, which are not
part of this client yet.
"""

import ftrack_api.entity.base


class AssetVersion(ftrack_api.entity.base.Entity):
    """Represent asset version."""
