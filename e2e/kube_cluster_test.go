package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
)

// TestKubeCluster: `ssh alice@gateway` reaches a guest placed on one of
// three nodes, through either of two gateway replicas and after one of
// them is killed; a guest that fits no node is refused with the
// scheduler's reason; a node that dies takes its local guest's files with
// it, and the owner is told; a volume guest whose node dies comes back on
// another node with its files.
func TestKubeCluster(t *testing.T) {
	k := newKubeCluster(t)
	k.users("alice", "bob")
	for _, s := range []string{"a", "b", "c"} {
		k.addNode(s, "2", "2Gi")
	}
	gw1, port1 := k.addGateway()
	_, port2 := k.addGateway()

	out, errOut, code := k.ssh(port1, "alice", "echo hi-$((6*7)); hostname")
	if code != 0 || !strings.HasPrefix(out, "hi-42\n") {
		t.Fatalf("ssh alice@gateway: exit %d, stdout %q, stderr %q; want hi-42", code, out, errOut)
	}
	g := k.guest("alice", "alice")
	if g == nil || g.Status.Phase != v1alpha1.PhaseRunning || k.nodes[g.Status.Node] == nil {
		t.Fatalf("alice's Guest after her login: %+v; want Running on one of the nodes", g)
	}
	node := k.nodes[g.Status.Node]
	if _, _, code := k.ssh(port1, "alice", "echo kept > /root/file"); code != 0 {
		t.Fatal("writing a file in alice's guest failed")
	}

	t.Run("another replica, and one killed", func(t *testing.T) {
		gw1.kill9()
		out, errOut, code := k.ssh(port2, "alice", "cat /root/file")
		if code != 0 || out != "kept\n" {
			t.Fatalf("alice through the second gateway: exit %d, %q, %q; want her file", code, out, errOut)
		}
	})

	t.Run("a guest that fits no node", func(t *testing.T) {
		mem := resource.MustParse("64Gi")
		k.create(&v1alpha1.Guest{
			ObjectMeta: metav1.ObjectMeta{Namespace: k.ns, Name: v1alpha1.ResourceName("bob", "big")},
			Spec:       v1alpha1.GuestSpec{Owner: "bob", Name: "big", Limits: v1alpha1.GuestLimits{Memory: &mem}},
		})
		_, errOut, code := k.ssh(port2, "bob+big", "true")
		if code == 0 || !strings.Contains(errOut, "cannot be placed") || !strings.Contains(errOut, "Insufficient memory") {
			t.Fatalf("bob+big: exit %d, stderr %q; want refused with the scheduler's Insufficient memory", code, errOut)
		}
		if g := k.guest("bob", "big"); g == nil || g.Status.Phase != v1alpha1.PhasePending {
			t.Errorf("bob's big Guest: %+v; want Pending", g)
		}
	})

	t.Run("a node dies with a local guest", func(t *testing.T) {
		k.killNode(node)
		k.eventually(90*time.Second, "alice's guest marked Lost", func() bool {
			g := k.guest("alice", "alice")
			return g != nil && g.Status.Phase == v1alpha1.PhaseLost
		})
		_, errOut, code := k.ssh(port2, "alice", "true")
		if code == 0 || !strings.Contains(errOut, "guest lost") || !strings.Contains(errOut, node.name) {
			t.Fatalf("alice after her node died: exit %d, stderr %q; want told her files were on %s", code, errOut, node.name)
		}
		// Acknowledged (running false), the next login makes a new guest
		// on a node that lives.
		g := k.guest("alice", "alice")
		patch := client.MergeFrom(g.DeepCopy())
		g.Spec.Running = false
		if err := k.c.Patch(context.Background(), g, patch); err != nil {
			t.Fatal(err)
		}
		k.eventually(30*time.Second, "alice's lost guest acknowledged", func() bool {
			g := k.guest("alice", "alice")
			return g != nil && g.Status.Phase == v1alpha1.PhaseStopped
		})
		out, errOut, code := k.ssh(port2, "alice", "cat /root/file 2>&1; echo back")
		if code != 0 || !strings.Contains(out, "back") || strings.Contains(out, "kept") {
			t.Fatalf("alice's new guest: exit %d, %q, %q; want a fresh guest without her old file", code, out, errOut)
		}
		if g := k.guest("alice", "alice"); g == nil || g.Status.Node == node.name {
			t.Errorf("alice's new guest: %+v; want it on another node than %s", g, node.name)
		}
	})

	t.Run("a node dies with a volume guest", func(t *testing.T) {
		k.volumeGuest("bob", "bob", "1Gi")
		if _, errOut, code := k.ssh(port2, "bob", "echo on-volume > /root/file && chown 1000:1000 /root/file"); code != 0 {
			t.Fatalf("writing a file in bob's volume guest: exit %d, %q", code, errOut)
		}
		g := k.guest("bob", "bob")
		node := k.nodes[g.Status.Node]
		if node == nil {
			t.Fatalf("bob's Guest: %+v; want it Running on a node", g)
		}
		k.killNode(node)
		k.eventually(90*time.Second, "bob's guest running on another node", func() bool {
			g := k.guest("bob", "bob")
			return g != nil && g.Status.Phase == v1alpha1.PhaseRunning && g.Status.Node != node.name
		})
		out, errOut, code := k.ssh(port2, "bob", "cat /root/file; stat -c %u /root/file")
		if code != 0 || out != "on-volume\n1000\n" {
			t.Fatalf("bob's guest after his node died: exit %d, %q, %q; want his file, owned by 1000 as he left it", code, out, errOut)
		}
	})
}
