"""A small application built on the OpenAI API, the way a downstream project writes one.

It thinks with a reasoning model, writes long reports in the background (finished by a signed
webhook), grades questions in a batch, checks text with moderation, draws and speaks, and holds
a Realtime voice turn. Its tests (``test_assistant_app.py``) run it against mockgpt with the
official client and no network.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from openai import OpenAI

REASONING_MODEL = "o4-mini"


@dataclass
class Thought:
    """An answer from a reasoning model: the summary of its reasoning, the answer, the tokens."""

    summary: str
    answer: str
    reasoning_tokens: int
    response_id: str


class Assistant:
    """The application: every call goes through one ``OpenAI`` client.

    Args:
        client: the official client (``base_url`` points at the real API or at mockgpt).
        webhook_secret: the ``whsec_...`` secret the webhook events are signed with.
    """

    def __init__(self, client: OpenAI, webhook_secret: str = "") -> None:
        self.client = client
        self.webhook_secret = webhook_secret
        self.finished_reports: dict[str, str] = {}

    def think(self, question: str, previous: Thought | None = None) -> Thought:
        """Ask the reasoning model; ``previous`` continues the same conversation."""
        response = self.client.responses.create(
            model=REASONING_MODEL,
            input=question,
            reasoning={"effort": "low", "summary": "auto"},
            previous_response_id=previous.response_id if previous else None,
        )
        summary = " ".join(
            part.text
            for item in response.output
            if item.type == "reasoning"
            for part in item.summary
        )
        usage = response.usage
        tokens = usage.output_tokens_details.reasoning_tokens if usage else 0
        return Thought(summary, response.output_text, tokens, response.id)

    def start_report(self, topic: str) -> str:
        """Start a long report in background mode; returns the response id."""
        response = self.client.responses.create(
            model=REASONING_MODEL, input=f"Write a report on {topic}", background=True
        )
        return response.id

    def on_webhook(self, body: bytes, headers: dict[str, str]) -> str:
        """Handle a webhook POST: verify its signature, fetch the finished report.

        Returns the event type. Raises the client's ``InvalidWebhookSignatureError`` for an
        event not signed with our secret.
        """
        event = self.client.webhooks.unwrap(body, headers, secret=self.webhook_secret)
        if event.type == "response.completed":
            report = self.client.responses.retrieve(event.data.id)
            self.finished_reports[event.data.id] = report.output_text
        return event.type

    def grade_all(self, answers: dict[str, str], poll_s: float = 0.01) -> dict[str, str]:
        """Grade each answer (custom id → text) in one batch; custom id → grade."""
        lines = [
            json.dumps(
                {
                    "custom_id": key,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": f"Grade: {text}"}],
                    },
                }
            )
            for key, text in answers.items()
        ]
        upload = self.client.files.create(
            file=("grades.jsonl", "\n".join(lines).encode()), purpose="batch"
        )
        batch = self.client.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        while batch.status not in ("completed", "failed", "cancelled", "expired"):
            time.sleep(poll_s)
            batch = self.client.batches.retrieve(batch.id)
        if batch.status != "completed" or batch.output_file_id is None:
            raise RuntimeError(f"batch {batch.id} ended {batch.status}")
        grades = {}
        for line in self.client.files.content(batch.output_file_id).text.splitlines():
            row = json.loads(line)
            body = row["response"]["body"]
            grades[row["custom_id"]] = body["choices"][0]["message"]["content"]
        return grades

    def is_safe(self, text: str) -> bool:
        """False when moderation flags the text."""
        result = self.client.moderations.create(model="omni-moderation-latest", input=text)
        return not result.results[0].flagged

    def illustrate(self, prompt: str) -> bytes:
        """A PNG for the prompt."""
        image = self.client.images.generate(
            model="gpt-image-1", prompt=prompt, size="1024x1024", n=1
        )
        if not image.data or not image.data[0].b64_json:
            raise RuntimeError("the image answer holds no b64_json")
        return base64.b64decode(image.data[0].b64_json)

    def speak(self, text: str) -> bytes:
        """The text read aloud, as WAV bytes."""
        speech = self.client.audio.speech.create(
            model="gpt-4o-mini-tts", voice="alloy", input=text, response_format="wav"
        )
        return speech.content

    def voice_turn(self, said: str) -> tuple[str, bytes]:
        """One Realtime voice turn: send what the user said, get the transcript and audio."""
        transcript: list[str] = []
        audio = bytearray()
        with self.client.realtime.connect(model="gpt-realtime") as connection:
            connection.session.update(session={"type": "realtime", "output_modalities": ["audio"]})
            connection.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": said}],
                }
            )
            connection.response.create()
            for event in connection:
                if event.type == "response.output_audio_transcript.delta":
                    transcript.append(event.delta)
                elif event.type == "response.output_audio.delta":
                    audio += base64.b64decode(event.delta)
                elif event.type == "response.done":
                    break
        return "".join(transcript), bytes(audio)
