"""The interface every structure implements."""

import abc


class Structure(metaclass=abc.ABCMeta):
    """Decide the resource identifier under which a location stores an entity."""

    def __init__(self, prefix=""):
        """*prefix* is put in front of every identifier this structure makes."""
        super(Structure, self).__init__()
        self.prefix = prefix
        self.path_separator = "/"

    @abc.abstractmethod
    def get_resource_identifier(self, entity, context=None):
        """Return the resource identifier for *entity*; *context* may add information."""

    def _join(self, *parts):
        """Join non-empty *parts* with the separator, after the prefix."""
        parts = [str(part) for part in (self.prefix,) + parts if part not in (None, "")]
        return self.path_separator.join(parts)

    @staticmethod
    def _file_type(component):
        file_type = component.get("file_type") or ""
        return file_type if not file_type or file_type.startswith(".") else "." + file_type

    @staticmethod
    def _padded(value, padding):
        try:
            return "{0:0{1}d}".format(int(value), int(padding or 0))
        except (TypeError, ValueError):
            return str(value)
