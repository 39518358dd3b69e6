"""Write docs/cli.md: the command line's reference, made from its argparse parsers.

    python scripts/make_cli_docs.py          # write docs/cli.md
    python scripts/make_cli_docs.py --check  # exit 1 when docs/cli.md differs (the suite runs this)

Every command's ``--help`` text goes in, so the reference cannot drift from the code. The
overview at the top is ``docs/cli-overview.md`` (hand-written: exit codes, progress, Ray).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "docs" / "cli.md"


def _walk(parser: argparse.ArgumentParser, path: list[str]):
    yield path, parser
    for action in parser._actions:  # argparse keeps sub-commands here; no public accessor exists
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, [*path, name])


def reference() -> str:
    from core.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps at the terminal's width: fix it
    parser = build_parser()
    parts = ["# Command line\n",
             "<!-- made by scripts/make_cli_docs.py from the parsers; edit docs/cli-overview.md or the "
             "parsers' help texts, not this file -->\n",
             (ROOT / "docs" / "cli-overview.md").read_text(encoding="utf-8").strip() + "\n",
             "## Every command\n"]
    for path, sub in _walk(parser, ["python -m core"]):
        title = " ".join(path)
        parts.append(f"### `{title}`\n\n```text\n{sub.format_help().rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> int:
    text = reference()
    if "--check" in sys.argv:
        if not TARGET.is_file() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run python scripts/make_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    tmp = TARGET.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(TARGET)
    print(f"wrote {TARGET} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
