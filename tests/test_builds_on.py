"""Which exercise builds on which is read from the checks (`course_lib.checks.framework.builds_on`), not kept by hand
in the grader: it says what the grader's hand-kept table said (issue 29, "knowledge written twice")."""
from autograde.engine import results
from course_lib.checks import EXERCISES
from course_lib.checks.framework import builds_on

# autograde/engine/results.py's BUILDS_ON as it was kept by hand, before it was read from the checks.
HAND_KEPT = {
    "rnn_forward": ("rnn_cell",),
    "scaled_dot_product_attention": ("softmax",),
    "MultiHeadAttention": ("split_heads", "merge_heads", "scaled_dot_product_attention"),
    "EncoderLayer": ("layer_norm", "FeedForward"),
    "Transformer": ("DecoderLayer",),
    "GPT": ("CausalSelfAttention",),
    "generate": ("sample_next_token",),
    "train_step": ("language_model_loss",),
}


def test_what_the_checks_find_is_the_hand_kept_table_within_each_notebook():
    """The table said "within one notebook": a failure counts under a piece that fails in the same submission. Its
    one piece of another notebook, scaled_dot_product_attention under MultiHeadAttention, was never read: notebook
    04 hands it out, so no submission of 04 has a verdict of it."""
    within = {name: tuple(p for p in pieces if EXERCISES[p].topic == EXERCISES[name].topic)
              for name, pieces in HAND_KEPT.items()}
    assert within["MultiHeadAttention"] == ("split_heads", "merge_heads")  # only that piece left out
    assert builds_on() == within


def test_the_grader_reads_the_checks_table():
    assert results.builds_on() == builds_on()
