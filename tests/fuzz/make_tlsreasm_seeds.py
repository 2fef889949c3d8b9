#!/usr/bin/env python3
"""Writes the seed corpus of the tlsreasm fuzz target (fuzz_tlsreasm.c):
sequences of TCP segments carrying split ClientHellos, built by pcapgen.py.
Run again with: python3 tests/fuzz/make_tlsreasm_seeds.py"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from pcapgen import client_hello_pq  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tlsreasm")


def segments(hello, mss, isn=1000):
    return [(isn + off, hello[off:off + mss]) for off in range(0, len(hello), mss)]


def seed(name, settings, segs):
    """segs: (flow, time step, seq, payload) tuples."""
    b = bytes([settings])
    for flow, dt, seq, data in segs:
        b += struct.pack("!BBIH", flow, dt, seq & 0xffffffff, len(data)) + data
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)


h = client_hello_pq("split.evil.example")
seed("two-segments", 7, [(0, 0, s, d) for s, d in segments(h, 1460)])
seed("small-mss-reordered-retransmitted", 7,
     [(0, 0, s, d) for s, d in [segments(h, 536)[i] for i in (0, 0, 2, 1, 3)]])
seed("records-of-100", 7, [(1, 0, s, d) for s, d in segments(client_hello_pq("r.example", record=100), 700)])
seed("records-of-1", 7, [(1, 0, s, d) for s, d in segments(client_hello_pq("one.example", record=1), 1400)])
a, b = segments(h, 900), segments(client_hello_pq("v6.example"), 900, isn=0xfffffc00)
seed("interleaved-ipv4-ipv6-wrap", 7, [x for pair in zip([(0, 0, s, d) for s, d in a],
                                                         [(4, 0, s, d) for s, d in b]) for x in pair])
seed("table-full", 0, [(f, 1, s, d) for f in range(3) for s, d in segments(h, 1000)[:1]] +
     [(0, 1, s, d) for s, d in segments(h, 1000)[1:]])
seed("timeout", 7, [(0, 0, *segments(h, 1000)[0]), (0, 60, *segments(h, 1000)[1])])
seed("oversized", 8, [(0, 0, s, d) for s, d in segments(client_hello_pq("big.example", key_share=3000), 1400)])
seed("gap", 7, [(0, 0, s, d) for s, d in [segments(h, 400)[i] for i in (0, 2, 4, 1, 3)]])
