# ceap's bootstrap for python Lambda runtimes: it speaks the Lambda Runtime API at
# AWS_LAMBDA_RUNTIME_API and calls the handler named by _HANDLER ("module.function") with
# (event, context), as the AWS python runtime does. Standard library only.
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"
CURRENT = {"request_id": ""}


class RequestIdFilter(logging.Filter):
    """Gives log records the request id, for the AWS runtime's log format."""

    def filter(self, record):
        record.aws_request_id = CURRENT["request_id"]
        return True


def setup_logging():
    """The root logger writes as the AWS runtime's does: level, UTC time, request id, message."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logging.root.addHandler(handler)


class Connection:
    def __init__(self):
        host, _, port = API.partition(":")
        self.conn = http.client.HTTPConnection(host, int(port or 80))

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                self.conn.request(method, PREFIX + path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                host, _, port = API.partition(":")
                self.conn.close()
                self.conn = http.client.HTTPConnection(host, int(port or 80))


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(cc) if cc else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_doc(exc, error_type=None):
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def log_error(doc):
    print("[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"]))
    for line in doc.get("stackTrace") or []:
        print(line.rstrip("\n"))
    sys.stdout.flush()


def post(conn, path, doc, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    sys.stdout.flush()
    sys.stderr.flush()
    conn.request("POST", path, json.dumps(doc).encode(), headers)


def load_handler(conn):
    spec = os.environ.get("_HANDLER", "")
    module_path, _, func_name = spec.rpartition(".")
    if not module_path or not func_name:
        doc = {"errorMessage": "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec,
               "errorType": "Runtime.MalformedHandlerName", "requestId": "", "stackTrace": []}
        log_error(doc)
        post(conn, "/init/error", doc, doc["errorType"])
        sys.exit(1)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        doc = {"errorMessage": "Unable to import module '%s': %s" % (module_path, exc),
               "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
        log_error(doc)
        post(conn, "/init/error", doc, doc["errorType"])
        sys.exit(1)
    except Exception as exc:  # any other failure while importing the module
        doc = error_doc(exc, "Runtime.UserCodeSyntaxError" if isinstance(exc, SyntaxError) else None)
        log_error(doc)
        post(conn, "/init/error", doc, doc["errorType"])
        sys.exit(1)
    handler = getattr(module, func_name, None)
    if handler is None:
        doc = {"errorMessage": "Handler '%s' missing on module '%s'" % (func_name, module_path),
               "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}
        log_error(doc)
        post(conn, "/init/error", doc, doc["errorType"])
        sys.exit(1)
    return handler


def main():
    setup_logging()
    conn = Connection()
    handler = load_handler(conn)
    while True:
        resp, body = conn.request("GET", "/invocation/next")
        if resp.status != 200:
            time.sleep(0.01)
            continue
        headers = {k: v for k, v in resp.getheaders()}
        headers = {k.title(): v for k, v in headers.items()}
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        CURRENT["request_id"] = request_id or ""
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, Context(headers))
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                doc = {"errorMessage": "Unable to marshal response: %s" % exc,
                       "errorType": "Runtime.MarshalError", "requestId": request_id, "stackTrace": []}
                log_error(doc)
                post(conn, "/invocation/%s/error" % request_id, doc, doc["errorType"])
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            conn.request("POST", "/invocation/%s/response" % request_id, payload,
                         {"Content-Type": "application/json"})
        except Exception as exc:  # the handler's own failure is reported, not fatal
            doc = error_doc(exc)
            doc["requestId"] = request_id
            log_error(doc)
            post(conn, "/invocation/%s/error" % request_id, doc, "Unhandled")


if __name__ == "__main__":
    main()
