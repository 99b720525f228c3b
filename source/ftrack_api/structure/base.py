"""The interface every structure implements."""

import abc


class Structure(metaclass=abc.ABCMeta):
    """Decide the resource identifier under which a location stores an entity."""

    def __init__(self, prefix=""):
        """*prefix* is put in front of the identifiers of structures that use one."""
        self.prefix = prefix
        self.path_separator = "/"
        super(Structure, self).__init__()

    @abc.abstractmethod
    def get_resource_identifier(self, entity, context=None):
        """Return the resource identifier for *entity*; *context* may add information."""

    def _get_sequence_expression(self, sequence):
        """Return the printf style frame expression of the *sequence* component.

        A sequence with a padding of 4 gives ``%04d``; one without padding
        (0 or None) gives ``%d``.
        """
        padding = sequence["padding"]
        if not padding:
            return "%d"
        return "%0{0}d".format(padding)
