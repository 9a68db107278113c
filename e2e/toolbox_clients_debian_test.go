package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Paths of the clients that need tools inside the guest.
const (
	ansiblePath         = "/usr/bin/ansible"
	ansiblePlaybookPath = "/usr/bin/ansible-playbook"
)

// TestToolboxClientsDebian checks the clients that need tools inside the
// guest, on a Debian guest: Ansible (ping, facts, copy, async tasks, a
// playbook with and without pipelining, over ControlPersist) and curl's
// scp://.
func TestToolboxClientsDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireDebootstrap(t)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "debian", debianTarImage(t), "bob"))
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	key := d.keyOf(t, "bob")
	d.mustSSH(t, "bob", "true") // the guest is up before the clients' timeouts run

	t.Run("Ansible", func(t *testing.T) {
		requireClient(t, "ansible-core", ansiblePath, ansiblePlaybookPath)
		a := newAnsible(t, d, key)

		ping := a.adHoc(t, "-m", "ping")
		if ping["ping"] != "pong" {
			t.Errorf("ansible -m ping: %v, want ping: pong", ping)
		}
		// Ansible reads /run/systemd/container; PID 1's environment is not
		// readable (the init is not dumpable).
		facts, _ := a.adHoc(t, "-m", "setup", "-a", "filter=ansible_virtualization_*")["ansible_facts"].(map[string]any)
		tech, _ := facts["ansible_virtualization_tech_guest"].([]any)
		if facts["ansible_virtualization_type"] != "vmhost" || facts["ansible_virtualization_role"] != "guest" || !slices.Contains(tech, any("container")) {
			t.Errorf("ansible -m setup: virtualization facts %v, want type vmhost, role guest, container among the guest's techs", facts)
		}
		local := filepath.Join(t.TempDir(), "copied")
		sum := writeRandomFile(t, local, 100<<10+1)
		a.adHoc(t, "-m", "copy", "-a", fmt.Sprintf("src=%s dest=/root/copied mode=0640", local))
		if got := d.mustSSH(t, "bob", "stat -c %a /root/copied; sha256sum < /root/copied"); got != "640\n"+sum+"  -\n" {
			t.Errorf("ansible -m copy: %q in the guest, want mode 640 and sha256 %s", got, sum)
		}

		// Over ControlPersist, as Ansible's default ssh_args: the first
		// playbook is one login, the second reuses it. Pipelined, most
		// modules go to python3's stdin rather than through sftp.
		sftps := map[string]int{}
		for _, run := range []struct {
			name       string
			pipelining bool
			logins     int
		}{
			{"persist", false, 1},
			{"pipelined", true, 0},
		} {
			before := d.log()
			out := a.playbook(t, run.name, run.pipelining)
			after := d.log()
			logins := strings.Count(after, bobLogin) - strings.Count(before, bobLogin)
			sftps[run.name] = strings.Count(after, sftpStarted) - strings.Count(before, sftpStarted)
			if !playRecap.MatchString(out) {
				t.Errorf("playbook %s: recap %q, want ok=5 failed=0", run.name, tail(out))
			}
			want := fmt.Sprintf("%s\nasync-%s\nbg-%s\n", run.name, run.name, run.name)
			if got := d.mustSSH(t, "bob", fmt.Sprintf("cd /root/ans && cat %s.txt async-%s.txt bg-%s.txt", run.name, run.name, run.name)); got != want {
				t.Errorf("playbook %s: files in the guest %q, want %q", run.name, got, want)
			}
			if logins != run.logins {
				t.Errorf("playbook %s over ControlPersist: %d logins, want %d", run.name, logins, run.logins)
			}
		}
		if sftps["pipelined"] >= sftps["persist"] {
			t.Errorf("sftp sessions: %d pipelined, %d not; want fewer pipelined", sftps["pipelined"], sftps["persist"])
		}
		if got := d.mustSSH(t, "bob", "ls -A /root"); strings.Contains(got, "~") {
			t.Errorf("/root after Ansible's async tasks: %q, want no stray ~bob tree", got)
		}
	})

	t.Run("CurlSCP", func(t *testing.T) {
		requireClient(t, "curl", curlPath)
		env, home := homeEnv(t)
		if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		d.knownHosts(t, filepath.Join(home, ".ssh"))
		local := filepath.Join(t.TempDir(), "curl-scp")
		sum := writeRandomFile(t, local, 2<<20+1)
		url := fmt.Sprintf("scp://127.0.0.1:%s/root/curl-scp", d.port())
		auth := []string{"-sS", "-u", "bob:", "--key", key, "--pubkey", key + ".pub"}
		mustRunEnv(t, env, "", curlPath, append(auth, "-T", local, url)...)
		mustRunEnv(t, env, "", curlPath, append(auth, "-o", local+".back", url)...)
		if got := d.guestSHA256(t, "bob", "/root/curl-scp"); got != sum {
			t.Errorf("curl -T scp://: sha256 in the guest %s, want %s", got, sum)
		}
		if got := fileSHA256(t, local+".back"); got != sum {
			t.Errorf("curl scp:// download: sha256 %s, want %s", got, sum)
		}
	})
}

// Log lines of bob's logins, and of sftp sessions started (only bob logs
// in to the Debian test's daemon).
const (
	bobLogin    = "msg=login audit=true outcome=accepted user=bob"
	sftpStarted = "kind=sftp outcome=started"
)

// playRecap is the recap of a run of ansiblePlay where all five tasks were
// ok.
var playRecap = regexp.MustCompile(`bob +: ok=5 +changed=\d+ +unreachable=0 +failed=0 `)

// ansible runs Ansible against bob's guest, from a directory of its own.
type ansible struct {
	dir string
	env []string
}

// newAnsible writes an inventory and a config for bob's guest: the daemon's
// host keys in a known_hosts file, checked strictly.
func newAnsible(t *testing.T, d *daemon, key string) *ansible {
	t.Helper()
	env, home := homeEnv(t)
	dir := t.TempDir()
	kh := d.knownHosts(t, dir)
	inventory := fmt.Sprintf("bob ansible_host=127.0.0.1 ansible_port=%s ansible_user=bob ansible_ssh_private_key_file=%s\n", d.port(), key)
	cfg := fmt.Sprintf("[defaults]\ninventory = %s\nhost_key_checking = True\ninterpreter_python = /usr/bin/python3\nlocal_tmp = %s\n"+
		"[ssh_connection]\ncontrol_path_dir = %s\n",
		filepath.Join(dir, "inventory"), filepath.Join(home, "tmp"), filepath.Join(dir, "cp"))
	for name, text := range map[string]string{"inventory": inventory, "ansible.cfg": cfg, "play.yml": ansiblePlay} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env = append(env, "ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"), "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_SSH_COMMON_ARGS=-F none -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="+kh)
	a := &ansible{dir: dir, env: env}
	t.Cleanup(func() { a.stopMasters(t) })
	return a
}

// adHoc runs `ansible bob -o ARGS` and returns bob's result, the JSON
// after "bob | SUCCESS => " or "bob | CHANGED => "; another outcome fails
// the test.
func (a *ansible) adHoc(t *testing.T, args ...string) map[string]any {
	t.Helper()
	env := append(a.env, "ANSIBLE_SSH_ARGS=-o ControlMaster=no")
	res := mustRunEnv(t, env, "", ansiblePath, append([]string{"bob", "-o"}, args...)...)
	_, js, ok := strings.Cut(res.stdout, " => ")
	var out map[string]any
	if !ok || !strings.HasPrefix(res.stdout, "bob | ") {
		t.Fatalf("ansible bob %q: output %q, want bob | SUCCESS => {...}", args, res.stdout)
	}
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("ansible bob %q: %v; output %q", args, err, res.stdout)
	}
	return out
}

// ansiblePlay is a playbook a user would write: a directory and a file, an async task polled and one left in the background, then
// checked with async_status.
const ansiblePlay = `
- hosts: bob
  gather_facts: false
  tasks:
    - file:
        path: /root/ans
        state: directory
    - copy:
        content: "{{ run }}\n"
        dest: /root/ans/{{ run }}.txt
    - shell: echo async-{{ run }} > /root/ans/async-{{ run }}.txt
      async: 30
      poll: 1
    - shell: echo bg-{{ run }} > /root/ans/bg-{{ run }}.txt
      async: 30
      poll: 0
      register: bg
    - async_status:
        jid: "{{ bg.ansible_job_id }}"
      register: job
      until: job.finished
      retries: 30
      delay: 1
`

// playbook runs play.yml with run set, over ControlPersist, with or without
// pipelining, and returns its output.
func (a *ansible) playbook(t *testing.T, run string, pipelining bool) string {
	t.Helper()
	env := append(a.env, "ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=60s", fmt.Sprintf("ANSIBLE_PIPELINING=%t", pipelining))
	return mustRunEnv(t, env, "", ansiblePlaybookPath, "-e", "run="+run, filepath.Join(a.dir, "play.yml")).stdout
}

// stopMasters ends the ssh control masters that ControlPersist left, by
// asking each to exit on its socket.
func (a *ansible) stopMasters(t *testing.T) {
	t.Helper()
	socks, _ := filepath.Glob(filepath.Join(a.dir, "cp", "*"))
	for _, s := range socks {
		res := runTool(t, a.env, "", sshPath, "-F", "none", "-o", "ControlPath="+s, "-O", "exit", "bob@127.0.0.1")
		if res.code != 0 {
			t.Errorf("ssh -O exit on %s: exit %d, %s", s, res.code, res.stderr)
		}
	}
}
