"""Schemas every router shares: money, text, ids, references to organizations and categories, the error body."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Path, Schema
from pydantic import PlainSerializer, StringConstraints, WithJsonSchema

#: The largest key a path or body may name (a 64-bit primary key).
MAX_ID = 2**63 - 1

#: An amount of CNY as the API writes it: a decimal string with two places ("12345.60"), never a float.
Money = Annotated[
    Decimal,
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["12345.60"]}),
]

#: An amount of CNY as the API reads it: a decimal string with at most two places. A JSON number is refused,
#: so no amount ever passes through a float.
MoneyIn = Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,2})?$"), Field(examples=["12345.60"])]

#: Hours of one service record as the API reads them: a decimal string of at most 4 integer digits and 2 places
#: (0 to 9999.99). No JSON number, exponent, NaN or Infinity gets through.
HoursIn = Annotated[
    str,
    StringConstraints(pattern=r"^\d{1,4}(\.\d{1,2})?$"),
    Field(description="Hours, a decimal string from 0 to 9999.99.", examples=["2.5"]),
]

#: A measure (hours, a target) as the API writes it: a decimal string in positional notation ("100000", never
#: "1E+5"), so it always fits the pattern it declares.
Measure = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["12.5"]}),
]

#: A score (0-100) or a measure as the API writes it, or null.
Score = Measure


#: Text never holds NUL (no database column takes it); each kind of text has the length of its column.
NO_NUL = r"^[^\x00]*$"
Text40 = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)]
Text60 = Annotated[str, StringConstraints(max_length=60, pattern=NO_NUL)]
Text100 = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]
Text200 = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]


#: A primary key in a path.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
#: A primary key in a body.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class OrganizationRef(Schema):
    id: int
    kind: str
    name: str
    name_en: str


class CategoryRef(Schema):
    code: str
    name: str
    name_en: str


class ErrorItem(Schema):
    """One problem: where it is (`loc`, e.g. ["body", "amount"]; empty for the request as a whole) and what it is."""

    loc: list[str | int]
    message: str
    type: str


class ErrorOut(Schema):
    """Every error has this body: a summary in the reader's language (Accept-Language), a stable code, and the
    problems one by one."""

    detail: str
    code: str = Field(
        ...,
        description="unauthorized (401) · forbidden (403) · not_found (404, also for a path the API does not have) · "
        "method_not_allowed (405) · invalid (422: the request does not fit its schema, its body is not JSON, or its "
        "parameters do not fit together) · rule_violation (400: a rule of the mechanism refuses it) · conflict (409: "
        "the object's state does not allow it) · throttled (429) · server_error (500)",
    )
    errors: list[ErrorItem] = Field(default_factory=list)


#: The error responses every operation may give; write endpoints add 400/403/409.
READ_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
