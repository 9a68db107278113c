// Command vmhostd turns one Linux machine into a host of lightweight VMs
// reached over SSH: `ssh alice@host` lands alice, as root, in her own
// persistent guest made of namespaces.
//
// It is also, under other names, the init of every guest and the view
// server of guests' /proc/stat (hidden roles).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"vmhost/guest"
	"vmhost/guestinit"
	"vmhost/protocol"
	"vmhost/view"
	"vmhost/view/procstat"
)

// usage is the top-level help.
const usage = `vmhostd: a host of lightweight VMs reached over SSH.

Usage:
  vmhostd serve --config FILE                run the daemon in the foreground
  vmhostd image build NAME --config FILE     build an image from the config
  vmhostd image ls|rm ...                    the built images (through the daemon)
  vmhostd guest ls|show|start|stop|restart|reset|rm|exec|stats|limits|autostart ...
                                             run the guests of the running daemon
  vmhostd user ls --config FILE              the users of the daemon's config
  vmhostd session ls|play|watch|join ...     kept terminal sessions and recordings
  vmhostd lab ls|status|provision|check|reset|stop|rm|distribute|collect ...
                                             run the classes (teaching labs)
  vmhostd top [--once] [--json] ...          a live view of the guests (CPU %, memory, rates)
  vmhostd web revoke USER --config FILE      end a user's browser sessions
  vmhostd cluster assign|unassign|ls ...     the guests assigned to this node (cluster agent role)
  vmhostd reload --config FILE               make the daemon read its config again
  vmhostd network teardown --config FILE     remove the bridge and rules (daemon stopped)
  vmhostd CMD --help                         describe a command's flags

The config file is YAML; see config.example.yaml.
`

func main() {
	switch filepath.Base(os.Args[0]) {
	case protocol.InitName:
		guestinit.RunInit()
	case protocol.SFTPName:
		guestinit.RunSFTP()
	case protocol.IncubatorName:
		guestinit.RunIncubator()
	case protocol.NetHelperName:
		guestinit.RunNetHelper()
	case guest.UsernsHolderName:
		guest.RunUsernsHolder()
	case view.StatServerName:
		os.Exit(procstat.Run(os.Args[1:]))
	}
	os.Exit(run(os.Args[1:]))
}

// run dispatches a command line and returns the exit code.
func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "image":
		return imageCmd(args[1:])
	case "guest":
		return guestCmd(args[1:])
	case "user":
		return userCmd(args[1:])
	case "session":
		return sessionCmd(args[1:])
	case "lab":
		return labCmd(args[1:])
	case "reload":
		return reloadCmd(args[1:])
	case "top":
		return topCmd(args[1:])
	case "web":
		return webCmd(args[1:])
	case "cluster":
		return clusterCmd(args[1:])
	case "network":
		return network(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "vmhostd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
