"""Soak: many users, two gateway replicas sharing Redis, faults on Redis and upstream.

    .venv/bin/python -m bench.soak [--duration 60] [--users 50] [--seed N]
                                   [--breaker on|off] [--json PATH]

Starts, on loopback only: a redis-server, the reference API
(`gateway reference-api --users N --control`) and two `gateway serve` replicas
sharing the Redis. Each simulated user alternates reads of its six lists with
writes to items of its own disjoint slice of the catalogue, on a random replica,
while a schedule puts one fault at a time on Redis or on upstream, with quiet gaps
between them (`faults.KINDS`).

Must hold, else the exit status is 1: no read contradicting the user's own writes
(stale after write), no other account's data (leak), no lost write; between faults
at least 99 % of requests ok; after each fault, every replica answers ok within
1 s. `figures.py` says exactly how each is counted.
"""
