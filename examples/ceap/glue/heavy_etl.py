"""HeavyETL: the CEAP batch stage, a Glue pythonshell job.

It reads the previous stage's output from --input-bucket/--input-key, enriches every candidate
with processing metadata, and writes a single JSON object to --output-bucket/--output-key, so
the next stage reads it like any other stage output. It follows the stage contract: a message's
"test": true writes {stage, status, test, input}; "failAt": "HeavyETLTask" fails every attempt
with InjectedFailure; a missing input object is a permanent error. It never writes anywhere but
its own output key.

Arguments arrive as Glue passes them: "--name value" pairs in sys.argv, among Glue's own.
"""

import datetime
import hashlib
import json
import os
import sys
import time

REQUIRED_ARGS = ["execution-id", "input-bucket", "input-key", "output-bucket", "output-key"]
OPTIONAL_ARGS = {"current-stage": "HeavyETLTask", "previous-stage": "", "JOB_NAME": "", "JOB_RUN_ID": ""}
CONTENT_TYPE = "application/json"


class InjectedFailure(Exception):
    """Raised on every attempt when the message's failAt names this stage."""


class NoSuchKey(Exception):
    """The input object is missing: the previous stage failed or the key is wrong."""


class InvalidJSON(Exception):
    """The input object is not the JSON document a stage writes."""


def resolve_options(argv, required, optional=None):
    """Reads --name value (or --name=value) pairs like awsglue.utils.getResolvedOptions.

    Arguments that are not asked for (Glue adds its own) are ignored. A missing required
    argument raises ValueError naming it.
    """
    wanted = set(required) | set(optional or {})
    found = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if not sep:
            if i < len(argv) and not argv[i].startswith("--"):
                value = argv[i]
                i += 1
            else:
                value = ""
        if name in wanted:
            found[name] = value
    missing = [name for name in required if name not in found]
    if missing:
        raise ValueError("missing job arguments: " + ", ".join("--" + m for m in missing))
    for name, default in (optional or {}).items():
        found.setdefault(name, default)
    return found


def log(**fields):
    """Writes one structured JSON log line, like the stage functions do."""
    fields.setdefault("time", datetime.datetime.now(datetime.timezone.utc).isoformat())
    print(json.dumps(fields, sort_keys=True), flush=True)


def checksum(record):
    """A short, stable digest of a record's content."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()[:16]


def enrich(doc, args, now):
    """Returns the HeavyETL output document for an input document.

    Every candidate gets a "processing" object: the job and run, the execution, the time, the
    record's position and a checksum of the record as it came in. The program, failAt and any
    other top-level field are carried forward; the previous stage's own counts and rejections
    are not.
    """
    if not isinstance(doc, dict):
        raise InvalidJSON("stage input must be a JSON object")
    stage = args["current-stage"]
    if doc.get("test") is True:
        out = {"stage": stage, "status": "success", "test": True, "input": doc}
        if doc.get("failAt"):
            out["failAt"] = doc["failAt"]
        return out, 0
    candidates = doc.get("candidates") or []
    if not isinstance(candidates, list):
        raise InvalidJSON("candidates must be an array")
    processed_at = now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    enriched = []
    for index, candidate in enumerate(candidates):
        if not isinstance(candidate, dict):
            raise InvalidJSON("candidate %d is not an object" % index)
        record = dict(candidate)
        record["processing"] = {
            "stage": stage,
            "jobName": args.get("JOB_NAME", ""),
            "jobRunId": args.get("JOB_RUN_ID", ""),
            "executionId": args["execution-id"],
            "processedAt": processed_at,
            "recordIndex": index,
            "checksum": checksum(candidate),
        }
        enriched.append(record)
    out = {k: v for k, v in doc.items() if k not in ("counts", "rejections", "resultsKey")}
    out.update({
        "executionId": args["execution-id"],
        "stage": stage,
        "status": "success",
        "candidates": enriched,
        "counts": {"processed": len(candidates), "enriched": len(enriched)},
        "recordCount": len(enriched),
    })
    return out, len(enriched)


def s3_client():
    """An S3 client for the endpoint in AWS_ENDPOINT_URL (ceap's), with path-style addressing."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
    )


def read_input(s3, bucket, key):
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as err:  # botocore's ClientError, matched by its error code below
        code = getattr(err, "response", {}).get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise NoSuchKey("input s3://%s/%s does not exist" % (bucket, key)) from err
        raise
    try:
        return json.loads(body)
    except ValueError as err:
        raise InvalidJSON("s3://%s/%s: %s" % (bucket, key, err)) from err


def run(argv, s3, now=None):
    """Runs the job; returns the number of records written. Raises on failure."""
    args = resolve_options(argv, REQUIRED_ARGS, OPTIONAL_ARGS)
    started = time.monotonic()
    stage = args["current-stage"]
    base = {"executionId": args["execution-id"], "stage": stage}
    log(msg="stage started", status="STARTED", previousStage=args["previous-stage"], **base)
    try:
        doc = read_input(s3, args["input-bucket"], args["input-key"])
        log(msg="stage input read", inputKey=args["input-key"], **base)
        if isinstance(doc, dict) and doc.get("failAt") == stage:
            raise InjectedFailure("failure injected at %s by the message's failAt" % stage)
        out, records = enrich(doc, args, now or datetime.datetime.now(datetime.timezone.utc))
        body = json.dumps(out).encode("utf-8")
        s3.put_object(Bucket=args["output-bucket"], Key=args["output-key"], Body=body, ContentType=CONTENT_TYPE)
        log(msg="stage output written", outputKey=args["output-key"], outputSize=len(body), recordCount=records, **base)
    except Exception as err:
        log(msg="stage failed", status="FAILED", errorType=type(err).__name__, errorMessage=str(err),
            duration=int((time.monotonic() - started) * 1000), **base)
        raise
    log(msg="stage succeeded", status="SUCCEEDED", recordsProcessed=records,
        duration=int((time.monotonic() - started) * 1000), **base)
    return records


def main():
    try:
        run(sys.argv[1:], s3_client())
    except Exception as err:
        print("%s: %s" % (type(err).__name__, err), file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
