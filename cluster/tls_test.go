package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"vmhost/cluster/clustertest"
	"vmhost/config"
)

// tlsServer serves an echo of one line over Listen with srv's config; the
// refusals it saw are in the returned function.
func tlsServer(t *testing.T, srv *ServerTLS) (string, func() []string) {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var refusals []string
	ln := Listen(tcp, srv.Config(), func(_ net.Addr, err error) {
		mu.Lock()
		refusals = append(refusals, err.Error())
		mu.Unlock()
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.Copy(c, io.LimitReader(c, 3))
			}()
		}
	}()
	return tcp.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), refusals...)
	}
}

// dial connects with cfg and returns the echo of "hi\n", or the error.
func dial(addr string, cfg *tls.Config) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hi\n")); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestServerTLS(t *testing.T) {
	ca, other := clustertest.NewCA(t, "cluster"), clustertest.NewCA(t, "other")
	agent := ca.Server(t, "node-1", "127.0.0.1")
	cl := config.Cluster{CA: ca.File, Cert: agent.CertFile, Key: agent.KeyFile, GatewayName: "vmhost-gateway"}
	srv, err := NewServerTLS(cl)
	if err != nil {
		t.Fatal(err)
	}
	addr, refusals := tlsServer(t, srv)
	client := func(certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: ca.Pool(), ServerName: "node-1", Certificates: certs}
	}
	if got, err := dial(addr, client(ca.Client(t, "vmhost-gateway").TLS)); err != nil || got != "hi\n" {
		t.Fatalf("the gateway: %q, %v", got, err)
	}
	otherCA := client()
	otherCert := other.Client(t, "vmhost-gateway").TLS
	otherCA.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &otherCert, nil }
	tls12 := client(ca.Client(t, "vmhost-gateway").TLS)
	tls12.MaxVersion = tls.VersionTLS12
	tests := []struct {
		name string
		cfg  *tls.Config
		want string
	}{
		{"no client certificate", client(), "certificate"},
		{"another CommonName", client(ca.Client(t, "alice").TLS), `names "alice", not the gateway`},
		{"another CA", otherCA, "unknown authority"},
		{"a server certificate", client(ca.Client(t, "vmhost-gateway", x509.ExtKeyUsageServerAuth).TLS), "incompatible key usage"},
		{"TLS 1.2", tls12, "unsupported versions"},
	}
	for _, tt := range tests {
		before := len(refusals())
		if got, err := dial(addr, tt.cfg); err == nil && got != "" {
			t.Errorf("%s: echoed %q; want the handshake refused", tt.name, got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(refusals()) == before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if r := refusals(); len(r) == before || !strings.Contains(r[len(r)-1], tt.want) {
			t.Errorf("%s: refusals %q; want one more with %q", tt.name, r[before:], tt.want)
		}
	}
}

func TestServerTLSReload(t *testing.T) {
	ca, next := clustertest.NewCA(t, "cluster"), clustertest.NewCA(t, "next")
	agent := ca.Server(t, "node-1")
	cl := config.Cluster{CA: ca.File, Cert: agent.CertFile, Key: agent.KeyFile, GatewayName: "gw"}
	srv, err := NewServerTLS(cl)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := tlsServer(t, srv)
	gw := &tls.Config{RootCAs: ca.Pool(), ServerName: "node-1", Certificates: []tls.Certificate{next.Client(t, "gw").TLS}}
	if _, err := dial(addr, gw); err == nil {
		t.Fatal("a gateway of the next CA got in before the reload")
	}
	if err := srv.Reload(config.Cluster{CA: "/nonexistent", Cert: agent.CertFile, Key: agent.KeyFile, GatewayName: "gw"}); err == nil {
		t.Error("Reload with a missing CA file took it")
	}
	cl.CA = next.File
	if err := srv.Reload(cl); err != nil {
		t.Fatal(err)
	}
	if got, err := dial(addr, gw); err != nil || got != "hi\n" {
		t.Errorf("a gateway of the next CA after the reload: %q, %v", got, err)
	}
}

func TestRefusalLog(t *testing.T) {
	now := time.Unix(1000, 0)
	var lines []string
	r := &RefusalLog{burst: 2, window: time.Minute, now: func() time.Time { return now }}
	take := func() {
		if d, ok := r.take(); ok {
			lines = append(lines, strings.Repeat("+", d+1))
		}
	}
	for range 5 {
		take()
	}
	now = now.Add(time.Minute)
	take()
	if got := strings.Join(lines, " "); got != "+ + ++++" {
		t.Errorf("lines = %q, want 2 lines, then one that counts the 3 not logged", got)
	}
}

func TestCheckUserCA(t *testing.T) {
	ca := clustertest.NewUserCA(t)
	if err := CheckUserCA(ca.File); err != nil {
		t.Errorf("CheckUserCA(a CA's .pub) = %v", err)
	}
	ours := clustertest.NewCA(t, "cluster")
	for _, path := range []string{ours.File, "/nonexistent"} {
		if err := CheckUserCA(path); err == nil {
			t.Errorf("CheckUserCA(%s) took it", path)
		}
	}
}
