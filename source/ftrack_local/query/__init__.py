"""The query language: parse expressions into an AST the compiler turns into SQL."""

from .ast import (And, Comparison, Criteria, Literal, Not, Or, Order, Path,
                  Query, Related)
from .parser import parse

__all__ = ["parse", "And", "Comparison", "Criteria", "Literal", "Not", "Or",
           "Order", "Path", "Query", "Related"]
