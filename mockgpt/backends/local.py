"""The local model backend: a causal language model from a local directory, via transformers.

Optional (``pip install 'mockgpt[local]'``: CPU torch 2.13.0 and transformers). The model and
tokenizer load with ``from_pretrained(path, local_files_only=True)`` and ``HF_HUB_OFFLINE=1``:
nothing is ever downloaded. Chat requests go through the tokenizer's chat template (a plain
``role: content`` transcript when it has none); tokens stream as they are generated
(``TextIteratorStreamer``), and usage counts come from the model's own tokenizer.
``max_tokens`` (as ``max_new_tokens``), ``stop``, ``temperature`` and ``seed`` are honoured.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio

from mockgpt.errors import ConfigError
from mockgpt.events import Event, Finish, TextDelta, Usage
from mockgpt.models import CreateCompletionRequest
from mockgpt.turn import Turn

_END = object()


def _stop_at(text: str, stops: tuple[str, ...]) -> int:
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else -1


class LocalModelBackend:
    """Generates answers with a local transformers model.

    Args:
        path: a directory with the model's and tokenizer's files (``save_pretrained`` output).

    Raises:
        ConfigError: the path is missing, transformers/torch are not installed, or the files
            do not load as a causal language model and tokenizer.
    """

    live = True
    limits_upstream = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise ConfigError(f"--local-model {self.path}: no such directory")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ConfigError(
                f"--local-model needs the 'local' extra: pip install 'mockgpt[local]' ({exc})"
            ) from exc
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self.model: Any = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--local-model {self.path}: cannot load a model: {exc}") from exc
        self.model.eval()
        self._torch = torch
        self._lock = threading.Lock()

    def prompt_ids(self, ctx: Turn, choice: int) -> list[int]:
        """The prompt's token ids: the chat template over the messages, or the legacy prompt."""
        request = ctx.request
        if not isinstance(request, CreateCompletionRequest):
            messages = [{"role": m.role, "content": m.text} for m in ctx.messages]
            if getattr(self.tokenizer, "chat_template", None):
                ids = self.tokenizer.apply_chat_template(
                    messages, add_generation_prompt=True, tokenize=True
                )
                if isinstance(ids, dict) or hasattr(ids, "input_ids"):
                    ids = ids["input_ids"]
                return [int(i) for i in ids]
            text = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
        else:
            prompts = request.prompts
            text = prompts[min(choice // request.choice_count, len(prompts) - 1)]
        return [int(i) for i in self.tokenizer(text)["input_ids"]]

    def _generate(self, ids: list[int], ctx: Turn, streamer: Any, stop: Any) -> None:
        from transformers import StoppingCriteria, StoppingCriteriaList

        class _Stop(StoppingCriteria):  # type: ignore[misc]
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return bool(stop.is_set())

        limit = ctx.max_tokens
        temperature = ctx.temperature if ctx.temperature is not None else 1.0
        kwargs: dict[str, Any] = {
            "max_new_tokens": limit if limit is not None else 256,
            "do_sample": temperature > 0,
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id or 0,
        }
        if temperature > 0:
            kwargs["temperature"] = temperature
        with self._lock, self._torch.no_grad():
            if ctx.seed:
                self._torch.manual_seed(ctx.seed)
            tensor = self._torch.tensor([ids])
            output = self.model.generate(
                tensor, attention_mask=self._torch.ones_like(tensor), **kwargs
            )
        streamer.generated = int(output.shape[-1]) - len(ids)

    async def respond(self, ctx: Turn) -> AsyncIterator[Event]:
        """Generate each choice, streaming text as it comes; usage from the tokenizer."""
        from transformers import TextIteratorStreamer

        stops = ctx.stops
        limit = ctx.max_tokens
        prompt_tokens = completion_tokens = 0
        for choice in range(ctx.choices):
            ids = self.prompt_ids(ctx, choice)
            prompt_tokens += len(ids)
            streamer = TextIteratorStreamer(
                self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
            )
            stop = threading.Event()
            worker = threading.Thread(
                target=self._generate, args=(ids, ctx, streamer, stop), daemon=True
            )
            worker.start()
            text, sent, reason = "", 0, None
            try:
                while True:
                    piece = await anyio.to_thread.run_sync(next, streamer, _END)
                    if piece is _END:
                        break
                    text += str(piece)
                    cut = _stop_at(text, stops)
                    if cut >= 0:
                        if cut > sent:
                            yield TextDelta(text[sent:cut], choice)
                        reason = "stop"
                        stop.set()
                        break
                    if len(text) > sent:
                        yield TextDelta(text[sent:], choice)
                        sent = len(text)
            finally:
                stop.set()  # a client that went away stops the generation thread
                await anyio.to_thread.run_sync(worker.join)
            generated = int(getattr(streamer, "generated", 0))
            completion_tokens += generated
            if reason is None:
                reason = "length" if limit is not None and generated >= limit else "stop"
            yield Finish("stop" if reason == "stop" else "length", choice)
        yield Usage(prompt_tokens, completion_tokens)
