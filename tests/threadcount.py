"""A check shared by the tests of the experiments' `threads` context (`course_lib.train.threads`)."""
import torch


def assert_restores_the_thread_count(threads):
    """`threads(1)` runs its block on one thread and gives back the count it found: two, set here, since the
    suite itself runs one (conftest.py) and a count of one would be 'restored' by doing nothing."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
