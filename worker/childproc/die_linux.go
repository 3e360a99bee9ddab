package childproc

import (
	"os/exec"
	"syscall"
)

// The parent-death signal is sent when the thread that forked the child
// exits. Go's runtime keeps its threads until the process ends, except a
// thread a goroutine locked and exited on, which the callers never do
// while starting a child.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
