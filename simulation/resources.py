"""Land and energy as SimPy containers that keep a ledger.

The container's level is what is free; requests wait in SimPy's FIFO queue (a request at the
head that cannot be met blocks those behind it, as a first-come-first-served allocation does).
Every grant and release is written to the ledger with its reason, so that conservation can be
checked: ``held + clearing + free == total`` for land (``clearing`` is land freed by exits and
remediation that is being taken back, cleared and readied before it can be granted again),
``allocated + free == cap`` for energy quota.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import simpy


@dataclass
class Ledger:
    """Rows of (time in months, event, amount, reason)."""

    rows: list[tuple[float, str, float, str]] = field(default_factory=list)

    def record(self, time: float, event: str, amount: float, reason: str) -> None:
        if amount:
            self.rows.append((float(time), event, float(amount), reason))


class RequestQueue(list):
    """SimPy's get queue, with the waiting amounts kept alongside in a list of floats.

    Projects read the queue's total at every lead; ``sum`` over a list of floats runs in C, where
    the sum over the requests' ``amount`` attributes ran in the interpreter. It is the same ``sum``
    in the same order, so the same float. SimPy only appends, pops by index and removes.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self._amounts: list[float] = [r.amount for r in self]

    def total(self) -> float:
        return float(sum(self._amounts))

    def append(self, request) -> None:
        super().append(request)
        self._amounts.append(request.amount)

    def pop(self, index=-1):
        self._amounts.pop(index)
        return super().pop(index)

    def remove(self, request) -> None:
        index = self.index(request)
        super().__delitem__(index)
        del self._amounts[index]

    def drop(self, requests) -> None:
        """Remove ``requests`` (all waiting in the queue) at once: one pass, not one scan each."""
        gone = {id(r) for r in requests}
        kept = [i for i, r in enumerate(self) if id(r) not in gone]
        list.__setitem__(self, slice(None), [self[i] for i in kept])
        self._amounts = [self._amounts[i] for i in kept]

    def _unsupported(self, *args, **kwargs):
        raise TypeError("a request queue changes only by append, pop and remove")

    __delitem__ = __setitem__ = insert = extend = clear = __iadd__ = sort = reverse = _unsupported  # type: ignore[assignment]


class Pool(simpy.Container):
    """A container of a divisible resource with a ledger and running totals.

    ``total`` is everything that has entered the pool's world (initial stock plus supply);
    ``held`` is what has been granted out and not returned.
    """

    unit = ""
    GetQueue = RequestQueue

    def __init__(self, env: simpy.Environment, *, free: float, held: float):
        if free < 0 or held < 0:
            raise ValueError(f"{type(self).__name__}: free and held must be >= 0 (got {free}, {held})")
        super().__init__(env, capacity=float("inf"), init=free)
        self.held = held
        self.total = free + held
        self.ledger = Ledger()

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

    def request(self, amount: float, reason: str) -> simpy.resources.container.ContainerGet:
        """Ask for ``amount``; it waits in the FIFO queue until free. Book it with :meth:`granted`."""
        return self.get(amount)

    def take_if_first(self, amount: float, reason: str) -> bool:
        """Grant ``amount`` now if nobody waits and it is free, and book it; else False (ask with :meth:`request`).

        The same outcome as a :meth:`request` met on the spot, without a SimPy event whose only
        callback (serving the put queue) has nothing to do: puts into an unbounded pool never wait.
        """
        if self.get_queue or self._level < amount:
            return False
        self._level -= amount
        self.granted(amount, reason)
        return True

    def cancel(self, request) -> None:
        """Withdraw a waiting request; those behind it may now be served."""
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
