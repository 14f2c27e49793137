"""The shipped text: small, plain, and its source and licence written beside it (course_lib/text/SHAKESPEARE.md)."""

import os

from course_lib import text


def test_the_text_is_small_plain_and_whole():
    data = open(text.SHAKESPEARE, "rb").read()
    assert 400_000 < len(data) <= 1_000_000  # "at most about 1 MB"
    body = data.decode("ascii")  # plain ASCII: one character, one byte
    assert "\r" not in body and len(set(body)) == 73
    assert text.shakespeare() == body
    for first_line in ("THE SONNETS", "MACBETH", "ROMEO AND JULIET", "HAMLET, PRINCE OF DENMARK"):
        assert f"\n{first_line}\n" in "\n" + body, first_line
    assert "Gutenberg" not in body and "gutenberg" not in body  # no licence boilerplate left


def test_the_note_names_the_file_its_source_and_licence():
    note = open(os.path.join(text.HERE, "SHAKESPEARE.md"), encoding="utf-8").read()
    data = open(text.SHAKESPEARE, "rb").read()
    assert f"{len(data):,} bytes" in note
    for needle in ("public domain", "Project Gutenberg", "shakespeare` 0.6", "Creative Commons Attribution 2.5",
                   "What was removed"):
        assert needle in note, needle
    # each work's file is named with its Gutenberg address
    assert note.count("http://www.gutenberg.org/dirs/") == 4


def test_the_package_ships_the_text():
    toml = open(os.path.join(os.path.dirname(text.HERE), "..", "pyproject.toml"), encoding="utf-8").read()
    assert '"text/*.txt"' in toml and '"text/*.md"' in toml
