"""README's "Use from a frontend or end-to-end tests": its Playwright code is the example's.

Each ```` ```js ```` block whose first line is ``// examples/playwright/<file>`` must equal that
file, which ``.ci/run`` runs (``npx playwright test`` in ``examples/playwright``); the
screenshots it shows must be in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TITLE = "## Use from a frontend or end-to-end tests"
_FENCE = re.compile(r"^```js\n// (examples/playwright/\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.find(f"\n{TITLE}\n")
    assert start >= 0, f"README.md has no {TITLE!r} section"
    end = readme.find("\n## ", start + len(TITLE))
    return readme[start : end if end >= 0 else None]


def test_readme_frontend_code_is_the_examples_code() -> None:
    blocks = dict(_FENCE.findall(section()))

    assert set(blocks) >= {
        "examples/playwright/mockgpt.js",
        "examples/playwright/tests/chat.spec.js",
        "examples/playwright/playwright.config.js",
    }
    for path, code in blocks.items():
        assert code == (ROOT / path).read_text(encoding="utf-8"), f"README's {path} differs"


def test_readme_frontend_screenshots_are_in_the_repository() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", section())

    assert images == [
        "docs/inspector/list.png",
        "docs/inspector/exchange.png",
        "docs/inspector/playground.png",
    ]
    for image in images:
        assert (ROOT / image).read_bytes().startswith(b"\x89PNG"), image
