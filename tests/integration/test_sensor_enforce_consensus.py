"""Integration: `fenghuo sensor --enforce nft --enforce-collection consensus`
keeps its nftables sets in step with the hub's consensus collection
(docs/sensor.md, "Blocking"; docs/SHARING.md, "Trust and consensus").

Two organizations report an attacker at TLP:GREEN, the hub publishes it in
`consensus`, and a running sensor blocks it; a third organization's opinions
revoke it and the sensor unblocks it. A collection followed with `--follow`
only is matched, never blocked, and addresses inside the protected networks
are never blocked.

- SensorEnforcesConsensusDryRun: the sensor's helper prints its nftables
  transactions (`--enforce-dry-run`); runs as any user. The sensor runs on
  a flow listener (it reads until stopped) so no capture privilege is needed.
- SensorEnforcesConsensusFirewall: the real kernel, in two network
  namespaces the test creates: the hub and a live sensor on the defender's
  side, an attacker in the other; the set is read with `nft list set` and
  the attacker's TCP connections are dropped, then pass again.

Every wait polls with a timeout; nothing asserts a duration.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import FENGHUO, Hub, Setup, admin, request, wait_until  # noqa: E402
from nstest import CAN_RUN_NFT, Namespaces, sh, stop  # noqa: E402

API = "/api/"


def now_ts():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t % 1 * 1000)


def indicator(value):
    ts = now_ts()
    return {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid4(),
            "created": ts, "modified": ts, "pattern": "[ipv4-addr:value = '%s']" % value,
            "pattern_type": "stix", "valid_from": ts}


def opinion(refs, value="strongly-disagree"):
    ts = now_ts()
    return {"type": "opinion", "spec_version": "2.1", "id": "opinion--%s" % uuid.uuid4(),
            "created": ts, "modified": ts, "opinion": value, "object_refs": refs}


class Output:
    """Collects a process's stream line by line in a thread."""

    def __init__(self, stream):
        self.lines = []
        self.stream = stream
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.stream:
            self.lines.append(line)

    def has(self, text):
        return any(text in line for line in list(self.lines))

    def text(self):
        return "".join(self.lines)


def community(testcase):
    """Organizations u, v and w, and a collection "feed" they read and write
    whose default is TLP:GREEN (so their reports count for consensus)."""
    s = Setup()
    testcase.addCleanup(s.cleanup)
    os.chmod(s.tmp, 0o755)  # the sensor's events file, written as nobody
    for name in ["u", "v", "w"]:
        s.org(name)
    coll = s.collection("feed", {name: "read,write" for name in ["u", "v", "w"]})
    admin(s.data, "collection", "set", coll, "--default-tlp", "green")
    return s, coll


def start_sensor(testcase, token, argv):
    """Starts a sensor (stopped by testcase's cleanups); returns it and the
    Output of its standard error."""
    sensor = subprocess.Popen(argv, env=dict(os.environ, FENGHUO_TOKEN=token),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = Output(sensor.stderr)

    def finish():
        stop(sensor)
        err.thread.join(timeout=10)
        sensor.stderr.close()
    testcase.addCleanup(finish)
    return sensor, err


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SensorEnforcesConsensusDryRun(unittest.TestCase):
    ATTACKER = "203.0.113.77"
    PREFIX = "203.0.113.128/25"
    MATCH_ONLY = "203.0.113.88"  # in the followed feed only, never in consensus
    PROTECTED = "198.18.0.50"    # inside --networks

    def setUp(self):
        self.setup, self.coll = community(self)
        self.hub = Hub(self.setup.data, "--consensus-interval", "1", "--consensus-half-life",
                       "address=120s")
        self.addCleanup(self.hub.stop)
        self.tmp = tempfile.mkdtemp(prefix="fh-sencons-")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def post(self, org, objects):
        r = request(self.hub.base, API + "collections/%s/objects/" % self.coll, method="POST",
                    token=self.setup.tokens[org], body={"objects": objects})
        self.assertEqual(r.status, 202, r.body)

    def test_consensus_is_blocked_and_unblocked_and_a_followed_feed_is_not(self):
        events = os.path.join(self.tmp, "events.jsonl")
        sensor, err = start_sensor(
            self, self.setup.tokens["w"],
            [FENGHUO, "sensor", "--netflow", "127.0.0.1:%d" % free_udp_port(), "--networks",
             "198.18.0.0/15", "--events", events, "--hub", self.hub.base, "--follow", self.coll,
             "--follow-interval", "1", "--enforce", "nft", "--enforce-collection", "consensus",
             "--enforce-dry-run", "--enforce-ttl", "600"])
        self.assertTrue(wait_until(lambda: err.has("add table inet fenghuo_sensor"), 30),
                        err.text())
        # One organization: in the followed feed (matched), not in consensus.
        i1, i2 = indicator(self.ATTACKER), indicator(self.ATTACKER)
        p1, p2 = indicator(self.PREFIX), indicator(self.PREFIX)
        m1 = indicator(self.MATCH_ONLY)
        g1, g2 = indicator(self.PROTECTED), indicator(self.PROTECTED)
        self.post("u", [i1, p1, m1, g1])
        # The second organization: published, so blocked until valid_until
        # (at most 120 s x log2(2 / 1.5) = 50 s, and a second of rounding).
        self.post("v", [i2, p2, g2])
        self.assertTrue(wait_until(
            lambda: err.has("add element inet fenghuo_sensor addr4 { %s timeout" % self.ATTACKER),
            30), err.text())
        add = [line for line in err.lines if "%s timeout" % self.ATTACKER in line][0]
        secs = int(add.split("%s timeout " % self.ATTACKER)[1].split("s")[0])
        self.assertGreater(secs, 0)
        self.assertLessEqual(secs, 51)
        self.assertTrue(wait_until(
            lambda: err.has("add element inet fenghuo_sensor net4 { %s timeout" % self.PREFIX),
            30), err.text())
        # The protected network is published too, and never blocked.
        self.assertTrue(wait_until(
            lambda: err.has("not blocking %s: it overlaps the allowlist" % self.PROTECTED), 30),
            err.text())
        # w disputes both of the attacker's reports: revoked, so unblocked.
        # (The opinions lower u's and v's trust, so the prefix they reported
        # is withdrawn too.)
        self.post("w", [opinion([i1["id"], i2["id"]])])
        self.assertTrue(wait_until(
            lambda: err.has("delete element inet fenghuo_sensor addr4 { %s }" % self.ATTACKER),
            30), err.text())
        self.assertTrue(wait_until(
            lambda: err.has("delete element inet fenghuo_sensor net4 { %s }" % self.PREFIX),
            30), err.text())
        self.assertEqual(stop(sensor), 0, err.text())
        err.thread.join(timeout=10)
        added = [line for line in err.lines if line.startswith("add element")]
        # Matched, never blocked: the feed followed with --follow only.
        self.assertFalse([line for line in added if self.MATCH_ONLY in line], err.text())
        self.assertFalse([line for line in added if self.PROTECTED in line], err.text())
        with open(events) as f:
            stats = [json.loads(line) for line in f if line.strip()][-1]
        self.assertEqual(stats["event_type"], "stats")
        # The feed's seven indicators (one of them the match-only address)
        # are held for matching; the consensus ones were all revoked.
        self.assertEqual(stats["following"]["indicators_held"], 7)
        self.assertEqual(stats["following"]["indicators_enforced"], 0)
        self.assertGreaterEqual(stats["enforce"]["collection_updates"], 2)
        self.assertEqual(stats["enforce"]["collection_update_errors"], 0)

    def test_enforce_collection_needs_enforce_and_a_hub(self):
        for args, want in ((["--hub", self.hub.base, "--enforce-collection", "consensus"],
                            "go with --enforce nft"),
                           (["--enforce", "nft", "--enforce-collection", "consensus"],
                            "go with --hub"),
                           (["--enforce", "nft", "--enforce-allow", "not-an-address"],
                            "--enforce-allow: 'not-an-address' is not an address or prefix")):
            p = subprocess.run([FENGHUO, "sensor", "--netflow",
                                "127.0.0.1:%d" % free_udp_port(), "--networks",
                                "198.18.0.0/15", "--enforce-dry-run", *args],
                               env=dict(os.environ, FENGHUO_TOKEN=self.setup.tokens["w"]),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(want, p.stderr)


@unittest.skipUnless(CAN_RUN_NFT, "needs root, iproute2 and nftables")
class SensorEnforcesConsensusFirewall(unittest.TestCase):
    """The hub and `fenghuo sensor --interface` run in the defender's
    namespace; an attacker address in the other namespace is dropped once
    two organizations report it and reaches the defender again once the
    value is revoked. A bystander address of the same host is never
    dropped."""

    ATTACKER, BYSTANDER, DEFENDER = "198.18.5.1", "198.18.5.9", "198.18.5.2"

    def setUp(self):
        self.ns = Namespaces(self, "s", self.ATTACKER, self.BYSTANDER, self.DEFENDER)
        self.setup, self.coll = community(self)
        self.ns.start_hub(self.setup, "--consensus-interval", "1")

    def post(self, org, objects):
        self.ns.post(self.coll, self.setup.tokens[org], objects)

    def in_set(self, addr):
        p = sh(*self.ns.defender_cmd("nft", "list", "set", "inet", "fenghuo_sensor", "addr4"),
               check=False)
        return addr in p.stdout

    def test_consensus_blocks_an_attacker_and_revocation_unblocks_it(self):
        reaches = self.ns.reaches
        self.assertTrue(wait_until(lambda: reaches(self.ATTACKER), 10))
        events = os.path.join(self.setup.tmp, "events.jsonl")
        sensor, err = start_sensor(
            self, self.setup.tokens["w"],
            self.ns.defender_cmd(FENGHUO, "sensor", "--interface", self.ns.vb, "--networks",
                                 self.DEFENDER + "/32", "--buffer", "8", "--events", events,
                                 "--hub", self.ns.hub_url, "--follow-interval", "1",
                                 "--enforce", "nft", "--enforce-collection", "consensus"))
        # The helper has set up its table.
        self.assertTrue(wait_until(lambda: sh(*self.ns.defender_cmd(
            "nft", "list", "table", "inet", "fenghuo_sensor"), check=False).returncode == 0, 30),
            err.text())
        i1, i2 = indicator(self.ATTACKER), indicator(self.ATTACKER)
        self.post("u", [i1])
        self.post("v", [i2])
        self.assertTrue(wait_until(lambda: self.in_set(self.ATTACKER), 30), err.text())
        self.assertTrue(wait_until(lambda: not reaches(self.ATTACKER), 30),
                        "the published attacker still reaches the defender")
        self.assertTrue(reaches(self.BYSTANDER))
        self.post("w", [opinion([i1["id"], i2["id"]])])
        self.assertTrue(wait_until(lambda: not self.in_set(self.ATTACKER), 30), err.text())
        self.assertTrue(wait_until(lambda: reaches(self.ATTACKER), 30),
                        "the revoked attacker is still blocked")
        self.assertEqual(stop(sensor), 0, err.text())
        with open(events) as f:
            stats = [json.loads(line) for line in f if line.strip()][-1]
        self.assertEqual(stats["event_type"], "stats")
        self.assertGreaterEqual(stats["enforce"]["collection_updates"], 2)
        self.assertGreater(stats["packets"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
