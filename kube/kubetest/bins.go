package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Version is the Kubernetes release that `make kube-bins` builds (the
// k8s.io/kubernetes version in hack/kube-bins/go.mod).
const Version = "v1.34.4"

// DefaultCache is where `make kube-bins` puts the binaries unless KUBE_CACHE
// says otherwise: DefaultCache/Version/bin.
const DefaultCache = "/var/cache/vmhost-kube"

// BinDirEnv names the environment variable that overrides the directory of
// the binaries (make test sets it to the one make kube-bins filled).
const BinDirEnv = "VMHOST_KUBE_BIN_DIR"

// Binaries are the programs a control plane runs, found in BinDir.
var Binaries = []string{"etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager"}

// ErrNoBinaries reports that the control plane has not been built on this
// machine.
var ErrNoBinaries = errors.New("the test control plane is not built")

// BinDir returns the directory that holds the control plane's binaries:
// $VMHOST_KUBE_BIN_DIR, or DefaultCache/Version/bin. It is also the
// directory to give controller-runtime's envtest (KUBEBUILDER_ASSETS), which
// needs etcd and kube-apiserver from it.
func BinDir() string {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir
	}
	return filepath.Join(DefaultCache, Version, "bin")
}

// findBinaries returns the path of each of Binaries in dir, or an error
// wrapping ErrNoBinaries that names the first one missing and says how to
// build them.
func findBinaries(dir string) (map[string]string, error) {
	paths := make(map[string]string, len(Binaries))
	for _, name := range Binaries {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("%w: %s is missing; run `make kube-bins` (it builds them into %s once per machine, or set %s)",
				ErrNoBinaries, path, dir, BinDirEnv)
		}
		paths[name] = path
	}
	return paths, nil
}
