// ceap's bootstrap for nodejs Lambda runtimes: it speaks the Lambda Runtime API at
// AWS_LAMBDA_RUNTIME_API and calls the handler named by _HANDLER ("file.export") with
// (event, context), awaiting a returned promise or the callback, as the AWS nodejs runtime does.
"use strict";
const http = require("http");
const path = require("path");
const fs = require("fs");
const url = require("url");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const PREFIX = "/2018-06-01/runtime";

function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: PREFIX + p, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Console output carries the time, the request id and the level, as in the AWS runtime.
let currentRequestId;
const util = require("util");
for (const [method, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  const stream = level === "INFO" || level === "DEBUG" || level === "TRACE" ? process.stdout : process.stderr;
  console[method] = (...args) => {
    const text = util.format(...args).replace(/\n/g, "\r");
    stream.write(`${new Date().toISOString()}\t${currentRequestId || "undefined"}\t${level}\t${text}\n`);
  };
}

function errorDoc(err, type) {
  if (!(err instanceof Error)) {
    return { errorType: type || "string", errorMessage: String(err), trace: [] };
  }
  return {
    errorType: type || err.name || "Error",
    errorMessage: err.message,
    trace: String(err.stack || "").split("\n"),
  };
}

function logError(requestId, doc) {
  const line = JSON.stringify(doc);
  process.stdout.write(`${new Date().toISOString()}\t${requestId || "undefined"}\tERROR\t${line}\n`);
}

function post(p, doc, errorType) {
  const headers = { "Content-Type": "application/json" };
  if (errorType) headers["Lambda-Runtime-Function-Error-Type"] = errorType;
  return request("POST", p, JSON.stringify(doc), headers);
}

async function initError(doc) {
  logError(undefined, doc);
  await post("/init/error", doc, doc.errorType);
  process.exit(1);
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot <= 0) {
    return initError({ errorType: "Runtime.MalformedHandlerName", errorMessage: `Bad handler ${spec}`, trace: [] });
  }
  const modulePath = spec.slice(0, dot);
  const fnName = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const base = path.resolve(root, modulePath);
  let file = null;
  for (const ext of [".js", ".mjs", ".cjs"]) {
    if (fs.existsSync(base + ext)) {
      file = base + ext;
      break;
    }
  }
  if (file === null) {
    return initError({
      errorType: "Runtime.ImportModuleError",
      errorMessage: `Error: Cannot find module '${modulePath}'`,
      trace: [],
    });
  }
  let mod;
  try {
    mod = file.endsWith(".cjs") || (file.endsWith(".js") && !isESM(root))
      ? require(file)
      : await import(url.pathToFileURL(file).href);
  } catch (err) {
    const type = err instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
    return initError(errorDoc(err, type));
  }
  const handler = mod[fnName] || (mod.default && mod.default[fnName]);
  if (typeof handler !== "function") {
    return initError({ errorType: "Runtime.HandlerNotFound", errorMessage: `${spec} is undefined or not exported`, trace: [] });
  }
  return handler;
}

function isESM(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).type === "module";
  } catch (_) {
    return false;
  }
}

function callHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e);
    try {
      const r = handler(event, context, callback);
      if (r && typeof r.then === "function") {
        r.then((v) => callback(null, v), (e) => callback(e === undefined || e === null ? new Error("Unknown error") : e));
      } else if (handler.length < 3) {
        callback(null, r);
      }
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  const handler = await loadHandler();
  for (;;) {
    const next = await request("GET", "/invocation/next");
    if (next.status !== 200) continue;
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    const deadline = Number(h["lambda-runtime-deadline-ms"] || 0);
    if (h["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    else delete process.env._X_AMZN_TRACE_ID;
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (h["lambda-runtime-client-context"]) context.clientContext = JSON.parse(h["lambda-runtime-client-context"]);
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : undefined;
      const result = await callHandler(handler, event, context);
      const body = result === undefined ? "null" : JSON.stringify(result);
      await request("POST", `/invocation/${requestId}/response`, body, { "Content-Type": "application/json" });
    } catch (err) {
      const doc = errorDoc(err);
      logError(requestId, doc);
      await post(`/invocation/${requestId}/error`, doc, doc.errorType);
    }
  }
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
