// Package childproc ties the processes complaintd starts (the bench's
// worker and pipes, the tests' workers and redis-servers) to the process
// that started them, so that none outlives it: a test binary killed by
// go test's timeout, or a bench stopped with kill -9, no longer leaves
// workers retrying a vanished broker and redis-servers holding ports.
package childproc

import "os/exec"

// DieWithParent makes cmd, once started, receive SIGKILL when the process
// that starts it ends (Linux: the parent-death signal; elsewhere nothing).
// Call it before cmd.Start.
func DieWithParent(cmd *exec.Cmd) { dieWithParent(cmd) }
