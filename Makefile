# vmhost: build, test and run vmhostd on a Debian machine.
#
#   make deps    install the Debian packages vmhostd and its tests use
#   make build   build bin/vmhostd and bin/vmhost-kube
#   make test    make vet, then unit, privileged and e2e tests (as root), then
#                each fuzz target for a few seconds; builds kube-bins first
#   make vet     go vet on Linux, and on darwin for the pure packages
#   make fuzz    only the fuzz targets (FUZZTIME=10m for a longer run)
#   make kube-bins   build the Kubernetes control plane the tests of kube/ run,
#                once per machine, into $(KUBE_CACHE)
#   make run     run vmhostd with config.example.yaml; log in as alice
#   make bench   measure vmhost against OpenSSH's sshd and plain netns (as root)
#   make clean   remove bin/ and .run/
#   make install     install vmhostd, its systemd unit and /etc/vmhost/config.yaml
#   make uninstall   remove the binary and the unit (config and data stay)
#   make kube-generate  regenerate the Guest API's DeepCopy code and CRD YAML

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
# vmhostd runs inside guests too (SFTP), where the host's dynamic loader is
# not: it must be static.
export CGO_ENABLED := 0

APT_PACKAGES := iptables busybox-static debootstrap xz-utils openssh-client iproute2 rsync e2fsprogs python3-asyncssh python3-paramiko \
	putty-tools dropbear-bin ansible-core sshfs fuse3 rclone lftp curl libssh-dev gcc libc6-dev \
	tmux asciinema mosh lxcfs chromium nodejs npm
CONFIG       := config.example.yaml

# SUDO is empty as root and "sudo" otherwise.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: deps build web-assets kube-bins vet test fuzz run bench bench-deps clean check-sudo install uninstall kube-generate

# check-sudo stops with advice when root is needed and sudo is missing.
check-sudo:
	@if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then \
		echo "This needs root: run it as root, or install sudo." >&2; exit 1; \
	fi

deps: check-sudo
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
			|| { [ $$p = npm ] && command -v npm >/dev/null; } \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing; \
	fi
	@command -v go >/dev/null || { \
		echo "Go not found on PATH (looked in /usr/local/go/bin too)." >&2; \
		echo "Install Go 1.26 from https://go.dev/dl/ into /usr/local/go." >&2; \
		exit 1; }

build: web-assets
	go build -o bin/vmhostd ./cmd/vmhostd
	go build -o bin/vmhost-kube ./cmd/vmhost-kube

# web-assets bundles the browser terminal's page (xterm.js from npm, at the
# versions web/package-lock.json pins) into web/assets/dist, which vmhostd
# embeds; without it vmhostd serves a notice there instead.
WEB_DIST := web/assets/dist/index.html
web-assets: $(WEB_DIST)

$(WEB_DIST): web/package-lock.json web/build.mjs $(wildcard web/ui/*)
	@command -v npm >/dev/null || { echo "npm not found: run make deps" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund && npm run build

# Debian packages that debootstrap downloads are kept here across the tests of
# one run (and of later runs on this machine), so each is fetched once.
DEBOOTSTRAP_CACHE := /var/cache/vmhost-debootstrap

# PURE_PACKAGES build and vet on any system: their Linux-only code sits in
# *_linux.go files or behind build tags, so that their logic (config,
# naming, IPAM, protocol, rules) is tested anywhere. vet keeps it so.
PURE_PACKAGES := ./atomicfile ./authkeys ./config ./crashpoint ./disks ./fdbudget ./guestinit ./images ./labs \
	./inroot/... ./limits ./namerule ./netplumb ./poll ./protocol ./view ./view/procstat ./session/asciicast ./session/runes ./session/screen ./sftpserve ./syscallfilter/... ./ttymodes

# kube-bins builds the Kubernetes control plane that the tests of kube/ run
# (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, at the
# versions hack/kube-bins/go.mod names) from Go modules into KUBE_BIN_DIR,
# outside the repository: once per machine (cold on 2 cores: 18-19 CPU-minutes,
# 15 minutes beside other tests, 32 on a very busy machine; plus the module
# downloads on a fresh machine),
# nothing when the binaries are there with a stamp of that go.mod and go.sum.
KUBE_CACHE   ?= /var/cache/vmhost-kube
KUBE_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2 }' hack/kube-bins/go.mod)
KUBE_BIN_DIR := $(KUBE_CACHE)/$(KUBE_VERSION)/bin

kube-bins: check-sudo
	$(SUDO) env PATH="$$PATH" hack/kube-bins/build.sh $(KUBE_CACHE)

vet:
	go vet ./...
	GOOS=darwin go vet $(PURE_PACKAGES)

test: deps web-assets kube-bins
	$(MAKE) vet
	$(SUDO) env PATH="$$PATH" VMHOST_DEBOOTSTRAP_CACHE=$(DEBOOTSTRAP_CACHE) VMHOST_KUBE_BIN_DIR=$(KUBE_BIN_DIR) \
		go test -count=1 -timeout 45m ./...
	$(MAKE) fuzz

# The fuzz targets, as package:Target; their seed corpora also run in every
# go test. Each runs for FUZZTIME, with short minimizing so that an input
# found new does not hold the run up for a minute.
FUZZ_TARGETS := config:FuzzParse images:FuzzCleanName images:FuzzExtract \
	sshgate:FuzzSFTPStream sshgate:FuzzSFTPAudit session/screen:FuzzScreen
FUZZTIME     := 4s

# A run that ends in the fuzzing engine's own "context deadline exceeded",
# with no failing input written, is the engine missing its deadline on a
# loaded machine, not a finding: that target runs once more.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzzing $$name of ./$$pkg for $(FUZZTIME)"; \
		for try in 1 2; do \
			out=$$(go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./$$pkg/ 2>&1); rc=$$?; \
			echo "$$out"; \
			[ $$rc -eq 0 ] && break; \
			if [ $$try -eq 1 ] && echo "$$out" | grep -q 'context deadline exceeded' \
				&& ! echo "$$out" | grep -q 'Failing input written'; then \
				echo "the fuzzing engine missed its own deadline (no failing input): $$name once more"; continue; \
			fi; \
			exit 1; \
		done; \
	done

# run uses the key of the user who typed "make run" (SUDO_USER under sudo)
# as alice's key: config.example.yaml reads it from .run/alice.pub.
run: deps build
	@user="$${SUDO_USER:-$$(id -un)}"; \
	home="$$(getent passwd "$$user" | cut -d: -f6)"; \
	key="$$home/.ssh/id_ed25519"; \
	as_user=""; \
	if [ "$$(id -un)" != "$$user" ]; then as_user="runuser -u $$user --"; fi; \
	if [ ! -f "$$key.pub" ]; then \
		echo "Generating $$key for $$user"; \
		$$as_user mkdir -p -m 700 "$$home/.ssh" && \
		$$as_user ssh-keygen -q -t ed25519 -N '' -f "$$key" || exit 1; \
	fi; \
	mkdir -p .run && cp "$$key.pub" .run/alice.pub
	@echo
	@echo "Try: ssh -p 2222 -o StrictHostKeyChecking=accept-new alice@localhost"
	@echo
	$(SUDO) bin/vmhostd serve --config $(CONFIG)

# The baselines of make bench. Installing openssh-server must not start the
# system's sshd: a policy-rc.d that denies every start stands for the
# install, unless the machine has its own. The benchmark starts an sshd of its
# own on 127.0.0.1.
BENCH_PACKAGES := openssh-server iperf3
# BENCH_FLAGS pass on to the benchmark: -figures 1,2 -runs 5 -density 100 ...
BENCH_FLAGS    :=

bench-deps: deps
	@missing=""; \
	for p in $(BENCH_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		guard=""; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null && \
			$(SUDO) chmod 755 /usr/sbin/policy-rc.d && guard=1; \
		fi; \
		$(SUDO) apt-get update -q; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing; status=$$?; \
		if [ -n "$$guard" ]; then $(SUDO) rm -f /usr/sbin/policy-rc.d; fi; \
		exit $$status; \
	fi

bench: bench-deps build
	$(SUDO) env PATH="$$PATH" VMHOST_DEBOOTSTRAP_CACHE=$(DEBOOTSTRAP_CACHE) \
		go run ./bench -vmhostd bin/vmhostd -out bench/RESULTS.md $(BENCH_FLAGS)

# clean falls back to root: guests' files under .run belong to high uids.
clean:
	rm -rf bin .run 2>/dev/null || $(SUDO) rm -rf bin .run

# install puts the binary in $(PREFIX)/sbin, the unit in $(UNITDIR) and the
# example config in /etc/vmhost/config.yaml unless one is there (alice's key
# file then is /home/alice/.ssh/authorized_keys: edit users: first).
# DESTDIR stages it all under another root, for packaging.
PREFIX  ?= /usr/local
UNITDIR ?= /etc/systemd/system
DESTDIR ?=

install: build check-sudo
	$(SUDO) install -D -m 0755 bin/vmhostd $(DESTDIR)$(PREFIX)/sbin/vmhostd
	sed 's#/usr/local/sbin/vmhostd#$(PREFIX)/sbin/vmhostd#' init/vmhostd.service \
		| $(SUDO) install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/vmhostd.service
	@if [ -e $(DESTDIR)/etc/vmhost/config.yaml ]; then \
		echo "keeping $(DESTDIR)/etc/vmhost/config.yaml"; \
	else \
		sed 's#authorized_keys_file: .run/alice.pub#authorized_keys_file: /home/alice/.ssh/authorized_keys#' $(CONFIG) \
			| $(SUDO) install -D -m 0600 /dev/stdin $(DESTDIR)/etc/vmhost/config.yaml; \
	fi
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
		$(SUDO) systemctl daemon-reload; fi
	@echo "Edit /etc/vmhost/config.yaml, then: systemctl enable --now vmhostd"

# uninstall leaves /etc/vmhost and the data (/var/lib/vmhost), and guests
# that still run: stop them first with vmhostd guest stop.
uninstall: check-sudo
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
		$(SUDO) systemctl disable --now vmhostd 2>/dev/null || true; fi
	$(SUDO) rm -f $(DESTDIR)$(PREFIX)/sbin/vmhostd $(DESTDIR)$(UNITDIR)/vmhostd.service
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
		$(SUDO) systemctl daemon-reload; fi

# kube-generate writes the Guest API's DeepCopy methods
# (kube/api/v1alpha1/zz_generated.deepcopy.go) and its CRD
# (deploy/kubernetes/crds/) with controller-gen, at the version go.mod pins
# as a tool.
kube-generate:
	go tool controller-gen object paths=./kube/api/...
	go tool controller-gen crd paths=./kube/api/... output:crd:artifacts:config=deploy/kubernetes/crds
