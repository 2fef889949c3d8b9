"""Crash test: kill -9 the hub at a random moment during concurrent ingest,
restart it, and check that every object a status resource reported as stored
("complete") is there, and that SQLite's integrity_check says ok.

A few rounds run in `make test`; bench/hub-crash runs it with
FH_CRASH_ROUNDS=20 (or more). FH_CRASH_SEED makes the kill moments
reproducible; the seed is printed.
"""
import os
import random
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import Hub, Setup, indicator, request  # noqa: E402

ROUNDS = int(os.environ.get("FH_CRASH_ROUNDS", "3"))
CLIENTS = 4
BATCH = 100


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)
        self.token = self.setup.org("acme")
        self.cid = self.setup.collection("crash", {"acme": "read,write"})
        self.seed = int(os.environ.get("FH_CRASH_SEED", str(int(time.time()))))
        print("crash test: seed %d, %d rounds" % (self.seed, ROUNDS), file=sys.stderr)
        self.rng = random.Random(self.seed)
        self.acked = set()
        self.lock = threading.Lock()

    def ingest(self, hub, client, round_no, stop):
        url = "/api/collections/%s/objects/" % self.cid
        batch_no = 0
        while not stop.is_set() and batch_no < 10000:
            base = ((round_no * CLIENTS + client) * 10000 + batch_no) * BATCH
            objs = [indicator(base + i) for i in range(BATCH)]
            batch_no += 1
            try:
                r = request(hub.base, url, method="POST", token=self.token,
                            body={"objects": objs}, timeout=10)
            except OSError:
                return  # the hub is gone
            if r.status != 202:
                return
            st = r.json()
            if st["status"] == "complete":
                with self.lock:
                    for s in st.get("successes", []):
                        self.acked.add((s["id"], s["version"]))

    def stored(self, hub):
        """Every (id, version) in the collection, through the manifest."""
        got, params = set(), [("match[version]", "all"), ("limit", "1000")]
        for _ in range(100000):
            r = request(hub.base, "/api/collections/%s/manifest/" % self.cid,
                        token=self.token, params=params)
            self.assertEqual(r.status, 200, r.body)
            env = r.json()
            got.update((m["id"], m["version"]) for m in env.get("objects", []))
            if not env.get("more"):
                return got
            params = [("match[version]", "all"), ("limit", "1000"), ("next", env["next"])]
        self.fail("manifest paging did not end")

    def integrity_ok(self):
        db = sqlite3.connect(os.path.join(self.setup.data, "fenghuo.db"), timeout=30)
        try:
            return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()

    def test_acknowledged_objects_survive_kill_9(self):
        for round_no in range(ROUNDS):
            hub = Hub(self.setup.data)
            stop = threading.Event()
            threads = [threading.Thread(target=self.ingest, args=(hub, c, round_no, stop))
                       for c in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(self.rng.uniform(0.2, 1.5))
            hub.kill()  # SIGKILL: no shutdown, no checkpoint
            stop.set()
            for t in threads:
                t.join(timeout=30)
                self.assertFalse(t.is_alive())
            self.assertTrue(self.integrity_ok(), "integrity_check failed in round %d" % round_no)
            hub = Hub(self.setup.data)
            try:
                have = self.stored(hub)
            finally:
                self.assertEqual(hub.stop(), 0)
            missing = self.acked - have
            self.assertFalse(missing, "round %d (seed %d): %d acknowledged objects lost, e.g. %s"
                             % (round_no, self.seed, len(missing), sorted(missing)[:3]))
            print("crash test: round %d: %d acknowledged, %d stored" %
                  (round_no, len(self.acked), len(have)), file=sys.stderr)
        self.assertGreater(len(self.acked), 0, "no POST completed before the kills")


if __name__ == "__main__":
    unittest.main()
