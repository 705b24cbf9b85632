"""The audit chain: tampering is found and named, checkpoints catch truncation and rewrites."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from types import SimpleNamespace

import orjson
import pytest

from gates.chain import (
    GENESIS,
    ChainedEvent,
    ChainHead,
    canonical_bytes,
    chain_next,
    event_hash,
    verify_chain,
)
from gates.checkpoints import (
    BAD_SIGNATURE,
    Checkpoint,
    CheckpointError,
    checkpoint_from_json,
    checkpoint_to_json,
    sign_checkpoint,
)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
KEY = b"checkpoint key kept outside the database"

Trail = list[ChainedEvent]


def body(n: int, action: str = "sign") -> bytes:
    return canonical_bytes({"action": action, "n": n, "project": "PRJ-7"})


def make_chain(count: int, action: str = "sign", after: ChainHead | None = None) -> Trail:
    """A fresh list of `count` sealed events (after `after`, or from the start of a trail)."""
    return list(_sealed(count, action, after))


@cache
def _sealed(count: int, action: str, after: ChainHead | None) -> tuple[ChainedEvent, ...]:
    events: Trail = []
    head = after
    for n in range(count):
        event = chain_next(head, body(n, action))
        events.append(event)
        head = event.head
    return tuple(events)


LONG = 25_000


def forged_after(event: ChainedEvent) -> ChainedEvent:
    return chain_next(event.head, body(0, "forged"))


# -- a good chain ------------------------------------------------------------------------------


def test_a_good_chain_verifies_and_reports_its_count_and_head() -> None:
    events = make_chain(50)

    result = verify_chain(events)

    assert result.ok
    assert result.problem is None
    assert result.checked == 50
    assert result.head == ChainHead(50, events[-1].hash)


def test_an_empty_chain_verifies_with_nothing_checked() -> None:
    result = verify_chain([])

    assert result.ok
    assert result.checked == 0
    assert result.head is None


def test_the_first_event_starts_at_one_and_links_to_genesis() -> None:
    first = chain_next(None, b"{}")

    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.hash == event_hash(1, GENESIS, b"{}")


def test_the_hash_seals_the_seq_the_link_and_the_body() -> None:
    sealed = event_hash(7, GENESIS, b"{}")

    assert len(sealed) == 64
    assert sealed != event_hash(8, GENESIS, b"{}")
    assert sealed != event_hash(7, "1" * 64, b"{}")
    assert sealed != event_hash(7, GENESIS, b"[]")


def test_a_chain_can_be_verified_from_database_rows_read_once() -> None:
    rows = (SimpleNamespace(**{f: getattr(e, f) for f in e.__slots__}) for e in make_chain(30))

    result = verify_chain(rows)

    assert result.ok
    assert result.checked == 30


def test_progress_is_reported_every_ten_thousand_events() -> None:
    seen: list[int] = []

    result = verify_chain(make_chain(LONG), progress=seen.append)

    assert result.ok
    assert seen == [10_000, 20_000]


# -- tampering: the first bad event is named ---------------------------------------------------


def modify(events: Trail, seq: int) -> Trail:
    events[seq - 1] = replace(events[seq - 1], body=body(999, "altered"))
    return events


def modify_and_reseal(events: Trail, seq: int) -> Trail:
    old = events[seq - 1]
    new_body = body(999, "altered")
    events[seq - 1] = replace(old, body=new_body, hash=event_hash(seq, old.prev_hash, new_body))
    return events


def delete(first: int, last: int) -> Callable[[Trail], Trail]:
    return lambda events: events[: first - 1] + events[last:]


def move(seq: int, before: int) -> Callable[[Trail], Trail]:
    def tamper(events: Trail) -> Trail:
        moved = events.pop(seq - 1)
        events.insert(before - 1, moved)
        return events

    return tamper


def insert_forged_after(seq: int) -> Callable[[Trail], Trail]:
    return lambda events: [*events[:seq], forged_after(events[seq - 1]), *events[seq:]]


def repeat(seq: int, after: int) -> Callable[[Trail], Trail]:
    return lambda events: [*events[:after], events[seq - 1], *events[after:]]


TAMPERING = [
    pytest.param(
        lambda events: modify(events, 41),
        41,
        "modified",
        "Event #41 was modified: its content no longer matches its recorded hash.",
        id="modified body",
    ),
    pytest.param(
        lambda events: modify(events, 1),
        1,
        "modified",
        "Event #1 was modified: its content no longer matches its recorded hash.",
        id="modified first event",
    ),
    pytest.param(
        lambda events: modify(events, 60),
        60,
        "modified",
        "Event #60 was modified: its content no longer matches its recorded hash.",
        id="modified last event",
    ),
    pytest.param(
        delete(42, 44),
        42,
        "missing",
        "Events #42 to #44 are missing: event #45 links to an event that is not in the trail.",
        id="deleted range",
    ),
    pytest.param(
        delete(42, 42),
        42,
        "missing",
        "Event #42 is missing: event #43 links to an event that is not in the trail.",
        id="deleted one",
    ),
    pytest.param(
        delete(1, 1),
        1,
        "missing",
        "Event #1 is missing: event #2 links to an event that is not in the trail.",
        id="deleted first",
    ),
    pytest.param(
        insert_forged_after(11),
        12,
        "inserted",
        "Event #12 was inserted: the next event, also #12, links past it to event #11.",
        id="forged event inserted",
    ),
    pytest.param(
        repeat(10, after=10),
        10,
        "inserted",
        "Event #10 appears twice: the second copy was inserted.",
        id="event copied",
    ),
    pytest.param(
        move(8, before=7),
        7,
        "reordered",
        "Event #7 is out of order: it appears after event #8.",
        id="two events swapped",
    ),
    pytest.param(
        move(9, before=7),
        7,
        "reordered",
        "Event #7 is out of order: it appears after event #9.",
        id="event moved earlier",
    ),
    pytest.param(
        move(5, before=10),
        5,
        "reordered",
        "Event #5 is out of order: it appears after event #6.",
        id="event moved later",
    ),
    pytest.param(
        repeat(5, after=9),
        5,
        "reordered",
        "Event #5 is out of order: it appears after event #9.",
        id="old event replayed",
    ),
    pytest.param(
        lambda events: modify_and_reseal(events, 20),
        21,
        "rewritten",
        "Event #21 does not link to event #20: "
        "an event was replaced, or the trail was rewritten from here on.",
        id="modified and resealed",
    ),
]


@pytest.mark.parametrize(("tamper", "seq", "kind", "message"), TAMPERING)
def test_tampering_is_named_at_the_first_bad_event(
    tamper: Callable[[Trail], Trail], seq: int, kind: str, message: str
) -> None:
    result = verify_chain(tamper(make_chain(60)))

    assert not result.ok
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (seq, kind)
    assert result.problem.message == message


def test_a_modified_event_is_named_as_the_first_bad_one_and_the_good_prefix_is_counted() -> None:
    events = modify(make_chain(60), 41)

    result = verify_chain(events)

    assert result.checked == 40
    assert result.head == events[39].head


def test_a_problem_far_into_a_long_trail_is_named_with_its_number() -> None:
    events = delete(12_000, 12_001)(make_chain(LONG))

    result = verify_chain(events)

    assert result.checked == 11_999
    assert result.problem is not None
    assert result.problem.message == (
        "Events #12,000 to #12,001 are missing: "
        "event #12,002 links to an event that is not in the trail."
    )


def test_a_chain_starting_from_another_link_is_refused() -> None:
    stranger = make_chain(3, after=ChainHead(0, "1" * 64))

    result = verify_chain(stranger)

    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (1, "rewritten")
    assert result.problem.message.startswith("Event #1 does not link to the start of the trail:")


def test_a_jump_in_numbering_with_an_intact_link_says_so() -> None:
    events = make_chain(5)
    jumped = chain_next(ChainHead(7, events[-1].hash), body(6))

    result = verify_chain([*events, jumped])

    assert result.problem is not None
    assert result.problem.message == (
        "Events #6 to #7 are missing: the numbering jumps from event #5 to event #8."
    )


# -- checkpoints -------------------------------------------------------------------------------


def checkpoint_of(events: Trail) -> Checkpoint:
    return sign_checkpoint(events[-1].head, NOW, KEY)


def test_a_truncated_trail_is_detected_against_a_checkpoint_but_not_without_one() -> None:
    events = make_chain(1_000)
    kept = events[:950]

    result = verify_chain(kept, checkpoint_of(events))

    assert verify_chain(kept).ok
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (951, "truncated")
    assert result.problem.message == (
        "The trail was truncated: the checkpoint of 2026-11-28T10:00:00Z "
        "saw 1,000 events, only 950 remain."
    )


def test_an_emptied_trail_is_detected_against_a_checkpoint() -> None:
    result = verify_chain([], checkpoint_of(make_chain(3)))

    assert result.problem is not None
    assert result.problem.message.endswith("saw 3 events, none remain.")


def test_a_rewritten_trail_is_detected_against_a_checkpoint_but_not_without_one() -> None:
    original = make_chain(1_000)
    rewritten = make_chain(1_000, action="rewritten")

    result = verify_chain(rewritten, checkpoint_of(original))

    assert verify_chain(rewritten).ok
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (1_000, "rewritten")
    assert result.problem.message == (
        "The trail was rewritten: event #1,000 no longer has the hash the checkpoint recorded."
    )


def test_a_truncated_trail_padded_back_to_its_length_is_detected_as_rewritten() -> None:
    events = make_chain(100)
    padded = events[:90] + make_chain(10, action="padding", after=events[89].head)

    result = verify_chain(padded, checkpoint_of(events))

    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (100, "rewritten")


@pytest.mark.parametrize("count", [1, 7, 9_999, 10_000, 10_001, 15_000])
def test_a_trail_that_grew_after_its_checkpoint_still_verifies(count: int) -> None:
    events = make_chain(LONG)[: count + 20]

    result = verify_chain(events, checkpoint_of(events[:count]))

    assert result.ok
    assert result.checked == count + 20


@pytest.mark.parametrize("count", [7, 15_000])
def test_a_rewrite_before_later_events_is_detected_at_the_checkpoint(count: int) -> None:
    checkpoint = checkpoint_of(make_chain(LONG)[:count])

    result = verify_chain(make_chain(LONG, action="rewritten")[: count + 20], checkpoint)

    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (count, "rewritten")


def test_a_checkpoint_survives_its_file() -> None:
    checkpoint = checkpoint_of(make_chain(5))

    assert checkpoint_from_json(checkpoint_to_json(checkpoint), KEY) == checkpoint


def test_a_checkpoint_is_stored_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    checkpoint = sign_checkpoint(ChainHead(1, GENESIS), NOW.astimezone(paris), KEY)

    assert checkpoint.created_at.tzinfo == UTC
    assert '"created_at": "2026-11-28T10:00:00Z"' in checkpoint_to_json(checkpoint)


def test_a_checkpoint_with_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        sign_checkpoint(ChainHead(1, GENESIS), datetime(2026, 11, 28, 10, 0), KEY)


def edited(text: str, **changes: object) -> str:
    return orjson.dumps({**orjson.loads(text), **changes}).decode()


def test_a_checkpoint_signed_with_another_key_is_refused() -> None:
    text = checkpoint_to_json(checkpoint_of(make_chain(5)))

    with pytest.raises(CheckpointError) as refused:
        checkpoint_from_json(text, b"another key")

    assert str(refused.value) == BAD_SIGNATURE


@pytest.mark.parametrize(
    "changes",
    [{"count": 4}, {"head_hash": "1" * 64}, {"created_at": "2026-11-29T10:00:00Z"}],
    ids=["count", "head_hash", "created_at"],
)
def test_an_altered_checkpoint_is_refused(changes: dict[str, object]) -> None:
    text = checkpoint_to_json(checkpoint_of(make_chain(5)))

    with pytest.raises(CheckpointError, match="signature does not match"):
        checkpoint_from_json(edited(text, **changes), KEY)


GOOD = checkpoint_to_json(sign_checkpoint(ChainHead(5, "a" * 64), NOW, KEY))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not valid JSON"),
        ("{count: 5", "not valid JSON"),
        ("[1, 2]", "must hold exactly"),
        (orjson.dumps({"count": 5}).decode(), "must hold exactly"),
        (edited(GOOD, extra=1), "must hold exactly"),
        (edited(GOOD, count="5"), "count must be a whole number"),
        (edited(GOOD, count=True), "count must be a whole number"),
        (edited(GOOD, count=0), "count must be a whole number"),
        (edited(GOOD, head_hash="abc"), "head_hash must be 64"),
        (edited(GOOD, head_hash="A" * 64), "head_hash must be 64"),
        (edited(GOOD, signature=None), "signature must be 64"),
        (edited(GOOD, created_at="2026-11-28T10:00:00"), "created_at must be a UTC time"),
        (edited(GOOD, created_at="yesterday"), "created_at must be a UTC time"),
        (edited(GOOD, created_at=1), "created_at must be a UTC time"),
    ],
)
def test_a_malformed_checkpoint_file_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        checkpoint_from_json(text, KEY)


# -- canonical bytes ---------------------------------------------------------------------------


def test_canonical_bytes_do_not_depend_on_key_order() -> None:
    one = {"b": 1, "a": {"y": [1, 2], "x": NOW}}
    other = {"a": {"x": NOW, "y": [1, 2]}, "b": 1}

    assert canonical_bytes(one) == canonical_bytes(other)
    assert canonical_bytes(one) == b'{"a":{"x":"2026-11-28T10:00:00Z","y":[1,2]},"b":1}'


def test_canonical_bytes_write_the_same_instant_the_same_way_in_any_zone() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))

    assert canonical_bytes({"at": tokyo}) == canonical_bytes({"at": NOW})


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("250000.10"), b'"250000.10"'),
        (NOW.replace(microsecond=5), b'"2026-11-28T10:00:00.000005Z"'),
        (NOW.date(), b'"2026-11-28"'),
    ],
    ids=["decimal", "microseconds", "date"],
)
def test_canonical_bytes_write_values_as_text(value: object, written: bytes) -> None:
    assert canonical_bytes({"v": value}) == b'{"v":' + written + b"}"


def test_canonical_bytes_take_no_more_memory_than_their_length() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [canonical_bytes({"n": n, "text": "x" * 290}) for n in range(100)]
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert len(kept) == 100
    assert used < 100 * 1_000  # orjson alone keeps a ~4 KB buffer behind each result


@pytest.mark.parametrize(
    "record",
    [{"at": datetime(2026, 11, 28, 10, 0)}, {"nested": [{"at": datetime(2026, 1, 1)}]}],
)
def test_canonical_bytes_refuse_a_naive_datetime(record: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="naive datetime in audit event: store UTC"):
        canonical_bytes(record)


def test_canonical_bytes_refuse_a_value_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        canonical_bytes({"what": object()})
