"""The pools' request queue keeps its waiting total equal to the sum over the queue."""

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.resources import LandPool

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
        assert pool.waiting_amount == float(sum(r.amount for r in pool.get_queue))
        assert all(not r.triggered for r in pool.get_queue)
