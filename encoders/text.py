"""Turn a product into the one string its vector is computed from."""

from __future__ import annotations

import string
from dataclasses import dataclass

from encoders.errors import TemplateError
from kernel.product import Product

__all__ = ["DEFAULT_TEMPLATE", "ProductTextTemplate"]

DEFAULT_TEMPLATE = "{title}. {brand}. {category}. {attributes}"
_FIELDS = {"title", "brand", "category", "leaf", "description", "attributes"}


@dataclass(frozen=True)
class ProductTextTemplate:
    """A format string over product fields; empty fields and their separators disappear.

    Fields: `{title}`, `{brand}`, `{category}` (the `A > B > C` path), `{leaf}` (last category),
    `{description}`, `{attributes}` (the chosen attribute keys as `key: value` pairs).

    Args:
        template: The format string, e.g. `"{title}. {brand}. {category}"`.
        attribute_keys: Which attributes `{attributes}` shows, in order.

    Raises:
        TemplateError: the template names a field products do not have.

    Example:
        >>> from kernel.product import Product
        >>> t = ProductTextTemplate("{title}. {brand}. {leaf}")
        >>> t.render(Product(id="1", title="Hammer Drill", category="Tools > Drills"))
        'Hammer Drill. Drills'
    """

    template: str = DEFAULT_TEMPLATE
    attribute_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None}
        except ValueError as exc:
            raise TemplateError(
                f"Product text template {self.template!r} is not a valid format string: {exc}."
            ) from exc
        unknown = names - _FIELDS
        if unknown:
            raise TemplateError(
                f"Product text template {self.template!r} uses unknown field(s) {sorted(unknown)}; "
                f"known fields: {', '.join(sorted(_FIELDS))}."
            )

    def render(self, product: Product) -> str:
        """The product's text."""
        attributes = ", ".join(f"{k}: {product.attributes[k]}" for k in self.attribute_keys if k in product.attributes)
        values = {
            "title": product.title,
            "brand": product.brand or "",
            "category": product.category_path,
            "leaf": product.category[-1] if product.category else "",
            "description": product.description or "",
            "attributes": attributes,
        }
        # Render each literal+field chunk, then drop chunks whose field came out empty, so a
        # missing brand does not leave ". ." behind.
        chunks: list[str] = []
        for literal, name, spec, _ in string.Formatter().parse(self.template):
            value = format(values[name], spec or "") if name is not None else ""
            if name is None or value:
                chunks.append((literal if chunks else literal.lstrip(" .,;:-|")) + value)
        return "".join(chunks).strip()

    def describe(self) -> str:
        """A stable description, part of the encoder fingerprint."""
        return f"{self.template}|attributes={','.join(self.attribute_keys)}"
