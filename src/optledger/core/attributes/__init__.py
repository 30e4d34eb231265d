"""Person attributes: standard profile fields and per-company custom attributes."""

from optledger.core.attributes.definitions import define_attribute
from optledger.core.attributes.profile import AttributeChanges, set_attributes
from optledger.core.attributes.standard import STANDARD_ATTRIBUTES
from optledger.core.attributes.values import AttributeType

__all__ = [
    "STANDARD_ATTRIBUTES",
    "AttributeChanges",
    "AttributeType",
    "define_attribute",
    "set_attributes",
]
