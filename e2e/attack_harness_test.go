package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// attackerPath is where uploadAttacker puts the attacker inside a guest.
const attackerPath = "/attacker"

// attackerBin is the attacker binary, built once for the run.
var attackerBin struct {
	once sync.Once
	path string
	err  error
}

// buildAttacker builds e2e/attacker (static) once per run.
func buildAttacker(t testing.TB) string {
	t.Helper()
	attackerBin.once.Do(func() {
		// Beside vmhostd, in the directory TestMain removes at the end.
		dir := filepath.Dir(daemonBin)
		bin := filepath.Join(dir, "attacker")
		if err := buildStatic(bin, "vmhost/e2e/attacker"); err != nil {
			attackerBin.err = err
			return
		}
		attackerBin.path = bin
	})
	if attackerBin.err != nil {
		t.Fatal(attackerBin.err)
	}
	return attackerBin.path
}

// buildStatic builds the package pkg into out, static, so that it runs in
// any guest.
func buildStatic(out, pkg string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goTool, "build", "-buildvcs=false", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// uploadAttacker puts the attacker at attackerPath in login's guest.
func (d *daemon) uploadAttacker(t testing.TB, login string) {
	t.Helper()
	bin := buildAttacker(t)
	batch := fmt.Sprintf("put %s %s\nchmod 755 %s\n", bin, attackerPath, attackerPath)
	mustRun(t, batch, sftpPath, append(d.toolArgs(d.keyOf(t, login)), "-b", "-", login+"@127.0.0.1")...)
}

// attack runs the attacker's attack name with args in login's guest, as its
// root, and returns the facts it reported (key=value lines).
func (d *daemon) attack(t testing.TB, login, name string, args ...string) map[string]string {
	t.Helper()
	out := d.mustSSH(t, login, attackerPath+" "+name+" "+strings.Join(args, " "))
	facts := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			facts[k] = v
		}
	}
	return facts
}
