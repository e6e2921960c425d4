"""``respond.embedding`` in scenario files: ``mockgpt validate`` names file, line and field of
each error, and ``mockgpt schema`` describes the field (both run as a user runs them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

GOOD = """\
name: rag
stubs:
  - match: {endpoint: embeddings}
    respond:
      embedding:
        vectors: {"the cat sat": [0.6, 0.8, 0.0]}
        keys:
          cats: {regex: "\\\\b(cat|kitten)s?\\\\b", ignore_case: true}
          dogs: [dog, {equals: puppy}]
        key: other
  - match: {model: fixed}
    respond:
      embedding: {vectors: [[1, 0], [0, 1]]}
"""

BAD = """\
stubs:
  - respond:
      embedding:
        vectors:
          "text a": [1, "x"]
  - respond:
      embedding:
        vectors: [[1, 2], [3]]
  - respond:
      embedding:
        keys:
          cats: {regex: "("}
  - respond:
      embedding: {vectors: [[1e39]]}
  - respond:
      embedding: {vectors: [[1]], key: x}
  - respond:
      embedding: {}
  - respond:
      embedding: {keyz: cats}
  - respond:
      error: {status: 500}
      embedding: {key: cats}
"""


def _mockgpt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockgpt", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedding_script_validate_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")

    result = _mockgpt("validate", str(bad), str(good))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:5: stubs[0].respond.embedding.vectors.text a[1]: Input should be a valid "
        "number, unable to parse string as a number",
        f"{bad}:8: stubs[1].respond.embedding.vectors: vectors must all have the same length, "
        "got lengths [1, 2]",
        f"{bad}:12: stubs[2].respond.embedding.keys.cats.regex: invalid regex '(': missing ) "
        "at position 1",
        f"{bad}:14: stubs[3].respond.embedding.vectors[0][0]: must be a finite number a "
        "float32 can hold, got 1e+39",
        f"{bad}:16: stubs[4].respond.embedding: a list of vectors answers every input: keys "
        "and key never apply",
        f"{bad}:18: stubs[5].respond.embedding: give at least one of vectors, keys, key",
        f"{bad}:20: stubs[6].respond.embedding.keyz: unknown field (see `mockgpt schema` for "
        "the format)",
        f"{bad}:21: stubs[7].respond: an error answer cannot also have content, tool_calls, "
        "refusal, json or embedding",
    ]
    assert _mockgpt("validate", str(good)).returncode == 0


def test_embedding_script_is_in_the_printed_schema() -> None:
    result = _mockgpt("schema")
    schema: dict[str, Any] = json.loads(result.stdout)
    validator = jsonschema.Draft202012Validator(schema)
    bad = yaml.safe_load(BAD)

    assert result.returncode == 0
    assert "embedding" in schema["$defs"]["Respond"]["properties"]
    assert set(schema["$defs"]["EmbeddingScript"]["properties"]) == {"vectors", "keys", "key"}
    validator.validate(yaml.safe_load(GOOD))
    assert not validator.is_valid({"stubs": [bad["stubs"][0]]})  # a string in a vector
    assert not validator.is_valid({"stubs": [bad["stubs"][6]]})  # an unknown field
