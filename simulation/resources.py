"""Land and energy as SimPy containers that keep a ledger.

The container's level is what is free; requests wait in SimPy's FIFO queue (a request at the
head that cannot be met blocks those behind it, as a first-come-first-served allocation does).
Every grant and release is written to the ledger with its reason, so that conservation can be
checked: ``committed + clearing + free == total`` for land, and ``committed + free == cap`` for
energy quota. ``committed`` is ``held`` (granted and booked) plus what the queue has served and its
claimant books one event later; ``clearing`` is land freed by exits and remediation that is being
taken back, cleared and readied before it can be granted again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import is_not

import numpy as np
import simpy
from simpy.events import NORMAL


def left_fold(start: float, values: np.ndarray) -> float:
    """``start`` plus each of ``values`` in turn, as one ``+=`` each would add them (numpy's
    ``add.accumulate`` adds one after another; its ``sum`` adds pairwise and rounds differently)."""
    return float(np.add.accumulate(np.concatenate(([start], values)))[-1])


def covered_run(level: float, amounts: np.ndarray) -> tuple[int, np.ndarray]:
    """How many of ``amounts`` a free stock of ``level`` covers one after another, up to the first it
    does not cover, and the stock after each (``levels[k]`` once the first ``k`` are taken).

    The running difference (``np.subtract.accumulate``) is the same left fold as subtracting one by
    one, and ``level < amount`` exactly when ``level - amount < 0``; an amount of 0.0 leaves the
    stock as it was."""
    levels = np.subtract.accumulate(np.concatenate(([level], amounts)))
    short = (levels[1:] < 0).nonzero()[0]
    return (int(short[0]) if len(short) else len(amounts)), levels


@dataclass
class Ledger:
    """Rows of (time in months, event, amount, reason), kept flat: the four cells of each row one
    after another in ``cells``. A city's run books ~10^4 rows; as tuples each would be an object for
    the cycle collector to walk when the run ends (a tenth of a millisecond a thousand rows), and a
    table built from them splits them again."""

    cells: list = field(default_factory=list)

    def record(self, time: float, event: str, amount: float, reason: str) -> None:
        if amount:
            self.cells += (float(time), event, float(amount), reason)

    def extend(self, rows: Iterable[tuple[float, str, float, str]]) -> None:
        """Add ``rows`` as they are (no row left out for an amount of 0: the caller's choice)."""
        self.cells.extend(chain.from_iterable(rows))

    def record_run(self, time: float, event: str, amounts: list[float], reason: str) -> None:
        """:meth:`record` of each of ``amounts`` in turn, at one time for one event and reason."""
        self.extend(zip(repeat(time), repeat(event), filter(None, amounts), repeat(reason)))

    @property
    def rows(self) -> list[tuple[float, str, float, str]]:
        return list(zip(*self.columns()))

    def columns(self) -> tuple[list, list, list, list]:
        """Times, events, amounts and reasons, each a list in the order booked."""
        cells = self.cells
        return cells[0::4], cells[1::4], cells[2::4], cells[3::4]


class RequestBlock:
    """Quiet requests of one kind filed together, waiting in a pool's queue as one block of slots.

    The queue serves them as it would serve each as a :class:`QuietRequest` standing in its place
    (first come, first served, by ``amounts[i]``), a run at a time: a served run is handed to
    :meth:`served` as ``(block, start, stop)`` (requests ``start`` to ``stop - 1``), sharing one
    event with the quiet requests of the same kind served next to it. Requests leave only from the
    block's front: served, or withdrawn with :meth:`RequestQueue.withdraw_front`.
    """

    __slots__ = ("amounts", "next")

    def __init__(self, amounts: np.ndarray):
        self.amounts = amounts  # in filing order
        self.next = 0  # requests [0, next) have left the queue; the rest wait in it, in order

    @classmethod
    def served(cls, runs: list) -> None:
        """Runs of blocks of this kind served together, when their shared event is processed."""


class RequestQueue:
    """SimPy's get queue of a pool: first come, first served, with the waiting total at hand.

    SimPy appends at the tail, serves from the head and withdraws anywhere; a list does the last
    two by shifting or scanning every waiting request, which made a city-sized year quadratic in
    its queue of expansion claims. Here a request leaves by leaving a hole (found by a table of
    positions), holes at the head are skipped, and the slots are compacted once mostly empty.

    :meth:`total` is the waiting amounts added left to right in queue order (the float that
    Python 3.11's ``sum`` over the requests gave; a hole adds 0.0, which changes no sum of
    positive amounts). It is kept up to date on arrivals, and added up afresh after a departure
    with ``np.add.accumulate`` over an array of the amounts (the same left fold, several times
    faster than ``sum`` over a list; numpy's ``sum`` adds pairwise and would round differently).

    Between those, :meth:`total_bounds` brackets the total without adding up the queue: a running
    total (amounts added on arrival, subtracted on departure) and a bound on how far it can be from
    the left fold, from the number of roundings in either and the largest the sum has been.
    """

    def __init__(self) -> None:
        self._items: list = []  # requests in arrival order; None where one has left
        self._amounts = np.zeros(64)  # their amounts in the first len(_items) slots; 0.0 where one has left
        self._where: dict[int, int] = {}  # id(request) -> slot
        self._head = 0  # first slot that may hold a request
        self._count = 0
        self._total: float | None = 0.0
        self._running = 0.0  # amounts added and subtracted as they come and go
        self._mass = 0.0  # at least every sum of waiting amounts since the last exact total
        self._roundings = 0  # additions and subtractions in the running total since then
        self._folded = 0  # slots in the last exact total

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self):
        return (r for r in self._items[self._head:] if r is not None)  # a block once per waiting request

    def waiting_amounts(self) -> list[float]:
        """The amounts of the waiting requests, in queue order."""
        live = [slot for slot in range(self._head, len(self._items)) if self._items[slot] is not None]
        return self._amounts[live].tolist()

    def __getitem__(self, index: int):
        if index == 0 and self._count:
            return self._items[self._head]
        return list(self)[index]

    def append(self, request) -> None:
        slot = len(self._items)
        if slot == len(self._amounts):
            self._amounts = np.concatenate((self._amounts, np.zeros(slot)))
        self._where[id(request)] = slot
        self._items.append(request)
        self._amounts[slot] = request.amount
        self._count += 1
        if self._total is not None:
            self._total += request.amount
        self._running += request.amount
        self._mass += abs(request.amount)
        self._roundings += 1

    def extend(self, requests: Sequence, amounts: np.ndarray) -> None:
        """:meth:`append` each of ``requests`` (whose amounts are ``amounts``), in one step."""
        start = len(self._items)
        self._add_slots(requests, amounts)
        self._where.update(zip(map(id, requests), range(start, len(self._items))))

    def extend_block(self, block: RequestBlock) -> None:
        """Queue the waiting requests of ``block`` (from ``block.next``): one slot each, as
        :meth:`extend` with a request per slot would."""
        amounts = block.amounts[block.next:]
        self._add_slots([block] * len(amounts), amounts)

    def _add_slots(self, items: Sequence, amounts: np.ndarray) -> None:
        start, end = len(self._items), len(self._items) + len(items)
        if end > len(self._amounts):
            self._amounts = np.concatenate((self._amounts, np.zeros(max(end, 2 * len(self._amounts)))))
        self._items.extend(items)
        self._amounts[start:end] = amounts
        self._count += len(items)
        if self._total is not None and len(items):  # the same left fold as one += per request
            self._total = left_fold(self._total, amounts)
        if len(items):
            self._running += float(amounts.sum())  # pairwise: fewer roundings than counted here
            self._mass += float(np.abs(amounts).sum())
            self._roundings += len(items)

    def head_amount(self) -> float:
        """The amount the first waiting request asks for (the queue must not be empty)."""
        return float(self._amounts[self._head])

    def pop(self, index: int = 0):
        request = self[index]
        self.remove(request)
        return request

    def remove(self, request) -> None:
        try:
            slot = self._where.pop(id(request))
        except KeyError:
            raise ValueError("request not in the queue") from None
        self._items[slot] = None
        self._running -= float(self._amounts[slot])
        self._roundings += 1
        self._amounts[slot] = 0.0
        self._count -= 1
        self._total = None
        self._after_removal()

    def serve_from_head(self, level: float, window: int = 16) -> tuple[list, float, bool]:
        """Take out the requests from the head that a free stock of ``level`` serves one after
        another, stopping at the first it does not cover or after ``window`` slots; returns them
        in queue order, the stock left, and whether a request was left uncovered (by
        :func:`covered_run`; a hole's 0.0 leaves the stock as it was).
        """
        start = self._head
        if not self._count or level < self._amounts[start]:  # most passes: the head still waits
            return [], level, bool(self._count)
        end = min(len(self._items), start + window)
        covered, levels = covered_run(level, self._amounts[start:end])
        stop = start + covered
        if stop == start:
            return [], level, True
        served = self._take_out(start, stop)
        self._items[start:stop] = [None] * (stop - start)
        self._running -= float(self._amounts[start:stop].sum())
        self._roundings += stop - start
        self._amounts[start:stop] = 0.0
        self._total = None
        self._head = stop
        self._after_removal()
        return served, float(levels[covered]), stop < end

    def _take_out(self, start: int, stop: int) -> list:
        """The requests in slots ``start`` to ``stop - 1``, in order, a block's as one run
        ``(block, first, end)``; each leaves the table of positions, a block's run its front."""
        served: list = []
        items, slot = self._items, start
        while slot < stop:
            item = items[slot]
            if item is None:
                slot += 1
            elif isinstance(item, RequestBlock):
                run = min(stop - slot, len(item.amounts) - item.next)
                served.append((item, item.next, item.next + run))
                item.next += run
                self._count -= run
                slot += run
            else:
                del self._where[id(item)]
                served.append(item)
                self._count -= 1
                slot += 1
        return served

    def _after_removal(self) -> None:
        """Skip the holes at the head; compact the slots once mostly empty."""
        items = self._items
        while self._head < len(items) and items[self._head] is None:
            self._head += 1
        if len(items) > 64 and 2 * self._count < len(items):
            self._compact()

    def drop(self, requests) -> None:
        """Remove ``requests`` (all waiting in the queue): what :meth:`remove` of each leaves, in one
        step (the holes skipped and the slots compacted once, at the end: only where the waiting
        requests sit in the slots differs, not their order, nor any total)."""
        if len(requests) < 16:
            for request in requests:
                self.remove(request)
            return
        try:
            slots = [self._where.pop(id(request)) for request in requests]
        except KeyError:
            raise ValueError("request not in the queue") from None
        items = self._items
        for slot in slots:
            items[slot] = None
        self._running -= float(self._amounts[slots].sum())
        self._roundings += len(slots)
        self._amounts[slots] = 0.0
        self._count -= len(slots)
        self._total = None
        self._after_removal()

    def withdraw_front(self, block: RequestBlock, count: int) -> None:
        """The first ``count`` waiting requests of ``block`` leave the queue (as :meth:`remove` of
        each, in one step)."""
        slot = self._items.index(block, self._head)
        end = slot + count
        self._items[slot:end] = [None] * count
        self._running -= float(self._amounts[slot:end].sum())
        self._roundings += count
        self._amounts[slot:end] = 0.0
        self._count -= count
        block.next += count
        self._total = None
        if slot == self._head:
            self._head = end
        self._after_removal()

    def _compact(self) -> None:
        """Drop the holes; the requests keep their order (the table of positions follows them)."""
        waiting = self._items[self._head:]
        kept = np.fromiter(map(is_not, waiting, repeat(None)), bool, len(waiting))
        live = np.flatnonzero(kept)
        moved_to = np.cumsum(kept) - 1  # a kept slot's new place
        self._where = dict(zip(self._where, moved_to[np.fromiter(self._where.values(), np.int64, len(self._where))
                                                     - self._head].tolist()))
        self._items = list(compress(waiting, kept))
        self._amounts = np.concatenate((self._amounts[self._head:][live], np.zeros(max(len(live), 64))))
        self._head = 0

    def total(self) -> float:
        if self._total is None:
            waiting = self._amounts[self._head:len(self._items)]
            self._total = float(np.add.accumulate(waiting)[-1]) if len(waiting) else 0.0
            self._running = self._mass = self._total
            self._roundings, self._folded = 0, len(waiting)
        return float(self._total)

    def total_bounds(self) -> tuple[float, float]:
        """``(low, high)`` with ``low <= total() <= high``, without adding up the queue.

        Each rounding in the running total, and each of the left fold's, is at most 2**-53 of a
        sum of waiting amounts, which ``_mass`` bounds: so the two differ by at most (roundings of
        the running total + slots in both folds) × 2**-53 × mass. The bound taken is four times
        that, which also covers the rounding of ``running ± bound`` itself.
        """
        if self._total is not None:
            return self._total, self._total
        slots = len(self._items) - self._head
        bound = (self._roundings + self._folded + slots + 4) * 2.0**-51 * self._mass
        return self._running - bound, self._running + bound


class QuietRequest:
    """A request that waits in a pool's queue without being a SimPy event of its own.

    The queue serves it as it serves a SimPy request (first come, first served, by ``amount``).
    SimPy would schedule one event per served request, processed one after the other with nothing
    between them when they were served in one pass; here quiet requests served next to each other
    in one pass share one event (:class:`_ServedTogether`), scheduled where the first of theirs
    would have been, and :meth:`served` receives them together, in queue order, when it is
    processed. A request still waiting is withdrawn with :meth:`Pool.cancel`.
    """

    __slots__ = ("amount", "triggered")

    def __init__(self, amount: float):
        self.amount = amount
        self.triggered = False  # served by the queue (the name SimPy's queue code reads)

    @classmethod
    def served(cls, requests: list) -> None:
        """Requests of this kind served together, when their shared event is processed."""

    def cancel(self, queue: RequestQueue) -> None:
        if not self.triggered:
            queue.remove(self)


def after(env: simpy.Environment, delay: float, action: Callable[..., object], *args: object) -> None:
    """``action(*args)`` ``delay`` from now, as a timer's callback: a process's ``yield timeout``
    without the process (the same calendar entry as a timeout set now: its time, priority and turn)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    env.schedule(_Call(action, args), NORMAL, delay)


def next_event(env: simpy.Environment, action: Callable[[], object]) -> None:
    """``action()`` one event from now, at this time: where a process resumed by an event that
    triggers now would take its next step (an event succeeding now is scheduled so)."""
    env.schedule(_Call(action, ()), NORMAL)


class _Call(simpy.Event):
    """A calendar entry that calls ``action(*args)`` when processed: of an event, SimPy's step reads
    only its callbacks and whether it succeeded, so thousands of timers a year need no more than that."""

    __slots__ = ("callbacks", "action", "args")
    _ok = True
    _value = None

    def __init__(self, action: Callable[..., object], args: tuple):  # no Event.__init__: nothing reads its env
        self.callbacks = [_Call._fire]
        self.action, self.args = action, args

    def _fire(self) -> None:  # the one callback, called with the entry itself
        self.action(*self.args)


def take_waiting(requests) -> list:
    """The ``requests`` still waiting (their ``waiting`` flag set), each flag cleared: those whose
    race of serving against a deadline is decided by the event now being processed."""
    due = [r for r in requests if r.waiting]
    for request in due:
        request.waiting = False
    return due


class _ServedTogether(simpy.Event):
    """The one event of quiet requests of one kind (or runs of blocks of one kind) served next to
    each other in one pass."""

    def __init__(self, env: simpy.Environment, kind: type[QuietRequest] | type[RequestBlock], first):
        super().__init__(env)
        self.kind, self.requests = kind, [first]
        self.callbacks.append(lambda _: kind.served(self.requests))
        self.succeed()


class Pool(simpy.Container):
    """A container of a divisible resource with a ledger and running totals.

    ``total`` is everything that has entered the pool's world (initial stock plus supply);
    ``held`` is what has been granted out and not returned.
    """

    unit = ""
    GetQueue = RequestQueue  # type: ignore[assignment]  # the queue SimPy needs: append, pop, remove, index
    get_queue: RequestQueue  # type: ignore[assignment]  # built by SimPy from GetQueue

    def __init__(self, env: simpy.Environment, *, free: float, held: float):
        if free < 0 or held < 0:
            raise ValueError(f"{type(self).__name__}: free and held must be >= 0 (got {free}, {held})")
        super().__init__(env, capacity=float("inf"), init=free)
        self.held = held
        self.total = free + held
        self.ledger = Ledger()
        # served by the queue, not yet booked to ``held`` (a claimant books one event after its
        # serving): what left the free stock and is on its way to a claimant, and how many requests
        self.unbooked, self.unbooked_count = 0.0, 0

    def supply(self, amount: float, reason: str, *, held: bool = False) -> None:
        """New stock enters the pool (land auctions, a higher cap).

        With ``held=True`` it is granted on arrival (land reserved for 小微企业园).
        """
        if amount < 0:
            raise ValueError("supply must be >= 0")
        self.total += amount
        self.ledger.record(self._env.now, "supply", amount, reason)
        if held:
            self.granted(amount, reason)
        elif amount:
            self.put(amount)

    def release(self, amount: float, reason: str) -> None:
        """Held stock comes back (exits, remediation, a lost project's land)."""
        amount = min(amount, self.held)
        self.held -= amount
        self.ledger.record(self._env.now, "release", amount, reason)
        if amount > 0:
            self.put(amount)

    def put(self, amount: float) -> None:  # type: ignore[override]
        """Stock into the free pool: what SimPy's put into an unbounded container does, without its
        event object (some hundreds a replication). The put succeeds at once (the level rises now)
        and the queue is served when its event is processed, one entry later on the calendar: that
        entry, set as the put's own would be, with nothing else to do."""
        if not amount > 0:
            raise ValueError(f"amount(={amount}) must be > 0.")
        self._level += amount
        after(self._env, 0.0, self._trigger_get, None)

    def request(self, amount: float, reason: str) -> simpy.resources.container.ContainerGet:
        """Ask for ``amount``; it waits in the FIFO queue until free. Book it with :meth:`granted`."""
        return self.get(amount)

    def enqueue(self, request: QuietRequest) -> None:
        """Put a quiet request in the queue and serve what can be served (as a SimPy request does)."""
        self.get_queue.append(request)
        self._trigger_get(None)

    def enqueue_block(self, block: RequestBlock) -> None:
        """Queue the requests of ``block`` and serve what can be served: what :meth:`enqueue` of
        each, one after the other, would serve (nothing joins or is served in between)."""
        self.get_queue.extend_block(block)
        self._trigger_get(None)

    def enqueue_behind(self, requests: Sequence[QuietRequest], amounts: np.ndarray) -> None:
        """Queue ``requests`` (of ``amounts``) without serving passes: only right after a pass that
        could not serve the head, with the free stock unchanged since (each pass would serve nobody)."""
        self.get_queue.extend(requests, amounts)

    def _trigger_get(self, put_event) -> None:
        """SimPy's serving pass over the get queue (``BaseResource._trigger_get`` with a container's
        ``_do_get``): serve the head while the free stock covers it, stop at the first it does not.

        Written out because a city's year-end queue holds ~10^5 claims: SimPy's generic loop costs
        several calls per request served. The covered requests come out a run at a time
        (:meth:`RequestQueue.serve_from_head`; a pass that serves at all mostly serves thousands).
        A SimPy request is triggered as SimPy does; quiet requests served next to each other share
        one event (see :class:`QuietRequest`).
        """
        queue = self.get_queue
        if not queue or self._level < queue.head_amount():  # most passes: the head still waits
            return
        together: _ServedTogether | None = None
        window, blocked = 16, False
        while queue and not blocked:
            # the next run of requests the free stock covers (longer looks once runs are long)
            level = self._level
            served, self._level, blocked = queue.serve_from_head(level, window)
            window *= 2
            count = len(served)
            for head in served:
                if type(head) is tuple:  # a run of a block's requests
                    count += head[2] - head[1] - 1
                    kind = type(head[0])
                elif isinstance(head, QuietRequest):
                    head.triggered = True
                    kind = type(head)
                else:
                    head.succeed()
                    together = None  # an event of its own in between: the next quiet one starts anew
                    continue
                if together is not None and together.kind is kind:
                    together.requests.append(head)
                else:
                    together = _ServedTogether(self._env, kind, head)
            self.served_out(level - self._level, count)

    def served_out(self, amount: float, count: int) -> None:
        """``count`` requests of ``amount`` in all served out of the free stock, to be booked later."""
        self.unbooked += amount
        self.unbooked_count += count

    def served_booked(self, amount: float, count: int) -> None:
        """``count`` served requests of ``amount`` in all booked (with :meth:`granted` and the like)."""
        self.unbooked_count -= count
        self.unbooked = self.unbooked - amount if self.unbooked_count else 0.0  # no rounding left behind

    def book_served(self, amount: float, reason: str) -> None:
        """Book one request the queue served (:meth:`granted`), and take it off the served tally."""
        self.granted(amount, reason)
        self.served_booked(amount, 1)

    def book_served_run(self, amounts: np.ndarray, reason: str) -> None:
        """Book a run of requests the queue served, in order (:meth:`granted_run`), and take them off
        the served tally."""
        self.granted_run(amounts, reason)
        self.served_booked(float(amounts.sum()), len(amounts))

    @property
    def committed(self) -> float:
        """``held``, and what the queue has served that its claimants have not booked yet: the stock
        out of the free stock at this moment (``committed + free == total`` for energy)."""
        return self.held + self.unbooked if self.unbooked_count else self.held

    def covers_now(self, amount: float) -> bool:
        """Whether :meth:`take_if_first` would grant ``amount`` now (nobody waits, and it is free)."""
        return not self.get_queue and self._level >= amount

    def take_if_first(self, amount: float, reason: str) -> bool:
        """Grant ``amount`` now if nobody waits and it is free, and book it; else False (ask with :meth:`request`).

        The same outcome as a :meth:`request` met on the spot, without a SimPy event whose only
        callback (serving the put queue) has nothing to do: puts into an unbounded pool never wait.
        """
        if self.get_queue or self._level < amount:  # not covers_now: one call less, thousands a year
            return False
        self.grant_now(amount, reason)
        return True

    def grant_now(self, amount: float, reason: str) -> None:
        """Grant ``amount`` out of the free stock and book it, where :meth:`covers_now` has said yes."""
        self._level -= amount
        self.held += amount
        self.ledger.record(self._env.now, "grant", amount, reason)  # as granted() does

    def take_run(self, amounts: np.ndarray, reason: str) -> int:
        """Grant, in order, the claims that :meth:`take_if_first` one by one would grant before the
        first it refuses, and book them; returns how many. The run, the stock left and the ledger
        rows are those of the one-by-one loop (:func:`covered_run`).
        """
        if self.get_queue or len(amounts) == 0:
            return 0
        k, levels = covered_run(self._level, amounts)
        if k == 0:
            return 0
        self._level = float(levels[k])
        self.granted_run(amounts[:k], reason)
        return k

    def granted_run(self, amounts: np.ndarray, reason: str) -> None:
        """Book requests met, in order: :meth:`granted` for each (``held`` summed as a left fold)."""
        self.held = left_fold(self.held, amounts)
        self.ledger.record_run(float(self._env.now), "grant", amounts.tolist(), reason)

    def cancel(self, request) -> None:
        """Withdraw a waiting request; those behind it may now be served."""
        if isinstance(request, QuietRequest):
            request.cancel(self.get_queue)
        else:
            request.cancel()
        self._trigger_get(None)

    def granted(self, amount: float, reason: str) -> None:
        """Book a request that has been met."""
        self.held += amount
        self.ledger.record(self._env.now, "grant", amount, reason)

    def take_now(self, amount: float, reason: str) -> float:
        """Grant up to ``amount`` at once, ahead of the queue; returns what was granted."""
        amount = max(0.0, min(amount, self._level))
        if amount > 0:
            self._level -= amount
            self.granted(amount, reason)
            self._trigger_put(None)
        return amount

    def withdraw(self, amount: float, reason: str) -> float:
        """Remove free stock from the pool's world (a lower cap); returns what was removed."""
        amount = max(0.0, min(amount, self._level))
        self._level -= amount
        self.total -= amount
        self.ledger.record(self._env.now, "withdraw", amount, reason)
        return amount

    def forfeit(self, amount: float, reason: str) -> None:
        """Held stock leaves the pool's world (quota cut from firms under a lower cap)."""
        amount = min(amount, self.held)
        self.held -= amount
        self.total -= amount
        self.ledger.record(self._env.now, "forfeit", amount, reason)

    @property
    def free(self) -> float:
        return float(self._level)

    @property
    def waiting(self) -> int:
        return len(self.get_queue)


class LandPool(Pool):
    """Industrial land, 亩.

    Land given up by a firm does not become free at once: it enters ``clearing`` (收储, 拆除,
    土壤调查与修复) and comes back later through :meth:`cleared`, less a share that leaves
    industrial use (城中村改造, 生态修复).
    """

    unit = "亩"

    def __init__(self, env: simpy.Environment, *, free: float, held: float):
        super().__init__(env, free=free, held=held)
        self.clearing = 0.0
        # set by the land market: where land given up goes (None: straight back to the free stock)
        self.clearer: Callable[[float, str], None] | None = None

    def release(self, amount: float, reason: str) -> None:
        """Land given up by a firm: into clearing when a market clears it, else free at once."""
        if self.clearer is None:
            super().release(amount, reason)
        else:
            self.clearer(amount, reason)

    def return_unbuilt(self, amount: float, reason: str) -> None:
        """Granted land never built on (a lost project, a claim whose firm left): free at once."""
        super().release(amount, reason)

    def start_clearing(self, amount: float, reason: str) -> float:
        """Held land given up: it leaves ``held`` for ``clearing``; returns the amount moved."""
        amount = min(max(amount, 0.0), self.held)
        self.held -= amount
        self.clearing += amount
        self.ledger.record(self._env.now, "clearing", amount, reason)
        return amount

    def in_clearing_at_start(self, amount: float, reason: str) -> None:
        """Land freed before the start and still being cleared: it enters the pool's world in ``clearing``."""
        if amount < 0:
            raise ValueError("land in clearing must be >= 0")
        self.total += amount
        self.clearing += amount
        self.ledger.record(self._env.now, "clearing", amount, reason)

    def cleared(self, amount: float, other_use_share: float, reason: str) -> tuple[float, float]:
        """Cleared land returns: ``1 - other_use_share`` of it to the free stock, the rest leaves
        industrial use. Returns (back to free, to other uses)."""
        amount = min(max(amount, 0.0), self.clearing)
        self.clearing -= amount
        other = amount * other_use_share
        self.total -= other
        self.ledger.record(self._env.now, "to other uses", other, reason)
        self.ledger.record(self._env.now, "cleared", amount - other, reason)
        if amount - other > 0:
            self.put(amount - other)
        return amount - other, other

    @property
    def waiting_amount(self) -> float:
        """亩 asked for by the requests in the queue."""
        return self.get_queue.total()


class EnergyPool(Pool):
    """Energy-use quota (用能权), tce per year; ``total`` is the effective cap."""

    unit = "吨标准煤"
