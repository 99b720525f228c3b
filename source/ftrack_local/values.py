"""Conversion of attribute values between the wire, query text and storage.

Stored date-times are naive UTC ``datetime`` objects; on the wire they are
``{"__type__": "datetime", "value": "<ISO 8601>"}`` (naive text meaning UTC,
as a server with time-zone support sends it).
"""

import datetime
import json
from typing import Any, Optional

from .errors import ValidationError
from .schema import Attribute

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_NULL = {"none", "null"}


def parse_datetime(text: str) -> datetime.datetime:
    """Parse ISO 8601 text (naive, ``Z``, offsets, fractions, bare dates) to naive UTC."""
    value = text.strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            raise ValidationError('"{0}" is not a valid date and time.'.format(text)) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


def format_datetime(value: datetime.datetime) -> str:
    """ISO text for a stored (naive UTC) date-time."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.isoformat()


def encode_datetime(value: datetime.datetime) -> dict:
    """*value* in the wire format of date-times."""
    return {"__type__": "datetime", "value": format_datetime(value)}


def is_encoded_datetime(value: Any) -> bool:
    """Whether *value* is a date or date-time in wire format."""
    return isinstance(value, dict) and value.get("__type__") in ("datetime", "date")


def to_storage(attribute: Attribute, value: Any, type_name: str = "") -> Any:
    """Convert a wire value for a scalar *attribute* to its stored form.

    Raises :class:`ValidationError` naming the attribute when the value does
    not fit the attribute's type.
    """
    if value is None:
        return None
    kind = attribute.value_type
    try:
        if kind == "datetime":
            if is_encoded_datetime(value):
                return parse_datetime(value.get("value") or "")
            if isinstance(value, str):
                return parse_datetime(value)
            raise TypeError
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
                return value.lower() in _TRUE
            raise TypeError
        if kind == "integer":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, (int, str)):
                return int(value)
            raise TypeError
        if kind == "number":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, (int, float, str)):
                return float(value)
            raise TypeError
        if kind == "string":
            if isinstance(value, (dict, list)):
                if attribute.name in ("link", "_link"):
                    return value
                raise TypeError
            if isinstance(value, bool):
                raise TypeError
            return str(value)
        if kind == "json":
            return value if isinstance(value, str) else json.dumps(value)
        # variable / object: any JSON; date-times kept as tagged values.
        return value
    except (TypeError, ValueError):
        raise ValidationError('Value {0} is not valid for attribute "{1}"{2} of type {3}.'.format(
            _show(value), attribute.name, " of " + type_name if type_name else "", kind)) from None


def to_wire(attribute: Attribute, value: Any) -> Any:
    """Convert a stored scalar value to its JSON form."""
    if isinstance(value, datetime.datetime):
        return encode_datetime(value)
    return value


def from_text(attribute: Optional[Attribute], literal: str, quoted: bool) -> Any:
    """Convert a value written in a query to the stored form of *attribute*."""
    lowered = literal.lower()
    if not quoted and lowered in _NULL:
        return None
    if attribute is None:
        return literal
    kind = attribute.value_type
    if kind == "boolean":
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValidationError('"{0}" is not a boolean value for "{1}".'.format(literal, attribute.name))
    if kind in ("integer", "number"):
        try:
            number = float(literal)
        except ValueError:
            raise ValidationError('"{0}" is not a number for "{1}".'.format(literal, attribute.name)) from None
        return int(number) if kind == "integer" and number.is_integer() else number
    if kind == "datetime":
        return parse_datetime(literal)
    return literal


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) < 80 else text[:77] + "..."
