"""The names the course derives from an exercise's name, in one place for the checks and for the grader, whose main
process reads them without importing torch: `snake_case("MultiHeadAttention")` is `multi_head_attention`, the stem
of its check (`check_multi_head_attention`) and of its graded cells' ids (`test_multi_head_attention`)."""
import re


def snake_case(name: str) -> str:
    """`MultiHeadAttention` -> `multi_head_attention`, `GPT` -> `gpt`; snake-case names pass through."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)  # an acronym before a word: GPTBlock -> GPT_Block
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
