"""The pools' request queue: its waiting total is the sum over the queue, and quiet requests are served and booked as SimPy requests would be."""

from functools import cache, reduce
from operator import add

import simpy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation.resources import LandPool, QuietRequest

steps = st.lists(st.tuples(st.sampled_from(["ask", "supply", "cancel", "drop"]), st.floats(0.1, 50.0),
                           st.integers(0, 30)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_waiting_total_is_the_sum_over_the_queue(ops):
    env = simpy.Environment()
    pool = LandPool(env, free=10.0, held=0.0)
    for op, amount, k in ops:
        queue = pool.get_queue
        if op == "ask":
            pool.request(amount, "test")
        elif op == "supply":
            pool.supply(amount, "test")
        elif op == "cancel" and queue:
            pool.cancel(queue[k % len(queue)])
        elif op == "drop" and queue:
            pool.get_queue.drop(list(queue)[k % len(queue)::2])
        assert pool.waiting_amount == reduce(add, (r.amount for r in pool.get_queue), 0.0)  # left to right
        assert all(not r.triggered for r in pool.get_queue)


class _Logged(QuietRequest):
    """A quiet request that logs, one event after it was served, that it was booked."""

    __slots__ = ("name", "log", "env")

    @classmethod
    def served(cls, requests: list) -> None:
        first = requests[0]
        booked = first.env.event()
        booked.callbacks.append(lambda _: first.log.extend(("booked", r.name, r.env.now) for r in requests))
        booked.succeed()


class _PlainContainer(simpy.Container):
    """SimPy's own container, with the pool calls the replay makes (SimPy's serving pass)."""

    def request(self, amount, reason):
        return self.get(amount)

    def supply(self, amount, reason):
        self.put(amount)

    def cancel(self, request):
        request.cancel()
        self._trigger_get(None)

    @property
    def free(self):
        return self.level

    @property
    def waiting_amount(self):
        return sum(r.amount for r in self.get_queue)


def _replay(ops, quiet: bool, plain: bool = False):
    """Claims (quiet requests or SimPy requests), SimPy requests, supply and withdrawals at whole
    times (so that many fall together); the log of what happened, in order. ``plain``: SimPy's own
    container and serving pass."""
    env = simpy.Environment()
    pool = _PlainContainer(env, init=5.0) if plain else LandPool(env, free=5.0, held=0.0)
    log: list = []
    claims: list = []

    def claim(name, amount):
        if quiet:
            request = _Logged(amount)
            request.name, request.log, request.env = name, log, env
            pool.enqueue(request)
        else:
            request = pool.request(amount, "test")

            def served(_):  # one event later, as a claim books itself
                booked = env.event()
                booked.callbacks.append(lambda _: log.append(("booked", name, env.now)))
                booked.succeed()
            request.callbacks.append(served)
        claims.append(request)

    def act(i, op, amount, at, k):
        yield env.timeout(at)
        if op == "claim":
            claim(i, amount)
        elif op == "project":
            request = pool.request(amount, "test")

            def resumed(_):  # a project's process resumes one event after its request (through its condition)
                later = env.event()
                later.callbacks.append(lambda _: log.append(("project", i, env.now)))
                later.succeed()
            request.callbacks.append(resumed)
        elif op == "supply":
            pool.supply(amount, "test")
        elif op == "withdraw" and claims:
            request = claims.pop(k % len(claims))
            if not request.triggered:
                pool.cancel(request)
                log.append(("withdrawn", k, env.now))

    for i, (op, amount, at, k) in enumerate(ops):
        env.process(act(i, op, amount, at, k))
    env.run()
    return log, pool.free, pool.waiting_amount


timed = st.lists(st.tuples(st.sampled_from(["claim", "claim", "project", "supply", "withdraw"]),
                           st.floats(0.5, 8.0), st.integers(0, 4), st.integers(0, 30)), max_size=50)


@settings(max_examples=300, deadline=None)
@given(timed)
@example([("claim", 8.0, 0, 0), ("project", 1.0, 0, 0), ("claim", 1.0, 0, 0), ("claim", 1.0, 0, 0),
          ("supply", 8.0, 1, 0), ("project", 1.0, 1, 0)])  # served in one pass: claim, project, claims
def test_quiet_requests_are_served_and_booked_as_simpy_requests(ops):
    assert _replay(ops, quiet=True) == _replay(ops, quiet=False) == _replay(ops, quiet=False, plain=True)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.0, 100.0), st.floats(0.0, 50.0), st.lists(st.floats(1e-9, 30.0), max_size=40), st.booleans())
def test_a_run_of_grants_is_the_one_by_one_grants(free, held, amounts, someone_waits):
    import numpy as np

    pools = [LandPool(simpy.Environment(), free=free, held=held) for _ in range(2)]
    if someone_waits:
        for pool in pools:
            pool.request(free + 1.0, "ahead")
    taken = 0
    for amount in amounts:
        if not pools[0].take_if_first(amount, "claim"):
            break
        taken += 1
    assert pools[1].take_run(np.array(amounts, dtype=float), "claim") == taken
    assert (pools[1].free, pools[1].held) == (pools[0].free, pools[0].held)
    assert pools[1].ledger.rows == pools[0].ledger.rows


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-9, 50.0), max_size=200), st.lists(st.floats(1e-9, 50.0), max_size=200),
       st.integers(0, 300))
def test_extending_the_queue_is_appending_each(first, rest, leaving):
    import numpy as np

    from simulation.resources import RequestQueue

    one, many = RequestQueue(), RequestQueue()
    requests = [QuietRequest(a) for a in first + rest]
    for request in requests:
        one.append(request)
    for request in requests[:len(first)]:
        many.append(request)
    many.extend(requests[len(first):], np.array(rest, dtype=float))
    for queue in (one, many):
        for request in requests[: leaving % (len(requests) + 1)][::3]:
            queue.remove(request)
    assert list(one) == list(many) and len(one) == len(many)
    assert one.total() == many.total() == reduce(add, (r.amount for r in one), 0.0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(1e-9, 20.0), max_size=150), st.floats(0.0, 400.0), st.integers(1, 40), st.integers(0, 7))
def test_serving_runs_from_the_head_is_serving_one_by_one(amounts, level, window, leaving):
    """Runs out of a queue with holes (requests that left): the same requests, in order, and the same
    stock left, bit for bit, as serving the head while the stock covers it and removing each."""
    from simulation.resources import RequestQueue

    requests = [QuietRequest(a) for a in amounts]
    one, runs = RequestQueue(), RequestQueue()
    for queue in (one, runs):
        for request in requests:
            queue.append(request)
        for request in requests[leaving::8]:  # holes, some at the head
            queue.remove(request)
    expected, left = [], level
    while one and not left < one[0].amount:
        left -= one[0].amount
        expected.append(one.pop(0))
    served, stock, blocked = [], level, False
    while runs and not blocked:
        run, stock, blocked = runs.serve_from_head(stock, window)
        served.extend(run)
    assert served == expected and stock == left
    assert list(runs) == list(one) and len(runs) == len(one) and runs.total() == one.total()
    assert blocked == bool(one)  # stopped by a request left uncovered, or the queue is empty


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(1e-9, 50.0), max_size=300), st.integers(0, 400), st.integers(1, 5), st.integers(0, 300),
       st.floats(0.0, 100.0))
def test_dropping_many_is_removing_each(amounts, start, stride, served, level):
    """Requests leaving together (some at the head, some after a serving pass left holes): the same
    requests wait, in order, with the same total and bounds, and the queue serves the same next."""
    import numpy as np

    from simulation.resources import RequestQueue

    requests = [QuietRequest(a) for a in amounts]
    one, many = RequestQueue(), RequestQueue()
    for queue in (one, many):
        queue.extend(requests, np.array(amounts, dtype=float))
        queue.serve_from_head(level, 1 + served % 40)
    leaving = [r for r in requests[start % (len(requests) + 1)::stride] if id(r) in one._where]  # still waiting
    for request in leaving:
        one.remove(request)
    many.drop(leaving)
    assert list(one) == list(many) and len(one) == len(many) and bool(one) == bool(many)
    low, high = many.total_bounds()
    exact = reduce(add, (r.amount for r in many), 0.0)
    assert low <= exact <= high
    assert one.total() == many.total() == exact
    assert one.serve_from_head(level) == many.serve_from_head(level)


magnitudes = st.one_of(st.floats(1e-9, 1.0), st.floats(0.1, 50.0), st.sampled_from([0.1, 0.2, 0.3, 1e6, 3e7]))
queue_steps = st.lists(st.tuples(st.sampled_from(["ask", "asks", "supply", "cancel", "read"]), magnitudes,
                                 st.integers(0, 30)), max_size=80)


@cache
def _land_rules():
    from pathlib import Path

    from simulation.loader import load_scenario

    return load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml").parameters.land


def _market(pool: LandPool):
    from simulation.books import Books
    from simulation.processes.land import LandMarket

    return LandMarket(pool._env, pool, Books, _land_rules(), lambda: 2022)


@settings(max_examples=300, deadline=None)
@given(queue_steps, st.floats(0.0, 100.0), st.floats(-3, 3))
def test_bounds_of_the_waiting_total_hold_and_decide_as_the_total(ops, clearing, offset):
    """The running total's bounds contain the left fold over the queue at every step, and a lead's
    decision taken from them (:meth:`LandMarket.counts_on`) is the one taken from the total itself,
    also for plots a few units in the last place either side of the visible land."""
    import numpy as np

    env = simpy.Environment()
    pool = LandPool(env, free=10.0, held=0.0)
    pool.clearing = clearing
    market = _market(pool)
    for op, amount, k in ops:
        queue = pool.get_queue
        if op == "ask":
            pool.enqueue(QuietRequest(amount))
        elif op == "asks" and queue and pool.free < queue[0].amount:  # enqueue_behind's condition
            more = [QuietRequest(amount * (i + 1) / 3) for i in range(k)]
            pool.enqueue_behind(more, np.array([r.amount for r in more]))
        elif op == "supply":
            pool.supply(amount * 3, "test")
        elif op == "cancel" and queue:
            pool.cancel(list(queue)[k % len(queue)])
        elif op == "read":
            queue.total()
        exact = reduce(add, (r.amount for r in queue), 0.0)  # the left fold over the queue
        low, high = queue.total_bounds()
        assert low <= exact <= high
        visible = pool.free + pool.clearing * (1.0 - _market_share(market)) - exact  # the land a newcomer can count on
        for plot in (visible + 1e-9 + offset * abs(visible) * 2**-50, abs(visible) * 2.0 ** float(k % 5 - 2), amount):
            assert market.counts_on(plot) == (plot <= visible + 1e-9)


def _market_share(market) -> float:
    from simulation.processes.land import clearing_rules

    return clearing_rules(market.land, 2022).other_use_share


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ask", "ask", "block", "remove", "withdraw", "serve"]),
                          st.floats(1e-9, 5.0), st.integers(0, 40)), max_size=120))
@example([("ask", 1.0 + i / 8, 0) for i in range(40)] + [("block", 0.5, 30)] + [("serve", 10.0, 3)]
         + [("remove", 0.0, i) for i in range(20)] + [("withdraw", 0.0, 5), ("serve", 100.0, 0)])  # compacted, then removed
def test_the_queue_keeps_what_a_list_keeps(ops):
    """Against a plain list of the waiting requests (a block's as (block, index)): the same requests
    wait, in order, with the same amounts and left-fold total, through removals, blocks withdrawn
    from their front, runs served from the head, and the compactions these bring."""
    import numpy as np

    from simulation.resources import RequestBlock, RequestQueue

    queue, model = RequestQueue(), []  # model: [(request or (block, i), amount)]
    for op, amount, k in ops:
        if op == "ask":
            request = QuietRequest(amount)
            queue.append(request)
            model.append((request, amount))
        elif op == "block":
            block = RequestBlock(np.array([amount * (i % 3 + 1) for i in range(k + 1)]))
            queue.extend_block(block)
            model.extend(((block, i), float(a)) for i, a in enumerate(block.amounts))
        elif op == "remove":
            plain = [r for r, _ in model if isinstance(r, QuietRequest)]
            if plain:
                request = plain[k % len(plain)]
                queue.remove(request)
                model = [(r, a) for r, a in model if r is not request]
        elif op == "withdraw":
            blocks = list(dict.fromkeys(r[0] for r, _ in model if isinstance(r, tuple)))
            if blocks:
                block = blocks[k % len(blocks)]
                left = [r for r, _ in model if isinstance(r, tuple) and r[0] is block]
                count = 1 + k % len(left)
                queue.withdraw_front(block, count)
                gone = {id(r) for r in left[:count]}
                model = [(r, a) for r, a in model if id(r) not in gone]
        else:
            level = stock = amount * 4
            served, blocked = [], False
            while queue and not blocked:  # as a serving pass: windows of 1 + k slots
                run, stock, blocked = queue.serve_from_head(stock, 1 + k)
                served.extend(run)
            expected = []
            while model and not level < model[0][1]:
                level -= model[0][1]
                expected.append(model.pop(0)[0])
            assert stock == level
            runs = [r if not isinstance(r, tuple) else [(r[0], i) for i in range(r[1], r[2])] for r in served]
            flat = [x for r in runs for x in (r if isinstance(r, list) else [r])]
            assert [x if not isinstance(x, tuple) else (id(x[0]), x[1]) for x in flat] == \
                [x if not isinstance(x, tuple) else (id(x[0]), x[1]) for x in expected]
        assert queue.waiting_amounts() == [a for _, a in model] and len(queue) == len(model)
        assert list(queue) == [r[0] if isinstance(r, tuple) else r for r, _ in model]
        assert queue.total() == reduce(add, (a for _, a in model), 0.0)
        if model and isinstance(model[0][0], tuple):
            assert queue[0] is model[0][0][0] and model[0][0][1] == model[0][0][0].next
        elif model:
            assert queue[0] is model[0][0]
