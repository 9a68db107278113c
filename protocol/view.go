package protocol

// ViewFiles are the files of a guest's /proc and /sys that the view
// servers on the host (lxcfs, and vmhost's own for /proc/stat) show as the
// guest's own machine: each is bound, read-only, from the same path under
// its server's mount point over the guest's file. /proc/uptime is not among
// them: a guest's time namespace gives it its own uptime. /proc/stat is
// vmhost's own server's, not lxcfs's: lxcfs 5.0's keeps the host's btime,
// which the kernel's moves by the guest's time namespace, and ps adds
// processes' start times (in the guest's namespace) to btime.
var ViewFiles = []string{
	"/proc/cpuinfo",
	"/proc/diskstats",
	"/proc/loadavg",
	"/proc/meminfo",
	"/proc/stat",
	"/proc/swaps",
	"/sys/devices/system/cpu/online",
}

// MaxViewFiles bounds the files of one view: the descriptors an OpView
// request carries, and the paths of a View.
const MaxViewFiles = 16

// View tells a new init where the view servers' files are on the host, for
// the init to bind them over the guest's before it pivots into its root.
type View struct {
	// Sources are the running view servers, each with its files.
	Sources []ViewSource `json:"sources"`
}

// ViewSource is one view server's mount point and the files it has.
type ViewSource struct {
	// Dir is the server's mount point on the host.
	Dir string `json:"dir"`
	// Files are guest paths, each one of ViewFiles, that Dir has.
	Files []string `json:"files"`
}

// IsViewFile reports whether p is one of ViewFiles.
func IsViewFile(p string) bool {
	for _, f := range ViewFiles {
		if f == p {
			return true
		}
	}
	return false
}
