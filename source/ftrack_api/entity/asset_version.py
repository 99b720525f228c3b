"""Asset version entity."""

import ftrack_api.entity.base


class AssetVersion(ftrack_api.entity.base.Entity):
    """Represent asset version."""

    def create_component(self, path, data=None, location=None):
        """Create a component of this version from *path* (a file or a sequence).

        *path*, *data* and *location* are as for
        :meth:`ftrack_api.session.Session.create_component`; the component's
        version is always this version (``version`` and ``version_id`` in
        *data* are replaced).
        """
        data = dict(data or {})
        # The component always belongs to this version, whatever *data* says.
        data.pop("version_id", None)
        data["version"] = self
        return self.session.create_component(path, data=data, location=location)

    def encode_media(self, media, keep_original="auto"):
        """Encode *media* (a file path or a server component) for this version.

        Returns the encoding Job; see
        :meth:`ftrack_api.session.Session.encode_media`.
        """
        return self.session.encode_media(media, version_id=self["id"], keep_original=keep_original)
