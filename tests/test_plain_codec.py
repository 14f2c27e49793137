"""One codec for plain data (course_lib/checks/_plain.py): the grader's worker sends its answers with it as JSON, the
student environment's recordings are saved with it by torch.save; both rebuild only plain data."""
import json

import pytest
import torch

from course_lib.checks import _recorded, _trusted
from course_lib.checks._plain import Codec, RebuiltError

VALUE = {"x": torch.arange(6.0).reshape(2, 3), "n": [1, 2.5, None, True, "s"], ("k", 1): (torch.zeros(0, 2),)}


def same(a, b):
    if isinstance(a, torch.Tensor):
        return type(b) is torch.Tensor and a.dtype == b.dtype and torch.equal(a, b)  # the codec copies bytes: exact
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_both_forms_give_back_what_was_sent(tmp_path):
    wire = json.loads(json.dumps(_trusted.encode(VALUE)))  # tensors as bytes, through JSON
    assert same(_trusted.decode(wire), VALUE)
    torch.save(_recorded.encode(VALUE), tmp_path / "value.pt")  # tensors as tensors, through torch.save
    assert same(_recorded.decode(torch.load(tmp_path / "value.pt", weights_only=True)), VALUE)


def test_an_error_comes_back_as_its_builtin_or_as_a_stand_in_of_its_name():
    error = _trusted.decode(json.loads(json.dumps(_trusted.encode(KeyError("q")))))
    assert type(error) is KeyError and str(error) == str(KeyError("q"))
    forged = {"t": "error", "module": "builtins", "type": "SystemExit", "args": [0], "message": ""}
    assert isinstance(_trusted.decode(forged), RebuiltError), "never an exception that stops the grader"


@pytest.mark.parametrize("data", [[1], {"t": "tensor", "dtype": "float32", "shape": [2], "data": "AAAA"},
                                  {"t": "pickle", "v": "..."}, {"t": "py", "v": [1]}])
def test_the_grader_refuses_what_is_not_plain_data(data):
    with pytest.raises(ValueError):
        _trusted.decode(data)


def test_nesting_is_bounded_on_the_wire():
    deep = []
    for _ in range(_trusted.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(ValueError):
        _trusted.encode(deep)
    assert Codec().decode(Codec().encode(deep)) == deep  # a recording is not bounded
