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
// MemorySize is enforced where the machine allows: each environment runs in its own cgroup, a
// child of ceap's, limited to MemorySize MiB without swap — cgroup v2 when its memory controller
// is delegated to ceap's cgroup (the runtime is started inside it with clone3's
// CLONE_INTO_CGROUP), else the cgroup v1 memory hierarchy (a thread of ceap's joins the cgroup
// and forks the runtime there). A runtime over its memory is killed by the kernel and the
// invocation answers Runtime.OutOfMemory as Lambda does; Max Memory Used is the cgroup's peak.
// The cgroup is removed when the environment ends. Without a writable memory controller ceap
// warns once at startup, MemorySize is only reported, and Max Memory Used is the process's peak
// resident set. It must never place any work of ceap's own in an environment's cgroup.
package funcs
