"""``CreateEmbeddingRequest``: the body of ``POST /v1/embeddings``."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from mockgpt.errors import RequestRejected
from mockgpt.models.common import RequestModel

MAX_INPUTS = 2048
"""Texts (or token-id lists) one request may embed (spec: ``input``, "2048 dimensions or less")."""

# The 2048 limit is checked after the union (``_check_count``): inside it, a too-long list of
# strings would be reported as a wrong type from the token-id members instead.
EmbeddingInput = Union[
    Annotated[str, Field(min_length=1)],
    Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)],
    Annotated[list[int], Field(min_length=1)],
    Annotated[list[Annotated[list[int], Field(min_length=1)]], Field(min_length=1)],
]


class CreateEmbeddingRequest(RequestModel):
    """The body of ``POST /v1/embeddings`` (``CreateEmbeddingRequest``)."""

    model: str
    input: EmbeddingInput
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1)] | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _check_count(self) -> CreateEmbeddingRequest:
        value = self.input
        if isinstance(value, list) and len(value) > MAX_INPUTS and not isinstance(value[0], int):
            raise RequestRejected(
                400,
                f"Invalid 'input': too long. Expected at most {MAX_INPUTS} item(s), "
                f"but got {len(value)}.",
                param="input",
                code="array_above_max_length",
            )
        return self

    @property
    def texts(self) -> list[str]:
        """Each input as text, in order; token-id inputs become space-separated numbers."""
        value = self.input
        if isinstance(value, str):
            return [value]
        if all(isinstance(v, str) for v in value):
            return [str(v) for v in value]
        if all(isinstance(v, int) for v in value):
            return [" ".join(str(t) for t in value)]
        return [" ".join(str(t) for t in v) for v in value if isinstance(v, list)]
