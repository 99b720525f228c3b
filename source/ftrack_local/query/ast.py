"""The parsed form of an ftrack query expression.

The parser produces these nodes; the compiler turns them into SQL. Paths are
tuples of steps (``status.state.name`` -> ``("status", "state", "name")``).
A step is an attribute name, optionally followed by a cast to an entity type
written as in the query, without spaces: ``parent[Shot].name`` ->
``("parent[Shot]", "name")``; :func:`split_step` separates the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

Path = Tuple[str, ...]


def split_step(step: str) -> Tuple[str, Optional[str]]:
    """``"parent[Shot]"`` -> ``("parent", "Shot")``; ``"parent"`` -> ``("parent", None)``."""
    if step.endswith("]"):
        name, _, cast = step[:-1].partition("[")
        return name, cast
    return step, None


@dataclass(frozen=True)
class Literal:
    """A value in a condition.

    *value* is the text as written (quotes removed) for strings and bare
    words; *quoted* tells whether it was quoted. The compiler converts it to
    the attribute's type (numbers, booleans, dates, null).
    """

    value: str
    quoted: bool = False


@dataclass(frozen=True)
class Comparison:
    """``path operator value``.

    *operator* is normalised to one of: ``=``, ``!=``, ``<``, ``>``, ``<=``,
    ``>=``, ``like``, ``not_like``, ``in``, ``not_in``. (``is`` -> ``=``,
    ``is_not`` -> ``!=``, ``after``/``greater_than`` -> ``>``,
    ``before``/``less_than`` -> ``<``.)
    For ``in``/``not_in`` *value* is a tuple of Literal or a SubQuery.
    """

    path: Path
    operator: str
    value: Union[Literal, Tuple[Literal, ...], "Query"]


@dataclass(frozen=True)
class Related:
    """``path has (criteria)`` or ``path any (criteria)``; *criteria* may be None for ``any ()``."""

    path: Path
    operator: str  # "has" or "any"
    criteria: Optional["Criteria"]


@dataclass(frozen=True)
class Not:
    operand: "Criteria"


@dataclass(frozen=True)
class And:
    operands: Tuple["Criteria", ...]


@dataclass(frozen=True)
class Or:
    operands: Tuple["Criteria", ...]


Criteria = Union[Comparison, Related, Not, And, Or]


@dataclass(frozen=True)
class Order:
    path: Path
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A whole expression: ``select … from T where … order by … offset … limit …``.

    *projections* is empty when the text has no ``select`` part.
    """

    entity_type: str
    projections: Tuple[Path, ...] = ()
    criteria: Optional[Criteria] = None
    order: Tuple[Order, ...] = ()
    offset: Optional[int] = None
    limit: Optional[int] = None
