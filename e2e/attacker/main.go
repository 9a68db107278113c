// Command attacker is what the e2e security tests upload into a guest and run
// there as the guest's root, to attack the host, the daemon and other guests
// from inside the way a hostile tenant would: ptrace and pidfd_getfd on PID
// 1, forged packets on raw sockets, floods of connections. It is built static,
// so it runs in any guest (busybox included), and needs nothing installed.
//
//	attacker NAME [ARGS...]    run the attack NAME; see the files of this
//	                           package, one attack or family each
//
// An attack prints what it saw on stdout, one "key=value" line per fact, and
// exits 0; it exits 1 with a message on stderr when it could not run at all.
// Whether the attack succeeded is for the test to judge.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// attack is one attack: it gets the arguments after its name.
type attack func(args []string) error

// attacks are the attacks by name, filled by register from each file's init.
var attacks = map[string]attack{}

// register adds an attack under name.
func register(name string, a attack) {
	if _, dup := attacks[name]; dup {
		panic("attack registered twice: " + name)
	}
	attacks[name] = a
}

func main() {
	if len(os.Args) < 2 || attacks[os.Args[1]] == nil {
		names := make([]string, 0, len(attacks))
		for n := range attacks {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: attacker NAME [ARGS...]; attacks: %s\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	if err := attacks[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "attacker %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// report prints one fact the test reads.
func report(key string, value any) {
	fmt.Printf("%s=%v\n", key, value)
}
