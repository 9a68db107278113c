package labs

// The fixed shell commands the service runs in guests, as the guest's root
// through /bin/sh -c, their arguments as $1...: never text of the
// teacher's or the student's spliced into them.

// runScript runs the script it reads on its input as a file of its own
// (so that "#!" lines work), with its input from /dev/null and its error
// output merged into its output; it exits as the script does.
const runScript = `umask 077
mkdir -p /tmp 2>/dev/null
f=$(mktemp /tmp/vmhost-lab.XXXXXX 2>/dev/null) || f=/tmp/vmhost-lab.$$
cat >"$f" || exit 125
chmod 700 "$f"
umask 022
exec 2>&1 </dev/null
"$f"
rc=$?
rm -f "$f"
exit $rc
`

// setupScript is runScript with its output appended to the guest's boot
// log, between two lines that say what ran and how it ended.
const setupScript = `mkdir -p /var/log
umask 077
mkdir -p /tmp 2>/dev/null
f=$(mktemp /tmp/vmhost-lab.XXXXXX 2>/dev/null) || f=/tmp/vmhost-lab.$$
cat >"$f" || exit 125
chmod 700 "$f"
umask 022
exec >>/var/log/vmhost-boot.log 2>&1 </dev/null
echo "vmhost: setup of class $VMHOST_CLASS for $VMHOST_STUDENT on $VMHOST_HOST: $(date)"
"$f"
rc=$?
rm -f "$f"
echo "vmhost: setup exited with $rc"
exit $rc
`

// putScript writes its input to the file $1, making its directory.
const putScript = `exec 2>&1
umask 022
d=$(dirname -- "$1") && mkdir -p -- "$d" && cat >"$1"
`

// Exit codes of getScript besides cat's own.
const (
	getMissing    = 3
	getNotRegular = 4
)

// getScript writes the regular file $1 on its output; it exits 3 when
// there is no such file and 4 when it is no regular file.
const getScript = `[ -e "$1" ] || exit 3
[ -f "$1" ] || exit 4
exec cat -- "$1"
`
