"""Standard profile attributes: names reserved for every company, with fixed types.

They share one namespace with custom attributes and win over them: a custom
attribute with a standard name sets the standard attribute, unless the same
request sets the standard one directly.
"""

from __future__ import annotations

from optledger.core.attributes.values import AttributeType

STANDARD_ATTRIBUTES: dict[str, AttributeType] = {
    "firstName": AttributeType.STRING,
    "lastName": AttributeType.STRING,
    "dateOfBirth": AttributeType.DATE,
    "age": AttributeType.NUMBER,
    "gender": AttributeType.STRING,
    "pronouns": AttributeType.STRING,
    "language": AttributeType.STRING,
    "locale": AttributeType.STRING,
    "organization": AttributeType.STRING,
    "title": AttributeType.STRING,
    "website": AttributeType.STRING,
    "address1": AttributeType.STRING,
    "address2": AttributeType.STRING,
    "city": AttributeType.STRING,
    "state": AttributeType.STRING,
    "zip": AttributeType.STRING,
    "country": AttributeType.STRING,
    "region": AttributeType.STRING,
    "timezone": AttributeType.STRING,
    "latitude": AttributeType.STRING,
    "longitude": AttributeType.STRING,
}

# Other names users send for the same fields.
STANDARD_ALIASES = {"birthday": "dateOfBirth", "postalCode": "zip"}


def standard_name(name: str) -> str | None:
    """The standard attribute `name` stands for, if it is one (case-sensitive)."""
    name = STANDARD_ALIASES.get(name, name)
    return name if name in STANDARD_ATTRIBUTES else None
