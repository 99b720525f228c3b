"""The identity transformer that custom transformers build on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from ftrack_api.session import Session


class ResourceIdentifierTransformer(object):
    """Change resource identifiers on their way to and from the server.

    :meth:`encode` runs before an identifier is stored centrally and
    :meth:`decode` after it is read back, before local use. This base class
    leaves identifiers untouched; subclasses can, for example, store a path
    as portable key/value text and rebuild a platform path when reading.
    """

    def __init__(self, session: Session) -> None:
        """Keep *session* (an :class:`ftrack_api.session.Session`) for lookups."""
        super(ResourceIdentifierTransformer, self).__init__()
        self.session = session

    def encode(self, resource_identifier: str, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return *resource_identifier* as it should be stored centrally."""
        return resource_identifier

    def decode(self, resource_identifier: str, context: Optional[Mapping[str, Any]] = None) -> str:
        """Return the stored *resource_identifier* as it should be used locally."""
        return resource_identifier
