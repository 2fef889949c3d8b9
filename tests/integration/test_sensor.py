"""Integration: `fenghuo sensor` on capture files made by pcapgen: every
attack kind is detected and classified, benign traffic gives no alarm,
indicators from plain lists and STIX bundles match where they should, the
same file gives the same events, and bad usage gets a clear error."""

import json
import os
import re
import shutil
import tempfile
import unittest

import pcapgen as g
from fhtest import run

NETWORKS = "198.18.0.0/15,2001:db8:1::/48"


def events_of(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def of_type(evs, t):
    return [e for e in evs if e["event_type"] == t]


class SensorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fh-sensor-")
        # Readable by the unprivileged user the sensor becomes when run as root.
        os.chmod(cls.dir, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def pcap(self, name, *scenarios):
        p = g.Pcap()
        for s in scenarios:
            s(p)
        path = os.path.join(self.dir, name)
        p.write(path)
        return path

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sensor(self, *args):
        rc, out, err = run("sensor", "--networks", NETWORKS, *args, timeout=120)
        self.assertEqual(rc, 0, err)
        evs = events_of(out)
        self.assertEqual(evs[-1]["event_type"], "stats", "the last line is the stats event")
        return evs, err

    def test_benign_traffic_gives_no_attack_scan_or_bruteforce(self):
        evs, _ = self.sensor("--pcap", self.pcap("benign.pcap", g.benign))
        for t in ("attack_start", "scan", "bruteforce"):
            self.assertEqual(of_type(evs, t), [], t)
        stats = evs[-1]
        self.assertGreater(stats["packets"], 7000)
        self.assertEqual(stats["anomalies"], {})

    def test_syn_flood_is_detected_within_a_second_and_ended(self):
        evs, _ = self.sensor("--pcap", self.pcap("syn.pcap", g.benign, g.syn_flood))
        starts = of_type(evs, "attack_start")
        self.assertEqual(len(starts), 1)
        s = starts[0]
        self.assertEqual(s["attack_type"], "syn_flood")
        self.assertEqual(s["victim"], "198.18.0.10")
        # the flood starts at T0+10 s (11:06:50 in packet time)
        self.assertTrue(s["time"].startswith("2026-11-18T11:06:50."), s["time"])
        self.assertGreater(s["fingerprint"]["tcp_flags"]["syn"], 0)
        self.assertEqual(s["fingerprint"]["top_destination_ports"][0]["port"], 80)
        ends = of_type(evs, "attack_end")
        self.assertEqual([e["attack_id"] for e in ends], [s["attack_id"]])
        self.assertGreater(ends[0]["packets"], 50000)

    def test_amplification_kinds_are_named_by_source_port(self):
        for port, kind in ((53, "dns"), (123, "ntp"), (11211, "memcached"), (1900, "ssdp")):
            path = self.pcap("amp%d.pcap" % port, g.benign,
                             lambda p, port=port: g.amplification(p, port=port))
            evs, _ = self.sensor("--pcap", path)
            starts = of_type(evs, "attack_start")
            self.assertEqual([e["attack_type"] for e in starts], [kind + "_amplification"])
            self.assertEqual(starts[0]["victim"], "198.18.0.11")

    def test_every_flood_kind_is_classified_over_benign_traffic(self):
        for kind in ("ack", "udp", "icmp", "fragment"):
            path = self.pcap("flood-%s.pcap" % kind, g.benign,
                             lambda p, kind=kind: g.flood(p, kind))
            evs, _ = self.sensor("--pcap", path)
            starts = of_type(evs, "attack_start")
            self.assertEqual([(e["attack_type"], e["victim"]) for e in starts],
                             [(kind + "_flood", "198.18.0.12")])
        for port, name in ((389, "cldap"), (161, "snmp"), (19, "chargen")):
            path = self.pcap("amp-%s.pcap" % name, g.benign,
                             lambda p, port=port: g.amplification(p, port=port))
            evs, _ = self.sensor("--pcap", path)
            self.assertEqual([e["attack_type"] for e in of_type(evs, "attack_start")],
                             [name + "_amplification"])

    def test_port_scan_is_flagged_within_five_failed_probes(self):
        evs, _ = self.sensor("--pcap", self.pcap("scan.pcap", g.benign, g.port_scan))
        scans = of_type(evs, "scan")
        self.assertEqual(len(scans), 1)
        self.assertEqual(scans[0]["scanner"], "203.0.113.66")
        self.assertEqual(scans[0]["kind"], "vertical")
        self.assertLessEqual(scans[0]["failures"], 5)
        self.assertEqual(scans[0]["targets"], ["198.18.0.20"])

    def test_ssh_brute_force_is_reported(self):
        evs, _ = self.sensor("--pcap", self.pcap("bf.pcap", g.benign, g.ssh_bruteforce))
        bf = of_type(evs, "bruteforce")
        self.assertEqual(len(bf), 1)
        self.assertEqual((bf[0]["attacker"], bf[0]["victim"], bf[0]["service"]),
                         ("203.0.113.99", "198.18.0.22", "ssh"))
        self.assertEqual(of_type(evs, "scan"), [])

    def test_plain_list_matches_addresses_dns_sni_and_http(self):
        lst = self.file("list.txt", "# fenghuo test list\n198.51.100.7\nevil.example\n"
                        "c2.bad.example  # C2\nphish.example\n2001:db8:bad::/48\n")
        evs, _ = self.sensor("--pcap", self.pcap("ind.pcap", g.indicator_traffic),
                             "--indicators", lst)
        got = {(e["where"], e["value"]) for e in of_type(evs, "indicator_match")}
        self.assertEqual(got, {("ip_dst", "198.51.100.7"), ("dns_query", "evil.example"),
                               ("tls_sni", "c2.bad.example"), ("http_host", "phish.example"),
                               ("ip_src", "2001:db8:bad::/48")})
        m = [e for e in of_type(evs, "indicator_match") if e["where"] == "ip_dst"][0]
        self.assertEqual(m["indicator"], lst.replace(lst, "list:" + lst) + ":2")

    def test_match_lines_are_those_jansson_writes(self):
        # indicator_match lines are written without jansson when nothing in
        # them needs escaping (sensor.c, emit_match); a list whose name must
        # be escaped takes the JSON path. Apart from that name the lines are
        # byte for byte the same, aggregated events and overflow included.
        body = ("198.51.100.7\nevil.example\nc2.bad.example\nphish.example\n"
                "2001:db8:bad::/48\n203.0.113.0/24\n198.18.0.0/16\n")
        plain = self.file("esc-plain.txt", body)
        quoted = self.file('esc-"q".txt', body)
        path = self.pcap("esc.pcap", g.benign, g.indicator_traffic, g.syn_flood)
        outs = []
        for lst in (plain, quoted):
            rc, out, err = run("sensor", "--networks", NETWORKS, "--pcap", path, "--indicators",
                               lst, timeout=120)
            self.assertEqual(rc, 0, err)
            outs.append([line for line in out.splitlines()
                         if '"event_type":"indicator_match"' in line])
        self.assertGreater(len(outs[0]), 10)
        esc = json.dumps("list:" + quoted)[1:-1]  # the name as JSON writes it
        self.assertIn(esc, outs[1][0])
        self.assertEqual([line.replace(esc, "list:" + plain) for line in outs[1]], outs[0])

    def test_stix_indicators_match_and_name_the_indicator(self):
        bundle = {"type": "bundle", "id": "bundle--1a2b3c4d-0000-4000-8000-000000000001",
                  "objects": [
                      {"type": "indicator", "spec_version": "2.1",
                       "id": "indicator--1a2b3c4d-0000-4000-8000-000000000002",
                       "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[ipv4-addr:value = '198.51.100.0/24'] OR [domain-name:value = 'evil.example']",
                       "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"},
                      {"type": "indicator", "spec_version": "2.1",
                       "id": "indicator--1a2b3c4d-0000-4000-8000-000000000003",
                       "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[url:value = 'http://phish.example/login']",
                       "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"},
                      {"type": "indicator", "spec_version": "2.1",
                       "id": "indicator--1a2b3c4d-0000-4000-8000-000000000004",
                       "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[file:name = 'invoice.exe']",
                       "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}]}
        path = self.file("ind.json", json.dumps(bundle))
        evs, err = self.sensor("--pcap", self.pcap("ind2.pcap", g.indicator_traffic),
                               "--indicators", path)
        got = {(e["where"], e["indicator"][-1]) for e in of_type(evs, "indicator_match")}
        self.assertEqual(got, {("ip_dst", "2"), ("dns_query", "2"), ("http_url", "3")})
        self.assertIn("1 not matchable in traffic", err)

    def test_pattern_conditions_beside_the_value_are_checked(self):
        def ind(n, pattern):
            return {"type": "indicator", "spec_version": "2.1",
                    "id": "indicator--1a2b3c4d-0000-4000-8000-%012d" % n,
                    "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                    "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}
        objs = [
            # the traffic has a SYN from 198.18.0.30 to 198.51.100.7 port 443
            ind(11, "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]"),
            ind(12, "[network-traffic:dst_ref.value = '198.51.100.0/24' AND network-traffic:dst_port = 80]"),
            ind(13, "[network-traffic:src_ref.value = '198.51.100.7/32']"),
            ind(14, "[domain-name:value = 'evil.example'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'"),
        ]
        for i, o in enumerate(objs):
            path = self.file("cond%d.json" % i, json.dumps(o))
            evs, _ = self.sensor("--pcap", self.pcap("cond.pcap", g.indicator_traffic),
                                 "--indicators", path)
            got = [(e["where"], e["indicator"][-2:]) for e in of_type(evs, "indicator_match")]
            self.assertEqual(got, [("ip_dst", "11")] if i == 0 else [], o["pattern"])

    def test_same_file_gives_same_events(self):
        path = self.pcap("det.pcap", g.benign, g.syn_flood, g.port_scan)

        def stable(evs):
            out = []
            for e in evs:
                e = dict(e)
                e.pop("attack_id", None)
                if e["event_type"] == "stats":
                    e.pop("wall_seconds")
                    e.pop("pps")
                    e.pop("workers")
                out.append(json.dumps(e, sort_keys=True))
            return out

        a, _ = self.sensor("--pcap", path)
        b, _ = self.sensor("--pcap", path)
        self.assertEqual(stable(a), stable(b))

    def test_workers_give_the_same_events_as_one_worker(self):
        # Every scenario in one file, indicators too: with 2 and 4 workers the
        # events are those of one worker, in the same order; per-worker counts
        # add up to the totals.
        lst = self.file("wk-list.txt", "198.51.100.7\nevil.example\nc2.bad.example\n"
                        "phish.example\n2001:db8:bad::/48\n203.0.113.66\n")
        path = self.pcap("wk.pcap", g.benign, g.syn_flood, g.port_scan, g.ssh_bruteforce,
                         g.indicator_traffic, lambda p: g.flood(p, "fragment"),
                         lambda p: g.flood(p, "icmp", victim="198.18.0.13"),
                         lambda p: g.amplification(p, port=123), g.split_hellos)

        def stable(evs):
            out = []
            for e in evs:
                e = dict(e)
                e.pop("attack_id", None)
                if e["event_type"] == "stats":
                    for k in ("wall_seconds", "pps", "workers"):
                        e.pop(k)
                out.append(json.dumps(e, sort_keys=True))
            return out

        runs = {}
        for n in (1, 2, 4):
            evs, _ = self.sensor("--pcap", path, "--indicators", lst, "--workers", str(n))
            runs[n] = evs
            per = evs[-1]["workers"]
            self.assertEqual(len(per), n)
            self.assertEqual(sum(w["packets"] for w in per), evs[-1]["packets"])
            self.assertEqual(sum(w["bytes"] for w in per), evs[-1]["bytes"])
            if n > 1:
                self.assertTrue(all(w["packets"] > 0 for w in per), per)
        kinds = {e["event_type"] for e in runs[1]}
        self.assertTrue({"attack_start", "attack_end", "scan", "bruteforce",
                         "indicator_match"} <= kinds, kinds)
        # ClientHellos split over segments are reassembled by the worker that
        # gets their flow, so every worker count matches them all.
        self.assertIn("tls_sni", {e["where"] for e in of_type(runs[1], "indicator_match")})
        self.assertEqual(runs[1][-1]["tls_reassembly"]["completed"], 5)
        self.assertEqual(stable(runs[2]), stable(runs[1]))
        self.assertEqual(stable(runs[4]), stable(runs[1]))

    def test_workers_limit_is_enforced(self):
        for bad in ("0", "65", "x"):
            rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap", "/dev/null",
                             "--workers", bad)
            self.assertEqual(rc, 2)
            self.assertIn("--workers", err)
            self.assertIn("1 to 64", err)

    def test_workers_pinned_to_cpus_give_the_same_events(self):
        path = self.pcap("pin.pcap", g.benign, g.syn_flood, g.port_scan)
        a, _ = self.sensor("--pcap", path, "--workers", "2")
        b, _ = self.sensor("--pcap", path, "--workers", "2", "--cpus", "0")
        strip = lambda evs: [e["event_type"] for e in evs]
        self.assertEqual(strip(a), strip(b))
        self.assertIn("attack_start", strip(b))
        for cpus, want in (("x", "give CPU numbers"), ("3-1", "give CPU numbers"),
                           ("0,", "give CPU numbers"), ("1023", "cannot pin worker 0 to CPU 1023")):
            rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap", path, "--workers", "2",
                             "--cpus", cpus)
            self.assertEqual(rc, 2, err)
            self.assertIn(want, err)
        rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap", path, "--cpus", "0")
        self.assertEqual(rc, 2)
        self.assertIn("--cpus pins worker threads", err)

    def test_host_group_thresholds_from_the_config_file(self):
        # 4,000 pps of SYN: under the default floor (10,000), over the group's (2,000).
        slow = lambda p, victim: g.syn_flood(p, victim=victim, seconds=2, pps=4000)
        path = self.pcap("groups.pcap", g.benign,
                         lambda p: slow(p, "198.18.0.10"), lambda p: slow(p, "198.18.0.11"))
        conf = self.file("sensor.conf", "# test\nend_quiet = 5\n\n[group web]\n"
                         "prefixes = 198.18.0.10/32, 2001:db8:1::/64\nsyn_pps = 2000\n")
        evs, _ = self.sensor("--pcap", path, "--config", conf)
        self.assertEqual([(e["attack_type"], e["victim"]) for e in of_type(evs, "attack_start")],
                         [("syn_flood", "198.18.0.10")])
        # A command-line option overrides the file, wherever it stands.
        evs, _ = self.sensor("--threshold-pps", "3000", "--pcap", path, "--config", conf)
        self.assertEqual(sorted(e["victim"] for e in of_type(evs, "attack_start")),
                         ["198.18.0.10", "198.18.0.11"])

    def test_config_errors_name_file_and_line(self):
        pcap = self.pcap("c.pcap", g.port_scan)
        for text, fragment in (("colour = blue\n", ":1: unknown setting 'colour'"),
                               ("[group x]\nsyn_pps = 5\n", "[group x] has no 'prefixes'"),
                               ("[group x]\nprefixes = evil.example\n", ":2: 'evil.example' is not"),
                               ("[zone x]\n", "unknown section [zone x]"),
                               ("end_quiet = -1\n", ":1: end_quiet: invalid value")):
            conf = self.file("bad.conf", text)
            rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap", pcap, "--config", conf)
            self.assertEqual(rc, 2, text)
            self.assertIn(fragment, err, text)

    def test_enforce_dry_run_blocks_scanners_and_brute_forcers_only(self):
        path = self.pcap("enf.pcap", g.benign, g.port_scan, g.ssh_bruteforce, g.syn_flood)
        evs, err = self.sensor("--pcap", path, "--enforce", "nft", "--enforce-dry-run",
                               "--enforce-ttl", "600")
        blocked = re.findall(r"add element inet fenghuo_sensor addr4 \{ ([0-9.]+) timeout 600s \}",
                             err)
        self.assertEqual(sorted(blocked), ["203.0.113.66", "203.0.113.99"])
        self.assertEqual(evs[-1]["enforce"], {"block_requests": 2, "block_requests_dropped": 0,
                                              "collection_updates": 0,
                                              "collection_update_errors": 0,
                                              "collection_entries": 0,
                                              "collection_indicators_skipped": 0})

    def test_events_go_to_a_file(self):
        out = os.path.join(self.dir, "events.jsonl")
        rc, stdout, err = run("sensor", "--networks", NETWORKS, "--pcap",
                              self.pcap("f.pcap", g.port_scan), "--events", out)
        self.assertEqual(rc, 0, err)
        self.assertEqual(stdout, "")
        with open(out) as f:
            evs = events_of(f.read())
        self.assertEqual(len(of_type(evs, "scan")), 1)

    def test_usage_errors_say_what_to_fix(self):
        pcap = self.pcap("u.pcap", g.port_scan)
        cases = [
            (["sensor", "--pcap", pcap], "--networks is required"),
            (["sensor", "--networks", "evil.example", "--pcap", pcap], "not an IPv4 or IPv6 prefix"),
            (["sensor", "--networks", "10.0.0.0/33", "--pcap", pcap], "prefix length"),
            (["sensor", "--networks", NETWORKS], "either --pcap"),
            (["sensor", "--networks", NETWORKS, "--pcap", "/nonexistent.pcap"], "/nonexistent.pcap"),
            (["sensor", "--networks", NETWORKS, "--pcap", pcap, "--threshold-pps", "0"], "--threshold-pps"),
            (["sensor", "--networks", NETWORKS, "--pcap", pcap, "--indicators", "/nonexistent.txt"],
             "cannot read"),
        ]
        for args, text in cases:
            rc, _, err = run(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn(text, err, args)

    def test_capture_file_formats_give_the_same_events(self):
        # The sensor reads classic pcap files itself and leaves the rest to
        # libpcap (lib/sensor/sensor.c, "reading capture files"): the same
        # packets in either byte order, with nanosecond times, as pcapng,
        # and with records libpcap must truncate give the same events; a
        # file cut short in a record is an error after its whole packets.
        import struct
        lst = self.file("fmt-list.txt", "198.51.100.7\nevil.example\nc2.bad.example\n"
                        "phish.example\n203.0.113.66\n")
        plain = self.pcap("fmt.pcap", g.benign, g.syn_flood, g.port_scan, g.indicator_traffic,
                          g.split_hellos)
        with open(plain, "rb") as f:
            data = f.read()
        recs = []
        off = 24
        while off < len(data):
            sec, usec, caplen, length = struct.unpack_from("<IIII", data, off)
            recs.append((sec, usec, length, data[off + 16:off + 16 + caplen]))
            off += 16 + caplen

        def write(name, blob):
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(blob)
            return path

        def classic(order, magic, scale=1, snaplen=65535, pad=0, cut=False):
            out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, 1)]
            for sec, usec, length, frame in recs:
                # pad: zero bytes after each frame; cut: as libpcap cuts a
                # record longer than the snapshot length
                frame = frame + bytes(pad)
                if cut:
                    frame = frame[:snaplen]
                out.append(struct.pack(order + "IIII", sec, usec * scale, len(frame),
                                       length + pad) + frame)
            return b"".join(out)

        def pcapng():
            def block(kind, body):
                body += bytes(-len(body) % 4)
                n = 12 + len(body)
                return struct.pack("<II", kind, n) + body + struct.pack("<I", n)
            out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
                   block(1, struct.pack("<HHI", 1, 0, 65535))]
            for sec, usec, length, frame in recs:
                t = sec * 1000000 + usec
                out.append(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff, len(frame),
                                                length) + frame))
            return b"".join(out)

        def stable(evs):
            out = []
            for e in evs:
                e = dict(e)
                e.pop("attack_id", None)
                if e["event_type"] == "stats":
                    for k in ("wall_seconds", "pps", "workers"):
                        e.pop(k)
                out.append(json.dumps(e, sort_keys=True))
            return out

        want, _ = self.sensor("--pcap", plain, "--indicators", lst)
        self.assertTrue(of_type(want, "indicator_match"))
        longest = max(len(r[3]) for r in recs)
        variants = {
            "big-endian": write("fmt-be.pcap", classic(">", 0xa1b2c3d4)),
            "nanoseconds": write("fmt-ns.pcap", classic("<", 0xa1b23c4d, scale=1000)),
            "pcapng": write("fmt.pcapng", pcapng()),
        }
        for name, path in variants.items():
            for workers in ("1", "2"):
                got, _ = self.sensor("--pcap", path, "--indicators", lst, "--workers", workers)
                self.assertEqual(stable(got), stable(want), "%s, %s worker(s)" % (name, workers))
        # The longest records 8 bytes over the snapshot length: libpcap cuts
        # them, as if the file held them cut.
        over = write("fmt-over.pcap", classic("<", 0xa1b2c3d4, snaplen=longest, pad=8))
        cut = write("fmt-cut-ref.pcap", classic("<", 0xa1b2c3d4, snaplen=longest, pad=8, cut=True))
        ref, _ = self.sensor("--pcap", cut, "--indicators", lst)
        self.assertEqual(ref[-1]["packets"], len(recs))
        for workers in ("1", "2"):
            got, _ = self.sensor("--pcap", over, "--indicators", lst, "--workers", workers)
            self.assertEqual(stable(got), stable(ref), "over the snapshot length, %s" % workers)
        # Cut in the middle of the last record's data, then in its header.
        last = 16 + len(recs[-1][3])
        for cut, what in ((3, "data"), (last - 6, "header")):
            path = write("fmt-cut.pcap", data[:len(data) - cut])
            for workers in ("1", "2"):
                rc, out, err = run("sensor", "--networks", NETWORKS, "--pcap", path,
                                   "--workers", workers, timeout=120)
                self.assertNotEqual(rc, 0, what)
                self.assertIn("truncated", err, what)
                self.assertIn(path, err)
                evs = events_of(out)
                self.assertEqual(evs[-1]["packets"], len(recs) - 1, (what, workers))

    def test_not_a_capture_file_is_an_error(self):
        path = self.file("notpcap.pcap", "hello")
        rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap", path)
        self.assertEqual(rc, 2)
        self.assertIn(path, err)

    @unittest.skipUnless(os.geteuid() == 0, "privilege drop needs root")
    def test_unknown_user_for_privilege_drop_is_refused(self):
        rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap",
                         self.pcap("p.pcap", g.port_scan), "--user", "no-such-user-fh")
        self.assertEqual(rc, 2)
        self.assertIn("no such user", err)

    def test_help_is_complete(self):
        rc, out, _ = run("sensor", "--help")
        self.assertEqual(rc, 0)
        for opt in ("--pcap", "--interface", "--networks", "--indicators", "--events", "--user"):
            self.assertIn(opt, out)


    def test_split_client_hello_sni_is_reassembled_and_matched(self):
        # Post-quantum-sized hellos in 2-4 segments (one retransmitted, two
        # swapped, one over IPv6, one over several TLS records): each names a
        # listed domain in its SNI, which is in none of its first segments.
        lst = self.file("split.txt", "evil.example\n")
        path = self.pcap("split.pcap", g.benign, g.split_hellos)
        evs, _ = self.sensor("--pcap", path, "--indicators", lst)
        got = sorted((e["where"], e["src"], e["dst"], e["dport"])
                     for e in of_type(evs, "indicator_match"))
        self.assertEqual(got, [("tls_sni", "198.18.0.40", "192.0.2.90", 443),
                               ("tls_sni", "198.18.0.41", "192.0.2.91", 443),
                               ("tls_sni", "198.18.0.42", "192.0.2.92", 443),
                               ("tls_sni", "2001:db8:1::41", "2001:db8:2::91", 443)])
        st = evs[-1]["tls_reassembly"]
        self.assertEqual((st["started"], st["completed"], st["retransmits"], st["out_of_order"]),
                         (5, 5, 1, 1))
        self.assertEqual((st["gaps"], st["overflow"], st["evictions"], st["timeouts"],
                          st["malformed"], st["active"]), (0, 0, 0, 0, 0, 0))
        self.assertEqual(evs[-1]["anomalies"], {})
        # Without reassembly the same file matches nothing: the test can fail.
        conf = self.file("noreasm.conf", "tls_reassembly_flows = 0\n")
        evs, _ = self.sensor("--pcap", path, "--indicators", lst, "--config", conf)
        self.assertEqual(of_type(evs, "indicator_match"), [])
        self.assertEqual(evs[-1]["tls_reassembly"]["started"], 0)

    def test_tls_reassembly_settings_are_checked(self):
        conf = self.file("badreasm.conf", "tls_reassembly_bytes = 100\n")
        rc, _, err = run("sensor", "--networks", NETWORKS, "--pcap",
                         self.pcap("p2.pcap", g.port_scan), "--config", conf)
        self.assertEqual(rc, 2)
        self.assertIn("tls_reassembly_bytes", err)

if __name__ == "__main__":
    unittest.main()
