"""The rebuild's read-ahead, without a database: the same pages in the same order as reading
inline, a reader's error raised after the pages before it, and no reader left running; and
the cycle collector paused while it folds."""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Iterator

import pytest

from orderledger.projections.pages import Page, PagesAhead, cycles_left_for_later, pages_ahead


def numbered(count: int | None, produced: list[int] | None = None) -> Iterator[Page]:
    """Pages of 10 notifications each, `count` of them (None: without end)."""
    for i in itertools.count(1) if count is None else range(1, count + 1):
        if produced is not None:
            produced.append(i)
        yield Page(10, 10 * i, [(10 * i, f"id-{i}", f"event {i}")])


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "rebuild-reader"]


@pytest.mark.parametrize("depth", [0, 1, 2, 5])
def test_pages_read_ahead_come_in_the_order_they_were_read(depth: int) -> None:
    with pages_ahead(numbered(7), depth) as pages:
        taken = list(pages)
    assert taken == list(numbered(7))
    assert readers() == []


def test_an_error_while_reading_is_raised_after_the_pages_read_before_it() -> None:
    def failing() -> Iterator[Page]:
        yield from numbered(3)
        raise OSError("the disk is gone")

    taken: list[int] = []
    with pytest.raises(OSError, match="the disk is gone"), PagesAhead(failing(), 2) as pages:
        for page in pages:
            taken.append(page.last)
    assert taken == [10, 20, 30]
    assert readers() == []


def test_leaving_early_stops_the_reader_within_a_few_pages() -> None:
    produced: list[int] = []
    with PagesAhead(numbered(None, produced), 2) as pages:
        for page in pages:
            if page.last == 20:
                break
    assert readers() == []
    # two taken, two waiting in the queue, one the reader was holding when told to stop
    assert len(produced) <= 5


def test_an_error_in_the_consumer_stops_the_reader() -> None:
    with pytest.raises(RuntimeError, match="fold failed"), PagesAhead(numbered(None), 2) as pages:
        for _ in pages:
            raise RuntimeError("fold failed")
    assert readers() == []


def test_the_cycle_collector_is_paused_while_a_rebuild_folds_and_resumes_as_it_was() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycles_left_for_later():
        assert not gc.isenabled()
        raise RuntimeError("interrupted")
    assert gc.isenabled()
    gc.disable()
    try:
        with cycles_left_for_later():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
