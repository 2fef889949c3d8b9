"""Packets and capture files for fenghuo's tests, built field by field.

Builders for Ethernet, IPv4/IPv6, TCP, UDP, ICMP, DNS, TLS ClientHello and
HTTP, a pcap writer, and scenarios (benign background, floods, amplification,
scans, brute force, indicator traffic) that the sensor tests and the fuzz
seeds use. Standard library only. Addresses come from the documentation and
benchmark ranges: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (outside),
198.18.0.0/15 (protected in the tests), 2001:db8::/32.
"""

import random
import struct
import ipaddress

# ---- packet builders ---------------------------------------------------------


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(name, qid=0x1234, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(name, qid=0x1234, addr="198.18.0.7"):
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    cname = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, 6) + b"\x03www\xc0\x0c"
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + ipaddress.ip_address(addr).packed
    aaaa = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + ipaddress.ip_address("2001:db8::1").packed
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 3, 0, 0) + q + cname + a + aaaa


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    alpn = struct.pack("!HHH", 16, 5, 3) + b"\x02h2"
    exts = alpn + sni_ext
    body = (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(32) + struct.pack("!H", 4) +
            b"\x13\x01\x13\x02" + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def http_get(host, path="/index.html"):
    return ("GET %s HTTP/1.1\r\nUser-Agent: fenghuo-test\r\nHost: %s\r\nAccept: */*\r\n\r\n" % (path, host)).encode()


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip(proto, payload, src, dst, frag=0, options=b"", ttl=64, ident=7):
    """An IPv4 or IPv6 packet, by the family of src (text addresses)."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 6:
        return struct.pack("!IHBB", 0x60000000, len(payload), proto, ttl) + s.packed + d.packed + payload
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, ttl, proto, 0,
                    s.packed, d.packed) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(nh, payload, ext=b"", src="2001:db8::1", dst="2001:db8::2"):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    return struct.pack("!IHBB", 0x60000000, len(ext) + len(payload), nh, 64) + s.packed + d.packed + ext + payload


def tcp(sport, dport, flags, payload=b"", seq=1, ack=0):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(type_, code, rest=b"\0\0\0\0", payload=b""):
    return struct.pack("!BBH", type_, code, 0) + rest + payload


def eth(ethertype, payload, vlans=()):
    h = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
    for v in vlans:
        h += struct.pack("!HH", 0x8100, v)
    return h + struct.pack("!H", ethertype) + payload


def eth_ip(proto, payload, src, dst, **kw):
    ethertype = 0x86dd if ":" in src else 0x0800
    return eth(ethertype, ip(proto, payload, src, dst, **kw))


SYN, ACK, PSH, RST, FIN = 0x02, 0x10, 0x08, 0x04, 0x01

# ---- pcap ----------------------------------------------------------------------


class Pcap:
    """Collects (time, frame) pairs; write() sorts them by time."""

    def __init__(self):
        self.frames = []

    def add(self, t, frame):
        self.frames.append((t, frame))

    def write(self, path, linktype=1):
        self.frames.sort(key=lambda f: f[0])
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
            for t, frame in self.frames:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                if usec == 1000000:
                    sec, usec = sec + 1, 0
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
        return len(self.frames)


T0 = 1795000000.0  # 2026-11-18T11:06:40Z: a fixed start so files are reproducible

# ---- scenarios -----------------------------------------------------------------


def benign(p, t0=T0, seconds=30, rng=None, servers=("198.18.0.10", "198.18.0.11"),
           clients=("203.0.113.%d",)):
    """Web and DNS traffic of a small site: handshakes answered, small rates."""
    rng = rng or random.Random(1)
    for s in range(seconds):
        for i in range(40):
            t = t0 + s + i / 40.0
            client = clients[0] % rng.randint(1, 60)
            server = servers[i % len(servers)]
            sport = 20000 + (s * 40 + i) % 40000
            p.add(t, eth_ip(6, tcp(sport, 443, SYN), client, server))
            p.add(t + 0.001, eth_ip(6, tcp(443, sport, SYN | ACK), server, client))
            p.add(t + 0.002, eth_ip(6, tcp(sport, 443, ACK), client, server))
            p.add(t + 0.003, eth_ip(6, tcp(sport, 443, PSH | ACK, client_hello("www.example.org")), client, server))
            p.add(t + 0.010, eth_ip(6, tcp(443, sport, PSH | ACK, bytes(1200)), server, client))
            p.add(t + 0.020, eth_ip(6, tcp(sport, 443, FIN | ACK), client, server))
        # the site's resolver asks out and gets answers
        p.add(t0 + s + 0.5, eth_ip(17, udp(40000 + s, 53, dns_query("example.org", qid=s)), "198.18.0.53", "192.0.2.53"))
        p.add(t0 + s + 0.52, eth_ip(17, udp(53, 40000 + s, dns_response("example.org", qid=s)), "192.0.2.53", "198.18.0.53"))
        p.add(t0 + s + 0.7, eth_ip(1, icmp(8, 0, b"\0\1\0\1"), "203.0.113.200", "198.18.0.10"))
        p.add(t0 + s + 0.701, eth_ip(1, icmp(0, 0, b"\0\1\0\1"), "198.18.0.10", "203.0.113.200"))


def syn_flood(p, victim="198.18.0.10", t0=T0 + 10, seconds=2, pps=30000, rng=None):
    rng = rng or random.Random(2)
    n = int(seconds * pps)
    for i in range(n):
        src = "192.0.2.%d" % rng.randint(1, 254) if i % 2 else "198.51.100.%d" % rng.randint(1, 254)
        p.add(t0 + i / pps, eth_ip(6, tcp(rng.randint(1024, 65535), 80, SYN), src, victim))


def flood(p, kind, victim="198.18.0.12", t0=T0 + 12, seconds=1, pps=20000, rng=None):
    """A flood of one kind: ack, udp, icmp, fragment (non-first fragments)."""
    rng = rng or random.Random(3)
    for i in range(int(seconds * pps)):
        src = "192.0.2.%d" % rng.randint(1, 254)
        t = t0 + i / pps
        if kind == "ack":
            frame = eth_ip(6, tcp(rng.randint(1024, 65535), 443, ACK), src, victim)
        elif kind == "udp":
            frame = eth_ip(17, udp(rng.randint(1024, 65535), rng.randint(1, 65535), bytes(64)), src, victim)
        elif kind == "icmp":
            frame = eth_ip(1, icmp(8, 0, payload=bytes(56)), src, victim)
        elif kind == "fragment":
            frame = eth_ip(17, bytes(1000), src, victim, frag=185, ident=i & 0xffff)
        else:
            raise ValueError(kind)
        p.add(t, frame)


def amplification(p, port=53, victim="198.18.0.11", t0=T0 + 12, seconds=1, pps=20000, size=1400):
    payload = bytes(size - 42)
    for i in range(int(seconds * pps)):
        src = "192.0.2.%d" % (i % 200 + 1)
        p.add(t0 + i / pps, eth_ip(17, udp(port, 40000 + i % 1000, payload), src, victim))


def port_scan(p, scanner="203.0.113.66", victim="198.18.0.20", t0=T0 + 5, ports=range(1, 101)):
    for k, port in enumerate(ports):
        t = t0 + k * 0.01
        p.add(t, eth_ip(6, tcp(41000, port, SYN), scanner, victim))
        if port in (22, 80):
            p.add(t + 0.0005, eth_ip(6, tcp(port, 41000, SYN | ACK), victim, scanner))
        else:
            p.add(t + 0.0005, eth_ip(6, tcp(port, 41000, RST | ACK), victim, scanner))


def ssh_bruteforce(p, attacker="203.0.113.99", victim="198.18.0.22", t0=T0 + 3, tries=30):
    for k in range(tries):
        t = t0 + k * 0.8
        sport = 50000 + k
        p.add(t, eth_ip(6, tcp(sport, 22, SYN), attacker, victim))
        p.add(t + 0.001, eth_ip(6, tcp(22, sport, SYN | ACK), victim, attacker))
        p.add(t + 0.002, eth_ip(6, tcp(sport, 22, ACK), attacker, victim))
        p.add(t + 0.3, eth_ip(6, tcp(sport, 22, FIN | ACK), attacker, victim))


def indicator_traffic(p, t0=T0 + 1):
    """One packet for each place the matcher looks."""
    p.add(t0, eth_ip(6, tcp(44444, 443, SYN), "198.18.0.30", "198.51.100.7"))           # ip_dst
    p.add(t0 + 0.1, eth_ip(17, udp(40001, 53, dns_query("a.b.evil.example")), "198.18.0.53", "192.0.2.53"))
    p.add(t0 + 0.2, eth_ip(6, tcp(44445, 443, PSH | ACK, client_hello("c2.bad.example")), "198.18.0.31", "192.0.2.80"))
    p.add(t0 + 0.3, eth_ip(6, tcp(44446, 80, PSH | ACK, http_get("Phish.Example:8080", "/login")), "198.18.0.32", "192.0.2.81"))
    p.add(t0 + 0.4, eth_ip(6, tcp(443, 44447, SYN | ACK), "2001:db8:bad::1", "2001:db8:1::30"))  # ip_src, v6


# ---- split ClientHellos (TLS reassembly) ------------------------------------------


def client_hello_pq(sni, key_share=1216, record=16384):
    """A ClientHello shaped like a 2026 browser's: a hybrid post-quantum key
    share (X25519MLKEM768, 1216 bytes) and ECH GREASE around the server_name,
    about 1.8 KB, so it takes two or more TCP segments. `record` cuts the
    handshake message into TLS records of at most that many bytes."""
    name = sni.encode()
    ext = lambda t, body: struct.pack("!HH", t, len(body)) + body
    sni_ext = ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    groups = ext(10, struct.pack("!HHHH", 6, 0x11ec, 0x001d, 0x0017))
    share = ext(51, struct.pack("!HHH", key_share + 4, 0x11ec, key_share) + bytes([0x42]) * key_share)
    versions = ext(43, b"\x02\x03\x04")
    sigalgs = ext(13, struct.pack("!H", 16) + b"".join(struct.pack("!H", 0x0401 + i) for i in range(8)))
    ech = ext(0xfe0d, bytes([0x77]) * 250)
    alpn = ext(16, struct.pack("!H", 12) + b"\x02h2\x08http/1.1")
    exts = ext(0x0a0a, b"") + groups + share + versions + sigalgs + ech + sni_ext + alpn
    body = (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(32) + struct.pack("!H", 32) +
            b"".join(struct.pack("!H", 0x1301 + i) for i in range(16)) + b"\x01\x00" +
            struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    out = b""
    for off in range(0, len(hs), record):
        part = hs[off:off + record]
        out += b"\x16\x03\x01" + struct.pack("!H", len(part)) + part
    return out


def split_hello_connection(p, t, client, server, sport, sni, mss=536, record=16384,
                           order=None, repeat=(), isn=1000):
    """A handshake and a ClientHello sent in segments of mss bytes, with
    their real sequence numbers. order: the order of the segments (default
    as sent); repeat: indexes of segments sent twice (retransmissions)."""
    hello = client_hello_pq(sni, record=record)
    M = 0xffffffff
    segs = [((isn + 1 + off) & M, hello[off:off + mss]) for off in range(0, len(hello), mss)]
    p.add(t, eth_ip(6, tcp(sport, 443, SYN, seq=isn), client, server))
    p.add(t + 0.001, eth_ip(6, tcp(443, sport, SYN | ACK, seq=7000, ack=(isn + 1) & M), server, client))
    p.add(t + 0.002, eth_ip(6, tcp(sport, 443, ACK, seq=(isn + 1) & M, ack=7001), client, server))
    k = 0
    for i in (order if order is not None else range(len(segs))):
        for _ in range(2 if i in repeat else 1):
            seq, data = segs[i]
            p.add(t + 0.003 + k * 0.0001, eth_ip(6, tcp(sport, 443, PSH | ACK, data, seq=seq, ack=7001), client, server))
            k += 1
    p.add(t + 0.02, eth_ip(6, tcp(443, sport, PSH | ACK, bytes(1200), seq=7001, ack=(isn + 1 + len(hello)) & M), server, client))
    return len(segs)


def split_hellos(p, t0=T0 + 2):
    """ClientHellos that do not fit one segment, each naming a listed domain:
    two segments (IPv4, MSS 1460), four (MSS 536) with a retransmission and
    two swapped, over IPv6, and one spread over TLS records of 300 bytes.
    Interleaved with a benign split hello to another name."""
    split_hello_connection(p, t0, "198.18.0.40", "192.0.2.90", 45001, "pq.evil.example", mss=1460)
    split_hello_connection(p, t0 + 0.001, "198.18.0.44", "192.0.2.94", 45005, "www.example.org", mss=1460)
    split_hello_connection(p, t0 + 0.1, "198.18.0.41", "192.0.2.91", 45002, "small-mss.evil.example",
                           mss=536, order=[0, 2, 1, 3], repeat=(0,))
    split_hello_connection(p, t0 + 0.2, "2001:db8:1::41", "2001:db8:2::91", 45003, "v6.evil.example",
                           mss=1220, isn=0xfffffe00)
    split_hello_connection(p, t0 + 0.3, "198.18.0.42", "192.0.2.92", 45004, "records.evil.example",
                           mss=536, record=300)


def split_hellos_bench(p, n=50000, t0=T0, mss=536):
    """n connections, each a split ClientHello (4 segments at MSS 536) among
    its handshake and a server reply: the load of reassembly at its worst
    (every hello split), for bench figures."""
    rng = random.Random(9)
    names = ["host%d.example.net" % i for i in range(1000)]
    for i in range(n):
        client = "198.18.%d.%d" % (i // 250 % 250, i % 250 + 1)
        split_hello_connection(p, t0 + i * 0.0001, client, "192.0.2.%d" % (i % 200 + 1),
                               10000 + i % 50000, names[rng.randrange(1000)], mss=mss,
                               isn=rng.randrange(1 << 32))
