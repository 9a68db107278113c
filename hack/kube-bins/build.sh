#!/bin/bash
# build.sh builds the test control plane (etcd, kube-apiserver,
# kube-scheduler, kube-controller-manager) from the Go modules that go.mod
# beside it names, into $KUBE_CACHE/$VERSION/bin, once per machine: it does
# nothing when the binaries are there with a stamp of this go.mod and go.sum.
# Each binary is moved into place as soon as it is built, etcd and
# kube-apiserver first, so that tests needing only those can start early.
#
#   hack/kube-bins/build.sh CACHE_DIR
set -euo pipefail

cache=${1:?usage: build.sh CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

kube=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' go.mod)
etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' go.mod)
minor=${kube#v1.}
minor=${minor%%.*}
bin=$cache/$kube/bin
stamp="kubernetes $kube etcd $etcd $(cat go.mod go.sum | sha256sum | cut -d' ' -f1)"

# The binaries (name and package), in build order.
targets=(
	"etcd go.etcd.io/etcd/server/v3"
	"kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver"
	"kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler"
	"kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager"
)

present=1
for t in "${targets[@]}"; do [ -x "$bin/${t%% *}" ] || present=; done
if [ -n "$present" ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "kube-bins: $bin is up to date ($kube, etcd $etcd)"
	exit 0
fi

mkdir -p "$bin"
rm -f "$bin/.stamp"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The version the components report (and that kubectl and clients see), as
# Kubernetes' own build sets it.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$kube -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done

export CGO_ENABLED=0 GOFLAGS=-mod=readonly
start=$SECONDS
for t in "${targets[@]}"; do
	name=${t%% *}
	pkg=${t#* }
	t0=$SECONDS
	echo "kube-bins: building $name ($pkg)"
	go build -trimpath -ldflags="$ldflags" -o "$work/$name" "$pkg"
	mv -f "$work/$name" "$bin/$name"
	echo "kube-bins: $bin/$name in $((SECONDS - t0))s"
done
echo "$stamp" >"$bin/.stamp"
echo "kube-bins: built $kube and etcd $etcd into $bin in $((SECONDS - start))s"
