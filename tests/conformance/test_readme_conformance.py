"""The README's conformance section: its servers file loads, and its profile table is the
profiles' data."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.profiles import PROFILES
from conformance.servers import load_servers

README = Path(__file__).resolve().parents[2] / "README.md"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    return text[start : text.index("\n### ", start + 1)]


def test_readme_servers_file_loads(tmp_path: Path) -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", _section("One matrix across servers"), re.S)
    path = tmp_path / "servers.yaml"
    path.write_text(block)
    servers = load_servers(path, environ={"LITELLM_MASTER_KEY": "sk-litellm"})
    assert [(s.name, s.profile) for s in servers] == [
        ("vllm", "inference"),
        ("litellm", "proxy"),
        ("mockgpt", "fixture-mock"),
    ]
    assert servers[1].api_key == "sk-litellm"


def test_readme_profile_table_names_every_profile_and_the_proxy_exemptions() -> None:
    section = _section("Profiles")
    for name in PROFILES:
        assert f"| `{name}`" in section
    for check_id in PROFILES["proxy"]:
        assert f"`{check_id}`" in section
