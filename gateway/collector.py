"""`settle_collector`: the garbage collector tuned for a server process.

Measured at 32 connections (`first-load`, 10,000 users, and the one-user cold
load, against the bench stub), the collector took 16 to 17 % of the server's CPU:

- Every full collection walked the ~95,000 objects of the imported modules,
  strawberry's schema and graphql-core's (functions, types, their dicts), about
  70 to 90 ms each, and one came every 2 to 3 s.
- They came that often although requests make no reference cycles
  (tests/test_reference_cycles.py): at 700 net allocations the young generation
  was collected hundreds of times a second, and every object of the 32 requests in
  flight that it found alive was promoted, until the old generation had grown by
  the quarter that triggers a full collection.

So the objects alive once the app is built are frozen (never walked again, as
`gc.freeze` is meant for), and the young generation is collected after 10,000 net
allocations: requests in flight rarely add that many, and a cycle still gets
collected. Then the collector took under 1 % of the CPU in the same runs. A young
collection of that size pauses for a few milliseconds at most.
"""

import gc

#: Net allocations of tracked objects between two young collections.
YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """Freeze what exists now and collect the young generation less often; for
    the serving process, once its app is built (not for tests that build many)."""
    gc.collect()  # what is garbage already must not be frozen with the rest
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
