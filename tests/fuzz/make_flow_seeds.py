#!/usr/bin/env python3
"""Writes the seed corpora of the flow fuzz targets (netflow5, netflow9, ipfix, sflow).

Each seed is a sequence of datagrams, each framed by a 2-byte big-endian length
(tests/fuzz/fuzz_flow.h feeds them in order to one collector). The datagrams
are built field by field from the format descriptions (Cisco's NetFlow v5
record format, RFC 3954, RFC 7011 / RFC 7012, sflow_version_5.txt), so the
seeds are ours and can be made again: python3 tests/fuzz/make_flow_seeds.py.
Addresses come from the documentation and benchmark ranges.
"""

import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from pcapgen import eth, ip, ipv6, tcp, udp  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
T0 = 1700000000


def a4(s):
    return bytes(int(x) for x in s.split("."))


V6_SRC = bytes.fromhex("20010db8000000000000000000000066")
V6_DST = bytes.fromhex("20010db8000100000000000000000001")


def frames(*dgrams):
    return b"".join(struct.pack("!H", len(d)) + d for d in dgrams)


def write(folder, name, data):
    d = os.path.join(HERE, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- NetFlow v5 --------------------------------------------------------------

def v5_record(src="203.0.113.7", dst="198.18.0.10", sport=40000, dport=80, proto=6, flags=2,
              pkts=10, octets=600, first=40000, last=99000):
    return (a4(src) + a4(dst) + bytes(4) + struct.pack("!HHIIIIHHBBBBHHBBH", 3, 4, pkts, octets,
                                                      first, last, sport, dport, 0, flags, proto,
                                                      0, 0, 0, 0, 0, 0))


def v5(records, seq=0, sampling=0, uptime=100000, engine=(1, 2)):
    hdr = struct.pack("!HHIIIIBBH", 5, len(records), uptime, T0, 5000000, seq, engine[0],
                      engine[1], sampling)
    return hdr + b"".join(records)


def netflow5():
    rec = v5_record()
    write("netflow5", "one-record", frames(v5([rec])))
    write("netflow5", "thirty-records",
          frames(v5([v5_record(dst="198.18.0.%d" % i) for i in range(30)])))
    write("netflow5", "sampled-1-in-512", frames(v5([rec], sampling=0x4000 | 512)))
    write("netflow5", "sequence-gap", frames(v5([rec] * 2, seq=100), v5([rec], seq=102),
                                             v5([rec], seq=110), v5([rec], seq=3)))
    write("netflow5", "icmp-echo", frames(v5([v5_record(proto=1, sport=0, dport=0x0800,
                                                        flags=0)])))
    write("netflow5", "uptime-wrapped", frames(v5([v5_record(first=0xfffff000, last=500)],
                                                  uptime=1000)))
    write("netflow5", "count-too-large", frames(v5([rec])[:2] + struct.pack("!H", 31) +
                                                v5([rec])[4:]))
    write("netflow5", "truncated-record", frames(v5([rec, rec])[:-5]))
    write("netflow5", "header-only", frames(v5([])))
    write("netflow5", "two-engines", frames(v5([rec], engine=(0, 1)), v5([rec], engine=(0, 2))))
    write("netflow5", "udp-flood-records",
          frames(v5([v5_record(proto=17, sport=53, dport=1000 + i, flags=0, pkts=1000,
                               octets=1400000) for i in range(10)])))


# ---- NetFlow v9 --------------------------------------------------------------

def flowset(set_id, body, pad_to=4):
    while (len(body) + 4) % pad_to:
        body += b"\0"
    return struct.pack("!HH", set_id, len(body) + 4) + body


def template(tid, fields):
    return struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", i, l)
                                                           for i, l in fields)


V9_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 4), (1, 4), (22, 4), (21, 4)]


def v9_data(n=2):
    rec = (a4("203.0.113.9") + a4("198.18.0.20") + struct.pack("!HHBBIIII", 53, 5353, 17, 0, 4,
                                                                4000, 50000, 58000))
    return rec * n


def v9(sets, seq=1, source=77, uptime=60000):
    return struct.pack("!HHIIII", 9, len(sets), uptime, T0, seq, source) + b"".join(sets)


def netflow9():
    tset = flowset(0, template(256, V9_FIELDS))
    dset = flowset(256, v9_data(3))
    write("netflow9", "template-and-data", frames(v9([tset, dset])))
    write("netflow9", "data-before-template",
          frames(v9([dset], seq=1), v9([tset], seq=2), v9([dset], seq=3)))
    opt = flowset(1, struct.pack("!HHH", 300, 4, 8) + struct.pack("!HHHHHH", 1, 4, 34, 4, 35, 1))
    odata = flowset(300, struct.pack("!IIB", 1, 1000, 2))
    write("netflow9", "options-sampling", frames(v9([opt, odata, tset, dset])))
    v6 = flowset(0, template(257, [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4)]))
    v6data = flowset(257, (V6_SRC + V6_DST + struct.pack("!HHBII", 12345, 443, 6, 7, 7000)) * 2)
    write("netflow9", "ipv6", frames(v9([v6, v6data])))
    write("netflow9", "two-templates-one-set",
          frames(v9([flowset(0, template(256, V9_FIELDS) + template(258, [(8, 4), (2, 4)])),
                     flowset(258, a4("192.0.2.9") + struct.pack("!I", 5)), dset])))
    write("netflow9", "zero-length-field",
          frames(v9([flowset(0, template(256, [(8, 0)])), flowset(256, b"\0" * 8)])))
    write("netflow9", "many-fields",
          frames(v9([flowset(0, template(256, [(1, 1)] * 40)), flowset(256, b"\1" * 40)])))
    write("netflow9", "template-expiry",
          frames(v9([tset], seq=1), v9([dset], seq=2), v9([dset], seq=3), v9([dset], seq=4),
                 v9([dset], seq=5)))
    write("netflow9", "sequence-gap", frames(v9([tset], seq=1), v9([dset], seq=5),
                                            v9([dset], seq=2)))
    write("netflow9", "bad-flowset-length", frames(v9([tset]) + b"\1\0\0\2"))
    write("netflow9", "reserved-flowset", frames(v9([flowset(7, b"abcd"), tset, dset])))
    sopt = flowset(1, struct.pack("!HHH", 301, 4, 12) +
                   struct.pack("!HHHHHHHH", 1, 4, 48, 1, 49, 1, 50, 4))
    sdata = flowset(301, struct.pack("!IBBI", 0, 1, 2, 100) + struct.pack("!IBBI", 0, 2, 2, 1000))
    stset = flowset(0, template(260, [(8, 4), (2, 4), (48, 1)]))
    sdset = flowset(260, b"".join(a4("192.0.2.%d" % i) + struct.pack("!IB", 5, s)
                                  for i, s in enumerate((2, 1, 3))))
    write("netflow9", "sampler-ids", frames(v9([sopt, sdata, stset, sdset])))
    write("netflow9", "several-sources",
          frames(*[v9([tset, dset], source=s) for s in range(6)]))


# ---- IPFIX --------------------------------------------------------------------

def ipfix(sets, seq=0, domain=1, export=T0):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), export, seq, domain) + body


def iset(set_id, body):
    return struct.pack("!HH", set_id, len(body) + 4) + body


def itemplate(tid, fields):
    out = struct.pack("!HH", tid, len(fields))
    for f in fields:
        if len(f) == 3:
            out += struct.pack("!HHI", f[0] | 0x8000, f[1], f[2])
        else:
            out += struct.pack("!HH", f[0], f[1])
    return out


V6_TEMPLATE = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (2, 4), (1, 8), (152, 8), (153, 8)]


def v6_records(n):
    rec = V6_SRC + V6_DST + struct.pack("!HHBIQQQ", 12345, 443, 6, 7, 7000,
                                        (T0 - 30) * 1000 + 250, (T0 - 1) * 1000)
    return rec * n


def ipfix_seeds():
    t400 = iset(2, itemplate(400, V6_TEMPLATE))
    d400 = iset(400, v6_records(2))
    write("ipfix", "ipv6-template-and-data", frames(ipfix([t400, d400])))
    v4t = iset(2, itemplate(256, [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 2), (2, 8),
                                  (1, 8), (150, 4), (151, 4)]))
    v4d = iset(256, a4("203.0.113.5") + a4("198.18.0.5") +
               struct.pack("!HHBHQQII", 4444, 22, 6, 2, 3, 180, T0 - 5, T0 - 1))
    write("ipfix", "ipv4-seconds", frames(ipfix([v4t, v4d])))
    vt = iset(2, itemplate(500, [(8, 4), (82, 0xffff), (12, 4), (7, 2)]))
    vd = iset(500, a4("10.0.0.1") + b"\3et0" + a4("10.0.0.2") + struct.pack("!H", 1111) +
              a4("10.0.0.3") + b"\xff" + struct.pack("!H", 300) + b"x" * 300 + a4("10.0.0.4") +
              struct.pack("!H", 2222))
    write("ipfix", "variable-length", frames(ipfix([vt, vd])))
    et = iset(2, itemplate(600, [(8, 4, 29305), (8, 4), (1, 0xffff, 9), (2, 2)]))
    ed = iset(600, a4("1.1.1.1") + a4("192.0.2.5") + b"\2\xff\xff" + struct.pack("!H", 9))
    write("ipfix", "enterprise-fields", frames(ipfix([et, ed])))
    wd = iset(2, struct.pack("!HH", 400, 0))
    write("ipfix", "withdraw-one", frames(ipfix([t400, iset(2, itemplate(401, V6_TEMPLATE))]),
                                          ipfix([wd, d400, iset(401, v6_records(1))])))
    write("ipfix", "withdraw-all", frames(ipfix([t400]), ipfix([iset(2, struct.pack("!HH", 2, 0))]),
                                          ipfix([d400])))
    ot = iset(3, struct.pack("!HHH", 700, 3, 1) + struct.pack("!HHHHHH", 149, 4, 305, 4, 306, 4))
    od = iset(700, struct.pack("!III", 1, 1, 99))
    write("ipfix", "options-sampling", frames(ipfix([ot, od, t400, d400])))
    write("ipfix", "options-withdrawal",
          frames(ipfix([ot]), ipfix([iset(3, struct.pack("!HH", 700, 0))]), ipfix([od])))
    write("ipfix", "redefinition",
          frames(ipfix([t400, iset(2, itemplate(400, [(8, 4)])), iset(400, a4("192.0.2.99"))])))
    st = iset(2, itemplate(802, [(160, 8), (22, 4), (21, 4)]) +
              itemplate(800, [(158, 4), (159, 4)]) +
              itemplate(803, [(154, 8), (155, 8)]))
    sd = (iset(802, struct.pack("!QII", (T0 - 1000) * 1000, 900000, 950500)) +
          iset(800, struct.pack("!II", 3000000, 500000)) +
          iset(803, struct.pack("!QQ", (T0 + 2208988800) << 32, (T0 + 2208988801) << 32)))
    write("ipfix", "time-fields", frames(ipfix([st, sd])))
    write("ipfix", "sequence-gap", frames(ipfix([t400, d400], seq=1000),
                                          ipfix([d400], seq=1002), ipfix([d400], seq=1010)))
    write("ipfix", "reserved-and-bad-sets",
          frames(ipfix([iset(17, b""), iset(1, b"abcd"), t400, b"\0\2"])))
    write("ipfix", "template-expiry", frames(ipfix([t400]), ipfix([d400], seq=0),
                                             ipfix([d400], seq=2), ipfix([d400], seq=4),
                                             ipfix([d400], seq=6)))
    write("ipfix", "many-templates",
          frames(ipfix([iset(2, b"".join(itemplate(256 + i, [(8, 4), (2, 4)])
                                         for i in range(12)))])))


# ---- sFlow v5 -----------------------------------------------------------------

def xdr_opaque(b):
    return struct.pack("!I", len(b)) + b + b"\0" * (-len(b) % 4)


def record(fmt, body):
    return struct.pack("!II", fmt, len(body)) + body + b"\0" * (-len(body) % 4)


def raw_header(frame, proto=1, stripped=4):
    return record(1, struct.pack("!III", proto, len(frame) + stripped, stripped) +
                  xdr_opaque(frame))


def flow_sample(records, rate=2048, expanded=False, seq=1):
    if expanded:
        body = struct.pack("!IIIIIIIIII", seq, 0, 7, rate, 1000, 0, 0, 1, 0, 2)
    else:
        body = struct.pack("!IIIIIII", seq, 7, rate, 1000, 0, 1, 2)
    body += struct.pack("!I", len(records)) + b"".join(records)
    return struct.pack("!II", 3 if expanded else 1, len(body)) + body


def counter_sample(expanded=False):
    rec = record(1, bytes(88))  # generic interface counters, zeros
    if expanded:
        body = struct.pack("!IIII", 1, 0, 7, 1) + rec
    else:
        body = struct.pack("!III", 1, 7, 1) + rec
    return struct.pack("!II", 4 if expanded else 2, len(body)) + body


def sflow(samples, seq=1, agent6=False, sub_agent=3):
    if agent6:
        hdr = struct.pack("!II", 5, 2) + V6_SRC
    else:
        hdr = struct.pack("!II", 5, 1) + a4("192.0.2.200")
    return hdr + struct.pack("!IIII", sub_agent, seq, 123456, len(samples)) + b"".join(samples)


def sflow_seeds():
    syn = eth(0x0800, ip(6, tcp(50000, 22, 0x02), "203.0.113.50", "198.18.0.30"))
    dns = eth(0x0800, ip(17, udp(53, 40000, b"\0" * 100), "203.0.113.53", "198.18.0.31"))
    v6f = eth(0x86dd, ipv6(6, tcp(443, 50000, 0x12)))
    switch = record(1001, struct.pack("!IIII", 1, 0, 2, 0))
    write("sflow", "raw-header-syn", frames(sflow([flow_sample([switch, raw_header(syn)])])))
    write("sflow", "expanded-sample", frames(sflow([flow_sample([raw_header(dns)],
                                                                expanded=True, rate=512)])))
    write("sflow", "counters", frames(sflow([counter_sample(), counter_sample(True)])))
    s4 = record(3, struct.pack("!II", 1500, 17) + a4("203.0.113.1") + a4("198.18.0.1") +
                struct.pack("!IIII", 123, 40000, 0, 0))
    write("sflow", "sampled-ipv4", frames(sflow([flow_sample([s4], rate=100)])))
    s6 = record(4, struct.pack("!II", 1280, 6) + V6_SRC + V6_DST + struct.pack("!IIII", 1, 2, 2, 0))
    write("sflow", "sampled-ipv6-agent6", frames(sflow([flow_sample([s6])], agent6=True)))
    write("sflow", "raw-ipv6-frame", frames(sflow([flow_sample([raw_header(v6f)])])))
    write("sflow", "raw-ip-header-proto11",
          frames(sflow([flow_sample([raw_header(ip(1, b"\x08\0\0\0\0\1\0\1", "192.0.2.1",
                                                   "198.18.0.1"), proto=11)])])))
    write("sflow", "unknown-header-proto", frames(sflow([flow_sample([raw_header(syn, proto=7)])])))
    write("sflow", "mixed-samples",
          frames(sflow([counter_sample(), flow_sample([raw_header(syn)]),
                        flow_sample([s4], expanded=True), counter_sample(True)])))
    write("sflow", "sequence-gap", frames(sflow([flow_sample([raw_header(syn)])], seq=10),
                                          sflow([flow_sample([raw_header(syn)])], seq=13),
                                          sflow([flow_sample([raw_header(syn)])], seq=2)))
    write("sflow", "enterprise-sample",
          frames(sflow([struct.pack("!II", (4300 << 12) | 1, 8) + bytes(8),
                        flow_sample([raw_header(syn)])])))
    write("sflow", "truncated-sample", frames(sflow([flow_sample([raw_header(syn)])])[:-20]))
    one = sflow([flow_sample([raw_header(syn)])])
    write("sflow", "too-many-samples-claimed", frames(one[:24] + struct.pack("!I", 1000) + one[28:]))

def main():
    for sub in ("netflow5", "netflow9", "ipfix", "sflow"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    netflow5()
    netflow9()
    ipfix_seeds()
    sflow_seeds()


if __name__ == "__main__":
    main()
