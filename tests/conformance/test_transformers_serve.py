"""The suite against a real server: ``transformers serve`` with a tiny model the test builds.

Skipped unless transformers, torch and the ``serving`` extra's FastAPI are installed (CI's
local-model environment). The model is a random one-layer Llama with a byte-level BPE
tokenizer trained on a few sentences: nothing is downloaded, and its answers are noise, which
is the point: no check may depend on what a model says.

Every failure is a known, real departure of ``transformers serve`` (the table below, each with
its rule), and nothing else fails: a new failure is either a false failure of the suite or a
new departure of the server, to classify before changing the table.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import Report, run_suite
from conformance.context import Settings

pytestmark = pytest.mark.timeout(600)

KNOWN_DEFECTS = {
    "chat.stop.sequence": "the returned text ends with the stop sequence (it must not contain it)",
    "chat.n.choices": "`n: 2` is accepted and answered with one choice",
    "chat.stream.done-sentinel": "streams end without `data: [DONE]`",
    "tools.choice-required": "`tool_choice: required` is accepted, and the answer is text",
    "tools.choice-named": "a named `tool_choice` is accepted, and the answer is text",
    "logprobs.shape": "`logprobs: true` is accepted and answered with `logprobs: null`",
    "errors.envelope": 'errors are FastAPI\'s `{"detail": ...}`, not the `error` envelope',
    "properties.chat.invalid-requests": "out-of-range parameters (`top_p: 1.5`) get a 200",
    "responses.function-call": 'Responses `tool_choice: "required"` is answered with text',
    "responses.incomplete": "an answer `max_output_tokens` cut is `completed`",
    "responses.previous-response-id": "`previous_response_id` is accepted, the Response says null",
    "responses.text-format": "`text.format` json_schema is accepted and answered with prose",
    "responses.background.lifecycle": "`background: true` is answered `completed` at once",
}
"""Check id -> the departure of ``transformers serve`` (5.x) it reports."""

BLOCKED_BY = {
    "models.retrieve-unknown": "errors.envelope",
    "errors.field-types": "errors.envelope",
    "errors.bad-request": "errors.envelope",
    "errors.stream-invalid-request": "errors.envelope",
    "logprobs.top-logprobs-limit": "logprobs.shape",
    "tools.call-shape": "tools.choice-required",
    "tools.arguments-json": "tools.choice-required",
    "tools.finish-reason": "tools.choice-required",
    "tools.parallel": "tools.choice-required",
    "tools.stream.index": "tools.choice-required",
    "tools.stream.call-id": "tools.choice-required",
    "tools.stream.function-name": "tools.choice-required",
    "responses.function-call-output": "responses.function-call",
}
"""Checks whose own departure is the one their owner reports (the same root cause)."""


def _require_serving() -> None:
    for module in ("torch", "transformers", "fastapi", "tokenizers"):
        pytest.importorskip(module, reason=f"transformers serve needs {module}")


def build_tiny_model(target: Path) -> None:
    """A random one-layer Llama and a byte-level BPE tokenizer with a chat template."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    corpus = [
        "Say hello in one short sentence.",
        "The weather in Paris is sunny.",
        "one two three four five six seven eight nine ten",
        "alpha bravo charlie delta echo foxtrot golf hotel",
    ] * 20
    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "</s>", "<pad>", "<|user|>", "<|assistant|>", "<|system|>"]
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=1, special_tokens=specials)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>"
        "{{ m['content'] if m['content'] is string else '' }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def transformers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(base URL, model id)`` of ``transformers serve`` with the tiny model, on 127.0.0.1."""
    _require_serving()
    model = tmp_path_factory.mktemp("tiny") / "model"
    build_tiny_model(model)
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("transformers")),
        "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
        "--device", "cpu", "--log-level", "warning",
    ]  # fmt: skip
    log = model.parent / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"transformers serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base_url, str(model)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def transformers_report(transformers_server: tuple[str, str]) -> Report:
    base_url, model = transformers_server
    settings = Settings(
        base_url=base_url,
        model=model,
        timeout_s=30,
        stream_timeout_s=60,
        property_examples=5,
    )
    return run_suite(settings)


def _outcomes(report: Report, outcome: str) -> dict[str, Any]:
    return {r["check_id"]: r for r in report.by_outcome(outcome)}


def test_transformers_serve_known_defects_fail_and_nothing_else_does(
    transformers_report: Report,
) -> None:
    failed = _outcomes(transformers_report, "failed")
    unexpected = {k: v["violation"] for k, v in failed.items() if k not in KNOWN_DEFECTS}
    missing = sorted(set(KNOWN_DEFECTS) - set(failed))
    assert not unexpected, f"failures to classify (false, or new departures): {unexpected}"
    assert not missing, f"known departures no longer reported: {missing}"


def test_transformers_serve_blocks_name_the_true_cause(transformers_report: Report) -> None:
    blocked = {k: v["blocked_by"] for k, v in _outcomes(transformers_report, "blocked").items()}
    assert blocked == BLOCKED_BY


def test_transformers_serve_stop_word_comes_from_its_own_answer(
    transformers_report: Report,
) -> None:
    """The tiny model never says "delta": a fixed stop word would have passed."""
    (record,) = [r for r in transformers_report.records if r["check_id"] == "chat.stop.sequence"]
    assert "(taken from the answer without stop)" in record["violation"]["expected"]
    assert "delta" not in record["violation"]["expected"]
