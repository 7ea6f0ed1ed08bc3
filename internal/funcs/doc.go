// Package funcs owns Lambda functions: their definitions and versions, their code unpacked from
// zips, and the environments that run them as local processes speaking the Lambda Runtime API
// (a `bootstrap` for provided.* runtimes, and ceap's own small bootstraps for python and nodejs).
// It keeps environments warm, runs one invocation at a time in each, enforces timeouts and
// reserved and account concurrency, and writes START, END and REPORT lines with the runtime's
// output to the function's log group through the sink it is given.
//
// It is the one domain package that uses net/http, and only to serve the Runtime API to its own
// environments. It must never import the api or protocol packages, nor give a function anything
// that AWS would not (the environment is built from scratch, not inherited from ceap).
//
// Memory size is reported in REPORT lines (Max Memory Used is the process's peak resident set)
// but is not enforced: that needs cgroup v2 delegation, which ceap does not require.
package funcs
