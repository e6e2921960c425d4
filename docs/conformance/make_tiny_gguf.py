"""A tiny random-weight llama GGUF (byte-level BPE, ChatML template), built offline.

Usage (in a venv with ``llama-cpp-python[server]`` and ``gguf``)::

    python docs/conformance/make_tiny_gguf.py tiny.gguf
    python -m llama_cpp.server --model tiny.gguf --model_alias tiny-llama --port 8080

Its answers are noise, but the conformance checks do not depend on what the model says.
"""

from __future__ import annotations

import sys

import gguf  # type: ignore[import-not-found]
import numpy as np

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + (message['content'] or '') + '<|im_end|>\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: one printable character per byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars, strict=True)}


def main(out: str) -> None:
    """Write the model to ``out``."""
    rng = np.random.default_rng(0)
    alphabet = bytes_to_unicode()
    tokens = [alphabet[b] for b in range(256)]
    merges = []
    for left, right in [("Ġ", "t"), ("h", "e"), ("Ġ", "a"), ("i", "n")]:
        merges.append(f"{left} {right}")
        tokens.append(left + right)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.NORMAL] * len(tokens) + [gguf.TokenType.CONTROL] * len(specials)
    tokens += specials
    n_vocab, n_embd, n_ff, n_layer, n_head = len(tokens), 64, 128, 2, 4

    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name("tiny-random-llama")
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def random(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    def ones(name: str) -> None:
        writer.add_tensor(name, np.ones(n_embd, np.float32))

    random("token_embd.weight", n_vocab, n_embd)
    ones("output_norm.weight")
    random("output.weight", n_vocab, n_embd)
    for i in range(n_layer):
        ones(f"blk.{i}.attn_norm.weight")
        ones(f"blk.{i}.ffn_norm.weight")
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            random(f"blk.{i}.{name}.weight", n_embd, n_embd)
        random(f"blk.{i}.ffn_gate.weight", n_ff, n_embd)
        random(f"blk.{i}.ffn_up.weight", n_ff, n_embd)
        random(f"blk.{i}.ffn_down.weight", n_embd, n_ff)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {out}: {n_vocab} tokens")


if __name__ == "__main__":
    main(sys.argv[1])
