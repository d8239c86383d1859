"""Write a benchmark's ``## `` sections into its results file, keeping the file's title.

Each script writes its own file, ``benchmarks/results/SCRIPT.md``; what is written by
hand (how the numbers came about) is ``benchmarks/RESULTS.md``, which no script writes.
"""

from __future__ import annotations

from pathlib import Path


def _sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``## `` heading, and each section as (heading, body)."""
    preamble, sections = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            sections.append([line, ""])
        elif sections:
            sections[-1][1] += line
        else:
            preamble.append(line)
    return "".join(preamble), [(heading, body) for heading, body in sections]


def write_sections(path: Path, block: str) -> None:
    """Replace in ``path`` each ``## `` section that ``block`` has (matched by its heading
    line), append those it lacks, keep every other section; text in ``block`` before its
    first heading replaces the file's."""
    old_preamble, old = _sections(path.read_text() if path.exists() else "")
    new_preamble, new = _sections(block)
    replacing = dict(new)
    merged = [(heading, replacing.pop(heading, body)) for heading, body in old]
    merged += [(heading, body) for heading, body in new if heading in replacing]
    parts = [new_preamble or old_preamble]
    for heading, body in merged:
        if parts[-1] and not parts[-1].endswith("\n\n"):
            parts[-1] = parts[-1].rstrip("\n") + "\n\n"
        parts.append(heading + body)
    path.write_text("".join(parts).rstrip("\n") + "\n")
