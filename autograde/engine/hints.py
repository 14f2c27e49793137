"""Staged hints: how an exercise's hints are marked in a notebook, and how a release withholds the later stages.

Each stage is a `<details data-hint="STAGE">` block in the exercise's header cell, in the order a learner opens
them: the idea, then the shapes and the steps, then the code (`notebooks/src/author.py`'s `stages` writes them).
The header is a plain markdown cell, neither graded nor read-only: nbgrader keeps markdown as it is, records no
checksum of it and never restores it, so a release may drop a stage from it without touching what is graded
(`release --hints idea,shapes`, `drop`).
"""
import re

STAGES = ("idea", "shapes", "code")  # the order a learner opens them in; a release keeps the first ones
ALL = ",".join(STAGES)

# One stage's block: from its opening tag to the first `</details>` after it (a stage holds no nested block).
BLOCK = re.compile(r'<details data-hint="(?P<stage>[a-z]+)">.*?</details>', re.S)


def block(stage: str, title: str, body: str) -> str:
    """One hint stage as markdown: a `<details>` block marked with its stage, so that a release can find it."""
    if stage not in STAGES:
        raise ValueError(f"no hint stage {stage!r}; the stages are {ALL}")
    if "</details>" in body or "<details" in body:
        raise ValueError(f"the {stage} hint holds a <details> block of its own; write it as plain markdown")
    return f'<details data-hint="{stage}"><summary>{title}</summary>\n\n{body.strip()}\n\n</details>'


def stages_in(markdown: str) -> list[str]:
    """The hint stages of a cell's markdown, in the order they are written."""
    return [m["stage"] for m in BLOCK.finditer(markdown)]


def choice(text: str | None) -> tuple[str, ...]:
    """The stages a release keeps, from `--hints` ("idea,shapes"): the first one, two or three stages, in order
    (a learner opens them in that order, so a release cannot keep a later stage and withhold an earlier one)."""
    if text is None:
        return STAGES
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in chosen if part not in STAGES]
    if unknown:
        raise ValueError(f"no hint stage {', '.join(map(repr, unknown))}: the stages are {ALL}")
    if not chosen or chosen != STAGES[:len(chosen)]:
        raise ValueError(f"--hints keeps the first stages in order: idea, idea,shapes or {ALL} (not {text!r})")
    return chosen


def drop(markdown: str, keep=STAGES) -> str:
    """The markdown with every hint stage not in `keep` removed, with the blank lines around it."""
    if set(keep) >= set(STAGES):
        return markdown
    pattern = re.compile(r"(\n*)" + BLOCK.pattern, re.S)
    return pattern.sub(lambda m: "" if m["stage"] not in keep else m[0], markdown)


def drop_from_notebook(nb, keep=STAGES) -> int:
    """Drop the stages not in `keep` from every markdown cell of `nb` (an nbformat notebook, changed in place);
    return how many blocks were dropped. Refuses (ValueError) to withhold a stage from a notebook that still has a
    hint in one block (`<details>` with no stage), which may hold the code."""
    if set(keep) >= set(STAGES):
        return 0
    unstaged = [cell.source.split("\n", 1)[0] for cell in nb.cells
                if cell.cell_type == "markdown" and "<details>" in cell.source]
    if unstaged:
        raise ValueError(f"{len(unstaged)} hint(s) in one block, not in stages, which may hold the code (in "
                         f"{'; '.join(unstaged)}): write them as stages before releasing with fewer stages")
    dropped = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown" and 'data-hint="' in cell.source:
            before = len(stages_in(cell.source))
            cell.source = drop(cell.source, keep)
            dropped += before - len(stages_in(cell.source))
    return dropped
