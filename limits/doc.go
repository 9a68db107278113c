// Package limits puts each guest in a cgroup of its own, with the limits the
// configuration gives it: memory (and swap), CPU as a fraction of cores and
// as a weight, the number of processes, and block I/O weight. Every group
// also has a device allow list: a guest's processes may use the devices the
// init gives them (null, zero, full, random, urandom, tty and terminals of
// their own) and no other device node, whatever nodes their image carries.
//
// It is built on github.com/containerd/cgroups/v3: cgroup1 on legacy and
// hybrid hosts (the v1 controllers cpu, cpuacct, memory, pids, blkio and
// devices), cgroup2 on unified hosts (there a BPF_CGROUP_DEVICE program
// allows the devices). A Controller owns the groups under one parent group,
// unique per daemon; a Group is the cgroup of one guest. Group.Start starts
// a process inside the group before it runs any code of its own, so nothing
// it starts escapes: on cgroup2 with CLONE_INTO_CGROUP, on cgroup1 by forking
// from a thread moved into the group for the moment of the fork.
package limits
