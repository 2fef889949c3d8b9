"""Integration: the fenghuo command line as a user meets it: help, version,
dispatch, and `fenghuo stix validate` on real files and standard input."""

import json
import unittest

from fhtest import run, write_temp

INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-28T10:00:00.000Z",
    "modified": "2026-11-28T10:00:00.000Z",
    "name": "scanner address",
    "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix",
    "valid_from": "2026-11-28T10:00:00Z",
}


def bundle(*objects):
    return json.dumps({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
                       "objects": list(objects)})


class HelpAndDispatch(unittest.TestCase):
    def test_help_lists_commands_and_exits_zero(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: fenghuo", out)
        self.assertIn("stix", out)

    def test_version_prints_a_version(self):
        for arg in ("--version", "version"):
            rc, out, _ = run(arg)
            self.assertEqual(rc, 0)
            self.assertRegex(out, r"^fenghuo \d+\.\d+\.\d+\n$")

    def test_no_arguments_is_a_usage_error(self):
        rc, _, err = run()
        self.assertEqual(rc, 2)
        self.assertIn("usage:", err)

    def test_unknown_command_is_a_usage_error(self):
        rc, _, err = run("frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("unknown command 'frobnicate'", err)

    def test_help_command_shows_subcommand_help(self):
        rc, out, _ = run("help", "stix")
        self.assertEqual(rc, 0)
        self.assertIn("validate", out)
        self.assertIn("pattern", out)

    def test_every_stix_subcommand_has_help(self):
        for sub in ("validate", "pattern"):
            rc, out, _ = run("stix", sub, "--help")
            self.assertEqual(rc, 0, sub)
            self.assertIn("usage: fenghuo stix " + sub, out)


class StixValidate(unittest.TestCase):
    def test_valid_bundle_exits_zero(self):
        path = write_temp(self, bundle(INDICATOR))
        rc, out, err = run("stix", "validate", path)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(out, "")
        self.assertIn("1 object, 0 errors", err)

    def test_invalid_object_exits_one_with_a_line_per_error(self):
        bad = dict(INDICATOR, id="indicator--not-a-uuid")
        path = write_temp(self, bundle(bad))
        rc, out, _ = run("stix", "validate", path)
        self.assertEqual(rc, 1)
        self.assertIn(path + ": ", out)
        self.assertIn("$.id", out)

    def test_reads_standard_input(self):
        rc, _, err = run("stix", "validate", "-", stdin=json.dumps(INDICATOR))
        self.assertEqual(rc, 0, err)

    def test_json_report_is_parseable(self):
        bad = dict(INDICATOR, id="indicator--not-a-uuid")
        rc, out, _ = run("stix", "validate", "--json", "-", stdin=bundle(INDICATOR, bad))
        self.assertEqual(rc, 1)
        report = json.loads(out)
        self.assertFalse(report["valid"])
        self.assertEqual(report["objects"], 2)
        f = report["files"][0]
        self.assertEqual(f["container"], "bundle")
        self.assertTrue(any(d["path"] == "$.id" and d["severity"] == "error"
                            for d in f["diagnostics"]))

    def test_broken_json_is_invalid_with_line_and_column(self):
        path = write_temp(self, '{"type": "indicator",\n "id": }')
        rc, out, _ = run("stix", "validate", path)
        self.assertEqual(rc, 1)
        self.assertIn("line 2, column", out)

    def test_missing_file_is_an_io_error(self):
        rc, _, err = run("stix", "validate", "/nonexistent/fenghuo.json")
        self.assertEqual(rc, 2)
        self.assertIn("cannot read", err)

    def test_size_limit_names_the_option_to_raise(self):
        path = write_temp(self, bundle(INDICATOR))
        rc, _, err = run("stix", "validate", "--max-bytes", "100", path)
        self.assertEqual(rc, 2)
        self.assertIn("--max-bytes", err)

    def test_object_count_limit(self):
        rc, out, _ = run("stix", "validate", "--max-objects", "1", "-",
                         stdin=json.dumps([INDICATOR, INDICATOR]))
        self.assertEqual(rc, 1)
        self.assertIn("the limit is 1", out)

    def test_no_file_is_a_usage_error(self):
        rc, _, err = run("stix", "validate")
        self.assertEqual(rc, 2)
        self.assertIn("no FILE", err)

    def test_worst_file_decides_the_exit_status(self):
        good = write_temp(self, bundle(INDICATOR))
        bad = write_temp(self, bundle(dict(INDICATOR, id="indicator--x")))
        rc, out, _ = run("stix", "validate", good, bad)
        self.assertEqual(rc, 1)
        self.assertNotIn(good, out)
        self.assertIn(bad, out)
        rc, _, _ = run("stix", "validate", good, "/nonexistent")
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
