#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_pcapfile (the sensor's pcap file walker).

Each seed is a u32 (little-endian) seed of the window sizes, then a capture
file built here field by field: classic pcap in both byte orders, with
microsecond and nanosecond timestamps, a record cut by the end of the file,
one longer than the snapshot length, one longer than libpcap's maximum, a
header alone, and a pcapng section header (which the walker must refuse).
Make them again with: python3 tests/fuzz/make_pcapfile_seeds.py
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from pcapgen import dns_query, eth_ip, tcp, udp  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pcapfile")
T0 = 1_763_000_000


def frames():
    return [
        eth_ip(6, tcp(40000, 80, 0x02), "192.0.2.1", "198.18.0.10"),
        eth_ip(17, udp(5353, 53, dns_query("example.com")), "198.18.0.2", "198.18.0.53"),
        eth_ip(6, tcp(443, 40001, 0x12), "198.18.0.10", "192.0.2.1"),
    ]


def pcap(order="<", nsec=False, snaplen=65535, records=None):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, 1)
    if records is None:
        records = [(T0 + i, 999_999_999 if nsec else 999_999, f, len(f)) for i, f in enumerate(frames())]
    for sec, frac, data, wire in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), wire) + data
    return out


def write(name, seed, data):
    os.makedirs(HERE, exist_ok=True)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<I", seed) + data)


def main():
    write("le-usec", 1, pcap("<"))
    write("be-usec", 2, pcap(">"))
    write("le-nsec", 3, pcap("<", nsec=True))
    write("be-nsec-maxsnap", 0x80000004, pcap(">", nsec=True))
    write("header-only", 5, pcap("<", records=[]))
    write("cut-record", 6, pcap("<")[:-7])
    write("cut-record-header", 7, pcap(">")[:24 + 9])
    f = frames()[0]
    write("over-snaplen", 8, pcap("<", snaplen=32, records=[(T0, 0, f[:32], len(f)), (T0, 1, f, len(f))]))
    big = struct.pack("<IIII", T0, 0, 262145, 262145) + bytes(40)
    write("over-maximum", 0x80000009, pcap("<", snaplen=0)[:24] + big)
    write("truncated-caplen", 10, pcap("<", records=[(T0, 5, f[:20], len(f))]))
    shb = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
    write("pcapng-header", 11, shb)
    write("version-2-3", 12, struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 3, 0, 0, 65535, 1))


if __name__ == "__main__":
    main()
