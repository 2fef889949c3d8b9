#!/usr/bin/env python3
"""Writes the seed corpora of the packet fuzz targets (net, dns, tls, http).

The packets are built here, field by field, so the seeds are ours and can be
made again: python3 tests/fuzz/make_net_seeds.py. Addresses come from the
documentation and benchmark ranges (192.0.2.0/24, 198.18.0.0/15, 2001:db8::/32).
"""

import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(name, qid=0x1234, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(name):
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    cname = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, 6) + b"\x03www\xc0\x0c"
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([198, 18, 0, 7])
    aaaa = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + bytes.fromhex("20010db8000000000000000000000001")
    return struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 3, 0, 0) + q + cname + a + aaaa


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    alpn = struct.pack("!HHH", 16, 5, 3) + b"\x02h2"
    exts = alpn + sni_ext
    body = b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(32) + struct.pack("!H", 4) + b"\x13\x01\x13\x02" + b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def http_get(host):
    return ("GET /index.html HTTP/1.1\r\nUser-Agent: seed\r\nHost: %s\r\nAccept: */*\r\n\r\n" % host).encode()


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, payload, src=(198, 18, 0, 1), dst=(198, 18, 0, 2), frag=0, options=b""):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 7, frag, 64, proto, 0,
                    bytes(src), bytes(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(nh, payload, ext=b""):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(ext) + len(payload), nh, 64) + src + dst + ext + payload


def tcp(sport, dport, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(ethertype, payload, vlans=()):
    h = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
    for v in vlans:
        h += struct.pack("!HH", 0x8100, v)
    return h + struct.pack("!H", ethertype) + payload


def write(folder, name, data):
    d = os.path.join(HERE, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    # net: first byte picks the link type (0 Ethernet, 1 raw IP, 2 Linux SLL).
    syn = ipv4(6, tcp(40000, 80, 0x02))
    write("net", "eth-ipv4-tcp-syn", b"\0" + eth(0x0800, syn))
    write("net", "eth-vlan-qinq-ipv4-udp-dns", b"\0" + eth(0x0800, ipv4(17, udp(5353, 53, dns_query("example.com")))), )
    write("net", "eth-qinq-udp", b"\0" + eth(0x0800, ipv4(17, udp(123, 4000, b"\x17" * 48)), vlans=(100, 200)))
    write("net", "raw-ipv4-icmp", b"\1" + ipv4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01"))
    write("net", "raw-ipv4-options", b"\1" + ipv4(6, tcp(1, 2, 0x10), options=b"\x01\x01\x07\x04\x00\x00\x00\x00"[:8]))
    write("net", "raw-ipv4-fragment", b"\1" + ipv4(17, b"later fragment", frag=0x2000 | 185))
    hop = struct.pack("!BB6s", 6, 0, bytes(6))
    write("net", "eth-ipv6-hop-tcp", b"\0" + eth(0x86dd, ipv6(0, tcp(443, 50000, 0x12), ext=hop)))
    frag6 = struct.pack("!BBHI", 17, 0, 1, 0xabcdef)
    write("net", "raw-ipv6-frag-udp", b"\1" + ipv6(44, udp(53, 53, dns_query("a.example")), ext=frag6))
    write("net", "raw-ipv6-icmpv6", b"\1" + ipv6(58, b"\x80\x00\x00\x00\x00\x01\x00\x01"))
    sll = struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800)
    write("net", "sll-ipv4-tcp", b"\2" + sll + syn)
    write("net", "eth-arp", b"\0" + eth(0x0806, bytes(28)))
    write("net", "eth-truncated-ipv4", b"\0" + eth(0x0800, syn[:12]))
    # dns
    write("dns", "query-a", dns_query("www.example.com"))
    write("dns", "query-aaaa-upper", dns_query("WWW.Example.ORG", qtype=28))
    write("dns", "response-cname-a-aaaa", dns_response("example.net"))
    write("dns", "pointer-loop", struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + b"\0\1\0\1")
    write("dns", "root-query", struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\0\0\2\0\1")
    # tls
    write("tls", "client-hello-sni", client_hello("evil.example"))
    write("tls", "client-hello-truncated", client_hello("cut.example")[:60])
    write("tls", "not-tls", b"SSH-2.0-OpenSSH_9.2\r\n")
    # http
    write("http", "get-host", http_get("Evil.Example:8080"))
    write("http", "get-ipv6-host", http_get("[2001:db8::1]:80"))
    write("http", "post-no-host", b"POST /login HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
    write("http", "double-host", b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n")
    write("http", "garbage", b"\x16\x03\x01\x00\x05hello")


if __name__ == "__main__":
    main()
