"""The product every part of aisle speaks of: the catalog row, as the indexer validates it.

It lives in the shared package because the indexer reads it, the encoders turn it into text, the
simulator writes it and the query API returns it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["CATEGORY_SEPARATOR", "Availability", "Product", "parse_category_path"]

CATEGORY_SEPARATOR = " > "
MAX_ID_BYTES = 512  # OpenSearch refuses a longer `_id`, and with it the whole bulk request it came in
MAX_TITLE_CHARS = 1_000
MAX_DESCRIPTION_CHARS = 20_000

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Keyword fields in OpenSearch refuse terms over 32 KB; these caps keep every value well inside.
ShortText = Annotated[str, StringConstraints(max_length=256)]
AttributeValue = Annotated[str, StringConstraints(max_length=1_024)]


class Availability(StrEnum):
    """Stock state, as retail feeds commonly spell it."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    DISCONTINUED = "discontinued"


def parse_category_path(value: Any) -> list[str]:
    """A category path from a list or a `A > B > C` string; empty parts are dropped."""
    if value is None or value == "":
        return []
    parts = value if isinstance(value, list) else str(value).split(">")
    return [str(p).strip() for p in parts if str(p).strip()]


class Product(BaseModel):
    """One catalog row.

    Args:
        id: The retailer's product id; unique within a catalog.
        title: Product title, the main text searched.
        description: Longer text, optional.
        brand: Brand name, optional.
        category: Category path from root to leaf, e.g. `["Tools", "Power Tools", "Drills"]`;
            also accepted as `"Tools > Power Tools > Drills"`.
        attributes: Key → value product attributes (colour, material, size, ...).
        price: Price in `currency`, non-negative.
        currency: ISO 4217 code.
        availability: Stock state.
        popularity: Recent demand, non-negative: e.g. units sold in the last 90 days. It breaks BM25's
            ties (most popular first) and is one of the ranker's features.
        image_url: Product image.
        extra: Any other fields of the row, kept as keyword values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty = Field(max_length=256)
    title: NonEmpty = Field(max_length=MAX_TITLE_CHARS)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    brand: str | None = Field(default=None, max_length=256)
    category: list[ShortText] = Field(default_factory=list, max_length=16)
    attributes: dict[ShortText, AttributeValue] = Field(default_factory=dict)
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    availability: Availability | None = None
    popularity: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    image_url: str | None = Field(default=None, max_length=2_048)
    extra: dict[ShortText, AttributeValue] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _fits_opensearch(cls, value: str) -> str:
        size = len(value.encode("utf-8"))
        if size > MAX_ID_BYTES:
            raise PydanticCustomError(
                "id_too_long",
                "id is {size} bytes in UTF-8; OpenSearch allows at most {limit}",
                {"size": size, "limit": MAX_ID_BYTES},
            )
        return value

    @field_validator("category", mode="before")
    @classmethod
    def _split_category(cls, value: Any) -> list[str]:
        return parse_category_path(value)

    @property
    def category_path(self) -> str:
        """The category as one `A > B > C` string ('' when uncategorised)."""
        return CATEGORY_SEPARATOR.join(self.category)
