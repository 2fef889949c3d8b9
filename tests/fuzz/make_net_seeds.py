#!/usr/bin/env python3
"""Writes the seed corpora of the packet fuzz targets (net, dns, tls, http).

The packets are built field by field (tests/integration/pcapgen.py), so the
seeds are ours and can be made again: python3 tests/fuzz/make_net_seeds.py. Addresses come from the
documentation and benchmark ranges (192.0.2.0/24, 198.18.0.0/15, 2001:db8::/32).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from pcapgen import client_hello, dns_query, dns_response, eth, http_get, ip, ipv6, tcp, udp  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def ipv4(proto, payload, src=(198, 18, 0, 1), dst=(198, 18, 0, 2), frag=0, options=b""):
    return ip(proto, payload, ".".join(map(str, src)), ".".join(map(str, dst)), frag=frag,
              options=options)


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
