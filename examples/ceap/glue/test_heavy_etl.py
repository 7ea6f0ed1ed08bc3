"""Tests of the HeavyETL job's argument parsing, transform and run, with an in-memory S3."""

import datetime
import io
import json
import os
import sys
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import heavy_etl  # noqa: E402

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)

ARGV = [
    "--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_42", "--job-bookmark-option", "job-bookmark-disable",
    "--JOB_NAME", "ceap-workflow-batch-heavy-etl",
    "--execution-id", "run-1",
    "--input-bucket", "bucket", "--input-key", "executions/run-1/FilterTask/output.json",
    "--output-bucket", "bucket", "--output-key=executions/run-1/HeavyETLTask/output.json",
    "--current-stage", "HeavyETLTask", "--previous-stage", "FilterTask",
]


class ClientError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FakeS3:
    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.content_types = {}

    def get_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise ClientError("NoSuchKey")
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def put_object(self, Bucket, Key, Body, ContentType):
        self.objects[(Bucket, Key)] = Body
        self.content_types[(Bucket, Key)] = ContentType


def filter_output(**extra):
    doc = {
        "executionId": "run-1", "stage": "FilterTask", "status": "success", "programId": "P", "marketplace": "US",
        "candidates": [{"customerId": "c1", "subjectId": "s1"}, {"customerId": "c2", "subjectId": "s2"}],
        "rejections": [{"index": 2, "reason": "OPTED_OUT"}], "counts": {"processed": 3}, "recordCount": 2,
    }
    doc.update(extra)
    return json.dumps(doc).encode()


def run(s3):
    with redirect_stdout(io.StringIO()) as out:
        return heavy_etl.run(ARGV, s3, NOW), out


class ResolveOptionsTest(unittest.TestCase):
    def test_reads_pairs_and_ignores_glue_arguments(self):
        args = heavy_etl.resolve_options(ARGV, heavy_etl.REQUIRED_ARGS, heavy_etl.OPTIONAL_ARGS)
        self.assertEqual(args["execution-id"], "run-1")
        self.assertEqual(args["output-key"], "executions/run-1/HeavyETLTask/output.json")
        self.assertEqual(args["JOB_RUN_ID"], "jr_42")
        self.assertNotIn("job-bookmark-option", args)

    def test_missing_argument_is_named(self):
        with self.assertRaisesRegex(ValueError, "--input-key"):
            heavy_etl.resolve_options(["--execution-id", "x"], ["execution-id", "input-key"])

    def test_optional_defaults(self):
        args = heavy_etl.resolve_options(["--a", "1"], ["a"], {"current-stage": "HeavyETLTask"})
        self.assertEqual(args["current-stage"], "HeavyETLTask")


class EnrichTest(unittest.TestCase):
    def args(self):
        return heavy_etl.resolve_options(ARGV, heavy_etl.REQUIRED_ARGS, heavy_etl.OPTIONAL_ARGS)

    def test_every_record_gets_processing_metadata(self):
        out, records = heavy_etl.enrich(json.loads(filter_output(failAt="StoreTask")), self.args(), NOW)
        self.assertEqual(records, 2)
        self.assertEqual(out["stage"], "HeavyETLTask")
        self.assertEqual(out["programId"], "P")
        self.assertEqual(out["failAt"], "StoreTask")
        self.assertNotIn("rejections", out)
        self.assertEqual(out["counts"], {"processed": 2, "enriched": 2})
        first = out["candidates"][0]
        self.assertEqual(first["customerId"], "c1")
        self.assertEqual(first["processing"]["jobRunId"], "jr_42")
        self.assertEqual(first["processing"]["processedAt"], "2026-03-01T12:00:00Z")
        self.assertEqual(first["processing"]["recordIndex"], 0)
        self.assertEqual(first["processing"]["checksum"], heavy_etl.checksum({"customerId": "c1", "subjectId": "s1"}))
        self.assertNotEqual(first["processing"]["checksum"], out["candidates"][1]["processing"]["checksum"])

    def test_test_mode(self):
        out, records = heavy_etl.enrich({"stage": "FilterTask", "test": True}, self.args(), NOW)
        self.assertEqual(records, 0)
        self.assertEqual(out, {"stage": "HeavyETLTask", "status": "success", "test": True,
                               "input": {"stage": "FilterTask", "test": True}})

    def test_not_an_object(self):
        with self.assertRaises(heavy_etl.InvalidJSON):
            heavy_etl.enrich([1], self.args(), NOW)


class RunTest(unittest.TestCase):
    def test_writes_single_json_object(self):
        s3 = FakeS3({("bucket", "executions/run-1/FilterTask/output.json"): filter_output()})
        records, logs = run(s3)
        self.assertEqual(records, 2)
        key = ("bucket", "executions/run-1/HeavyETLTask/output.json")
        self.assertEqual(s3.content_types[key], "application/json")
        out = json.loads(s3.objects[key])
        self.assertIsInstance(out, dict)
        self.assertEqual(len(out["candidates"]), 2)
        lines = [json.loads(line) for line in logs.getvalue().splitlines()]
        self.assertEqual(lines[-1]["status"], "SUCCEEDED")
        self.assertTrue(all(line["executionId"] == "run-1" for line in lines))

    def test_missing_input_is_no_such_key(self):
        with self.assertRaises(heavy_etl.NoSuchKey):
            run(FakeS3())

    def test_fail_at_injects_failure_every_time(self):
        s3 = FakeS3({("bucket", "executions/run-1/FilterTask/output.json"): filter_output(failAt="HeavyETLTask")})
        for _ in range(3):
            with self.assertRaises(heavy_etl.InjectedFailure):
                run(s3)
        self.assertNotIn(("bucket", "executions/run-1/HeavyETLTask/output.json"), s3.objects)


if __name__ == "__main__":
    unittest.main()
