"""Asset version entity."""

import ftrack_api.entity.base


class AssetVersion(ftrack_api.entity.base.Entity):
    """Represent asset version."""

    def create_component(self, path, data=None, location=None):
        """Create a component of this version from *path* (a file or a sequence).

        *path*, *data* and *location* are as for
        :meth:`ftrack_api.session.Session.create_component`; the component's
        version is set to this version.
        """
        data = dict(data or {})
        if "version_id" not in data:
            data.setdefault("version", self)
        return self.session.create_component(path, data=data, location=location)

    def encode_media(self, media, keep_original="auto"):
        """Encode *media* (a file path or a server component) for this version.

        Returns the encoding Job; see
        :meth:`ftrack_api.session.Session.encode_media`.
        """
        return self.session.encode_media(media, version_id=self["id"], keep_original=keep_original)
