"""``python -m mockgpt``: the same as the ``mockgpt`` command."""

from mockgpt.cli import main

if __name__ == "__main__":
    main()
