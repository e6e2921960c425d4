"""``respond.reasoning``: the reasoning a stub's answer reports before its text."""

from __future__ import annotations

from typing import Annotated

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, field_validator, model_validator

from mockgpt.scenarios.text_match import ScenarioModel

_TEMPLATES = SandboxedEnvironment()


class ReasoningScript(ScenarioModel):
    """The reasoning of a scripted answer: its summary and what it cost.

    Give ``text`` (one summary part) or ``summary`` (several parts), or neither for reasoning
    without a summary; each is a template like ``content``. The Responses API sends it as a
    ``reasoning`` output item before the message, chat completions as
    ``usage.completion_tokens_details.reasoning_tokens`` (and the text as
    ``reasoning_content`` under the ``reasoning-content`` quirk).

    Attributes:
        text: the reasoning summary, one part.
        summary: the reasoning summary as several parts, in order.
        tokens: reasoning tokens, counted in the completion tokens; default: the summary's
            token count (the request's prompt tokens are not affected).
    """

    text: str | None = None
    summary: list[str] | None = None
    tokens: Annotated[int, Field(ge=0, le=10_000_000)] | None = None

    @field_validator("text")
    @classmethod
    def _check_template(cls, text: str | None) -> str | None:
        _parse(text)
        return text

    @field_validator("summary")
    @classmethod
    def _check_templates(cls, parts: list[str] | None) -> list[str] | None:
        for part in parts or ():
            _parse(part)
        return parts

    @model_validator(mode="after")
    def _one_form(self) -> ReasoningScript:
        if self.text is not None and self.summary is not None:
            raise ValueError("give reasoning.text or reasoning.summary, not both")
        if self.text is None and self.summary is None and self.tokens is None:
            raise ValueError("give reasoning.text, reasoning.summary or reasoning.tokens")
        return self

    @property
    def parts(self) -> list[str]:
        """The summary's part templates, in order (none for reasoning without a summary)."""
        if self.summary is not None:
            return list(self.summary)
        return [self.text] if self.text else []


def _parse(source: str | None) -> None:
    if source is not None and "{" in source:
        try:
            _TEMPLATES.parse(source)
        except TemplateSyntaxError as exc:
            raise ValueError(f"invalid template (line {exc.lineno}): {exc.message}") from None
