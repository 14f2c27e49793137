"""A small seeded grammar of English sentences: notebook 09's training text, generated, not downloaded.

Every sentence is `the [adjective] noun verb the [adjective] noun [adverb] .`, with the verb agreeing in
number with its subject ("the cat sees", "the cats see"). The vocabulary is a few dozen words, so a tiny
character-level model can learn to spell them, put them in order and make the verb agree in about a
minute of CPU training; `is_sentence` tells whether a generated line follows the grammar. The text is
written by this module, so there is no licence to name beyond the course's own.
"""
import random

NOUNS = ["cat", "dog", "bird", "fox", "child", "robot", "farmer", "teacher"]
PLURAL = {"child": "children", "fox": "foxes"}  # the others add an s
VERBS = ["see", "chase", "like", "help", "follow", "watch"]  # the plural form: "the cats see"
ADJECTIVES = ["small", "red", "old", "happy", "quiet", "clever"]
ADVERBS = ["today", "again", "slowly", "often"]


def plural(noun):
    """The plural of a noun of this grammar."""
    return PLURAL.get(noun, noun + "s")


def singular(verb):
    """The form of a verb after a singular subject: "the cat sees", "the cat watches"."""
    return verb + ("es" if verb.endswith(("ch", "sh", "x")) else "s")


def sentence(rng):
    """One random sentence of the grammar, ending with ' .'."""

    def noun_phrase():
        noun, many = rng.choice(NOUNS), rng.random() < 0.4
        words = ["the"] + ([rng.choice(ADJECTIVES)] if rng.random() < 0.5 else [])
        return words + [plural(noun) if many else noun], many

    subject, many = noun_phrase()
    verb = rng.choice(VERBS)
    verb = verb if many else singular(verb)
    obj, _ = noun_phrase()
    tail = [rng.choice(ADVERBS)] if rng.random() < 0.3 else []
    return " ".join(subject + [verb] + obj + tail + ["."])


def text(n_sentences=4000, seed=0):
    """n_sentences sentences of the grammar, one per line, the same for the same seed."""
    rng = random.Random(seed)
    return "\n".join(sentence(rng) for _ in range(n_sentences)) + "\n"


def is_sentence(line):
    """Whether a line follows the grammar, the verb agreeing with its subject."""
    words = line.split()
    singular_nouns, plural_nouns = set(NOUNS), {plural(n) for n in NOUNS}

    def noun_phrase(i):  # (index after the phrase, plural?) or None
        if i >= len(words) or words[i] != "the":
            return None
        i += 1 + (i + 1 < len(words) and words[i + 1] in ADJECTIVES)
        if i < len(words) and words[i] in singular_nouns | plural_nouns:
            return i + 1, words[i] in plural_nouns
        return None

    subject = noun_phrase(0)
    if subject is None or subject[0] >= len(words):
        return False
    i, many = subject
    verb = words[i]
    if verb not in (VERBS if many else [singular(v) for v in VERBS]):
        return False
    obj = noun_phrase(i + 1)
    if obj is None:
        return False
    rest = words[obj[0]:]
    return rest == ["."] or (len(rest) == 2 and rest[0] in ADVERBS and rest[1] == ".")
