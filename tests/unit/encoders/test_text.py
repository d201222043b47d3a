from __future__ import annotations

import pytest

from encoders.errors import TemplateError
from encoders.text import ProductTextTemplate
from kernel.product import Product

DRILL = Product(
    id="1", title="Hammer Drill", brand="Bosch", category="Tools > Power Tools > Drills", attributes={"voltage": "18V"}
)


def test_every_field_renders() -> None:
    template = ProductTextTemplate("{title} | {brand} | {category} | {leaf} | {attributes}", ("voltage",))
    assert template.render(DRILL) == "Hammer Drill | Bosch | Tools > Power Tools > Drills | Drills | voltage: 18V"


def test_empty_fields_take_their_separator_with_them() -> None:
    bare = Product(id="2", title="Hammer Drill")
    assert ProductTextTemplate().render(bare) == "Hammer Drill"
    assert ProductTextTemplate("{brand}. {title}").render(bare) == "Hammer Drill"


def test_unknown_fields_are_refused_with_the_known_ones() -> None:
    with pytest.raises(TemplateError, match=r"unknown field\(s\) \['colour'\]; known fields: attributes, brand"):
        ProductTextTemplate("{title} {colour}")


def test_a_broken_format_string_is_refused() -> None:
    with pytest.raises(TemplateError, match="not a valid format string"):
        ProductTextTemplate("{title")


def test_the_description_changes_with_the_attributes_chosen() -> None:
    assert ProductTextTemplate(attribute_keys=("a",)).describe() != ProductTextTemplate().describe()
