package procstat

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseUsageAll(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    map[int]CPUTime
		wantErr bool
	}{
		{"cpu user system\n0 10000000 20000000\n1 5 0\n", map[int]CPUTime{0: {User: 10 * time.Millisecond, System: 20 * time.Millisecond}, 1: {User: 5}}, false},
		{"cpu user system\n", map[int]CPUTime{}, false},
		{"", nil, true},
		{"cpu user system\n0 1\n", nil, true},
		{"cpu user system\n0 x 1\n", nil, true},
		{"cpu user system\n-1 1 1\n", nil, true},
		{"0 1 2\n", nil, true},
	} {
		got, err := ParseUsageAll([]byte(tt.in))
		if (err != nil) != tt.wantErr || !cmp.Equal(got, tt.want) {
			t.Errorf("ParseUsageAll(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseCPUStat(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    CPUTime
		wantErr bool
	}{
		{"usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 0\n", CPUTime{User: 2 * time.Millisecond, System: time.Millisecond}, false},
		{"usage_usec 3000\n", CPUTime{}, true},
		{"user_usec x\nsystem_usec 1\n", CPUTime{}, true},
		{"", CPUTime{}, true},
	} {
		got, err := ParseCPUStat([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseCPUStat(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	for _, tt := range []struct {
		in            string
		quota, period int64
	}{
		{"max 100000\n", 0, 0},
		{"150000 100000\n", 150000, 100000},
		{"0 100000", 0, 0},
		{"junk", 0, 0},
		{"", 0, 0},
	} {
		if q, p := ParseCPUMax([]byte(tt.in)); q != tt.quota || p != tt.period {
			t.Errorf("ParseCPUMax(%q) = %d, %d; want %d, %d", tt.in, q, p, tt.quota, tt.period)
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"-1\n", -1}, {"100000\n", 100000}, {"", 0}, {"x", 0}} {
		if got := ParseInt([]byte(tt.in)); got != tt.want {
			t.Errorf("ParseInt(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCgroupPath(t *testing.T) {
	v1 := "9:name=systemd:/\n4:memory:/vmhost-br/alice\n2:cpu,cpuacct:/vmhost-br/alice\n0::/\n"
	split := "3:cpuset:/vmhost-br/bob\n2:cpuacct:/vmhost-br/bob/sub\n1:cpu:/\n0::/\n"
	v2 := "0::/vmhost-br/carol\n"
	for _, tt := range []struct {
		name, in string
		v1       bool
		want     string
		ok       bool
	}{
		{"cgroup1 co-mounted", v1, true, "/vmhost-br/alice", true},
		{"cgroup1 cpuacct alone", split, true, "/vmhost-br/bob/sub", true},
		{"hybrid read as cgroup2", v1, false, "/", true},
		{"cgroup2", v2, false, "/vmhost-br/carol", true},
		{"cgroup2 text, cgroup1 wanted", v2, true, "", false},
		{"empty", "", false, "", false},
	} {
		got, ok := CgroupPath([]byte(tt.in), tt.v1, "cpuacct")
		if got != tt.want || ok != tt.ok {
			t.Errorf("CgroupPath(%s) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGuestGroup(t *testing.T) {
	for _, tt := range []struct {
		p, parent, want string
		ok              bool
	}{
		{"/vmhost-br/alice", "/vmhost-br", "/vmhost-br/alice", true},
		{"/vmhost-br/alice/nested/deeper", "vmhost-br", "/vmhost-br/alice", true},
		{"/vmhost-br", "/vmhost-br", "", false},
		{"/vmhost-br2/alice", "/vmhost-br", "", false},
		{"/", "/vmhost-br", "", false},
		{"/user.slice/x", "/vmhost-br", "", false},
		{"/vmhost-br/../other/x", "/vmhost-br", "", false},
		{"/anything", "/", "", false},
	} {
		got, ok := GuestGroup(tt.p, tt.parent)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GuestGroup(%q, %q) = %q, %v; want %q, %v", tt.p, tt.parent, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseBootOffset(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"monotonic           0         0\nboottime            0         0\n", 0, false},
		{"monotonic -3 0\nboottime -1234 500000000\n", -1234*time.Second + 500*time.Millisecond, false},
		{"monotonic 0 0\n", 0, true},
		{"boottime x 0\n", 0, true},
		{"boottime 99999999999999 0\n", 0, true},
	} {
		got, err := ParseBootOffset([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBootOffset(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseHostStat(t *testing.T) {
	in := "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 92788998 0 0 5739\nctxt 214781816\nbtime 1764000000\nprocesses 123456\nprocs_running 3\nprocs_blocked 0\nsoftirq 55 1 2 3 4 5 6 7 8 9 10\n"
	want := HostCounters{Intr: 92788998, Ctxt: 214781816, Processes: 123456, Softirq: "softirq 55 1 2 3 4 5 6 7 8 9 10"}
	if got := ParseHostStat([]byte(in)); got != want {
		t.Errorf("ParseHostStat = %+v, want %+v", got, want)
	}
	if got := ParseHostStat(nil); got != (HostCounters{}) {
		t.Errorf("ParseHostStat(nil) = %+v, want zero", got)
	}
}

func TestTaskStates(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want byte
	}{
		{"123 (sh) R 1 123", 'R'},
		{"45 (a) b) (c) D 1", 'D'},
		{"7 (x) S", 'S'},
		{"7 (x)", 0},
		{"garbage", 0},
	} {
		if got := TaskState([]byte(tt.in)); got != tt.want {
			t.Errorf("TaskState(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := CountTasks([]byte("RRSDZIR")), (Tasks{Running: 3, Blocked: 1}); got != want {
		t.Errorf("CountTasks = %+v, want %+v", got, want)
	}
}
