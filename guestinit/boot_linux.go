package guestinit

import (
	"log/slog"
	"vmhost/protocol"
)

// bootScript is what a guest runs each time it starts, as a small VM's init
// would: the start scripts of runlevel 2 (how Debian packages such as nginx
// or ssh enable their services without systemd), then /etc/rc.local. Its
// output goes to /var/log/vmhost-boot.log in the guest.
const bootScript = `mkdir -p /var/log
exec >>/var/log/vmhost-boot.log 2>&1
echo "boot: $(date)"
for s in /etc/rc2.d/S*; do
	[ -x "$s" ] && "$s" start
done
[ -x /etc/rc.local ] && /etc/rc.local
exit 0
`

// boot runs bootScript in the background, when the guest has a shell: the
// incubator finds out.
func boot(sp *spawner, log *slog.Logger) {
	defer handlePanic(log, "starting the boot scripts", nil)
	req := &protocol.SpawnRequest{
		Argv: []string{"/bin/sh", "-c", bootScript},
		Env:  []string{"PATH=" + protocol.DefaultPath, "HOME=/root", "LANG=C.UTF-8"},
		Dir:  "/",
	}
	p, err := sp.spawn(req)
	if err != nil {
		log.Warn("guest init: running boot scripts", "err", err)
		return
	}
	closeFiles(p.files)
}
