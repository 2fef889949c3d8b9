"""Integration: the sensor's `--config` file sets `workers` and `cpus`
(docs/sensor.md, "Config file"), and the command line wins over the file,
as for every other key."""

import json
import os
import shutil
import tempfile
import unittest

import pcapgen as g
from fhtest import run

NETWORKS = "198.18.0.0/15"


class SensorConfigWorkers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fh-sensor-conf-")
        # Readable by the unprivileged user the sensor becomes when run as root.
        os.chmod(cls.dir, 0o755)
        p = g.Pcap()
        g.benign(p)
        g.syn_flood(p)
        g.port_scan(p)
        cls.pcap = os.path.join(cls.dir, "w.pcap")
        p.write(cls.pcap)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def conf(self, text):
        path = os.path.join(self.dir, "sensor.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def sensor(self, *args):
        rc, out, err = run("sensor", "--networks", NETWORKS, "--pcap", self.pcap, *args,
                           timeout=120)
        return rc, [json.loads(line) for line in out.splitlines() if line.strip()], err

    def test_workers_come_from_the_file(self):
        rc, evs, err = self.sensor("--config", self.conf("workers = 2\n"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(evs[-1]["workers"]), 2)
        self.assertTrue(all(w["packets"] > 0 for w in evs[-1]["workers"]), evs[-1]["workers"])
        self.assertIn("attack_start", [e["event_type"] for e in evs])

    def test_the_command_line_wins_over_the_file(self):
        conf = self.conf("workers = 2\ncpus = 1023\n")
        # The file's CPU list is used: CPU 1023 does not exist here.
        rc, _, err = self.sensor("--config", conf)
        self.assertEqual(rc, 2)
        self.assertIn("cannot pin worker 0 to CPU 1023", err)
        # --cpus replaces it; --workers replaces the file's count.
        rc, evs, err = self.sensor("--config", conf, "--cpus", "0")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(evs[-1]["workers"]), 2)
        rc, evs, err = self.sensor("--workers", "3", "--config", conf, "--cpus", "0")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(evs[-1]["workers"]), 3)
        # One worker from the command line: the file's list has nothing to pin.
        rc, evs, err = self.sensor("--config", conf, "--workers", "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(evs[-1]["workers"]), 1)
        self.assertIn("the config file's cpus is not used", err)

    def test_bad_values_name_the_line(self):
        for text, fragment in (("workers = 0\n", ":1: workers: '0': give a number of threads "
                                                 "from 1 to 64"),
                               ("workers = 65\n", ":1: workers: '65'"),
                               ("# pin\ncpus = x\n", ":2: cpus 'x': give CPU numbers"),
                               ("cpus = 3-1\n", ":1: cpus '3-1': give CPU numbers"),
                               ("cpus = " + "0," * 70 + "0\n", "longer than 127 characters")):
            rc, _, err = self.sensor("--config", self.conf(text))
            self.assertEqual(rc, 2, text)
            self.assertIn(fragment, err, text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
