"""`Rows`: a list of result models that can also be a DataFrame (`to_pandas`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, SupportsIndex, TypeVar, get_args, overload

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

if TYPE_CHECKING:
    import pandas

T = TypeVar("T", bound=BaseModel)


class Rows(list[T], Generic[T]):
    """The rows of a result's tabular part (the timeline, the scale points, the plans).
    A plain list everywhere (JSON, equality, indexing); `to_pandas` is the extra, and a
    row with a name can be looked up by it: `result.features["chat"]`."""

    @overload
    def __getitem__(self, key: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, key: slice) -> list[T]: ...
    @overload
    def __getitem__(self, key: str) -> T: ...

    def __getitem__(self, key: SupportsIndex | slice | str) -> T | list[T]:
        if not isinstance(key, str):
            return super().__getitem__(key)
        for row in self:
            if getattr(row, "name", None) == key:
                return row
        names = [str(getattr(row, "name", "")) for row in self if hasattr(row, "name")]
        raise KeyError(
            f"no row named {key!r}" + (f"; names are {', '.join(names)}" if names else "")
        )

    def to_pandas(self) -> pandas.DataFrame:
        """One row per item, nested fields as dotted columns (`cost_per_query.p95`)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install 'costline[pandas]'") from None
        return pandas.json_normalize([row.model_dump(mode="json") for row in self])

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        args = get_args(source)
        item = args[0] if args else Any
        # validated as a list, then wrapped; serialised as the list it is
        return core_schema.no_info_after_validator_function(
            cls,
            handler.generate_schema(list[item]),  # type: ignore[valid-type]
        )
