"""The scenario format's shared pieces: ``ScenarioModel`` (strict, frozen) and ``TextMatch``.

They live apart from ``schema`` so that parts of the format defined in their own module (such
as ``respond.embedding``) can use text conditions too.
"""

from __future__ import annotations

from typing import Any

import regex as regex_module
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ScenarioModel(BaseModel):
    """A part of a scenario file: unknown fields are errors, and a loaded part never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _or_plain_string(schema: dict[str, Any]) -> None:
    """JSON Schema: a ``TextMatch`` may also be written as a plain string (``contains``)."""
    conditions = dict(schema)
    schema.clear()
    schema["description"] = conditions.pop("description", "")
    schema["anyOf"] = [{"type": "string", "description": "shorthand for contains"}, conditions]


class TextMatch(ScenarioModel):
    """Conditions on a text; all given must hold. A plain string in a file means ``contains``."""

    equals: str | None = None
    contains: str | None = None
    regex: str | None = None
    absent: bool | None = Field(
        default=None, description="true: the text must be missing or empty; false: present"
    )
    ignore_case: bool = False

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_or_plain_string)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"contains": value} if isinstance(value, str) else value

    @field_validator("regex")
    @classmethod
    def _check_regex(cls, regex: str | None) -> str | None:
        if regex is not None:
            try:
                regex_module.compile(regex)
            except regex_module.error as exc:
                raise ValueError(f"invalid regex {regex!r}: {exc}") from None
        return regex

    @model_validator(mode="after")
    def _one_condition(self) -> TextMatch:
        if not any(v is not None for v in (self.equals, self.contains, self.regex, self.absent)):
            raise ValueError("give at least one of equals, contains, regex, absent")
        return self
