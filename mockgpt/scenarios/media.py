"""``respond.image`` and ``respond.speech``: what an images or speech answer is made of.

(``respond.moderation`` is ``mockgpt.scenarios.moderation``; a transcription's text is the
stub's ``respond.content``.)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mockgpt.scenarios.moderation import ModerationScript as ModerationScript
from mockgpt.scenarios.text_match import ScenarioModel


class ImageScript(ScenarioModel):
    """The images an images answer holds.

    Attributes:
        color: every image's colour, ``#rrggbb``; without it each image's colour comes from a
            hash of the prompt and the image's index.
        revised_prompt: the ``revised_prompt`` of each image; without it the prompt as sent.
    """

    color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None
    revised_prompt: str | None = None


class SpeechScript(ScenarioModel):
    """The audio a speech answer holds.

    Attributes:
        duration_ms: the audio's length, milliseconds (at ``speed`` 1); without it 60 ms per
            character of ``input``.
        frequency_hz: the tone's pitch, hertz; 0 for silence (the default is a 440 Hz tone).
    """

    duration_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None
    frequency_hz: Annotated[float, Field(ge=0, le=20_000)] | None = None
