package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"
)

// metricName finds the names of vmhostd's own metrics in a PromQL
// expression.
var metricName = regexp.MustCompile(`\b(?:vmhost|go|process)_[a-z0-9_]+\b`)

// servedNames scrapes a host with a guest that has every series, and
// returns every sample name served (histograms as _bucket, _sum, _count).
func servedNames(t *testing.T) map[string]bool {
	h := startTestHost(t, Settings{})
	g := h.runningGuest(t, "alice", "alice")
	writeFiles(t, g.CgroupDirs[""], map[string]string{"pids.max": "512\n"})
	h.src.set(g)
	h.src.disks["alice"] = Disk{UsedBytes: 1, LimitBytes: 2}
	names := map[string]bool{}
	for name, f := range scrape(t, h.url, "") {
		names[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	return names
}

// checkExprs fails the test for each metric of exprs that vmhostd does not
// serve.
func checkExprs(t *testing.T, file string, exprs []string, served map[string]bool) {
	if len(exprs) == 0 {
		t.Errorf("%s: no expression found", file)
	}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			if !served[name] {
				t.Errorf("%s: %q names %s, which vmhostd does not serve", file, strings.TrimSpace(e), name)
			}
		}
	}
}

// TestAlertRules checks docs/prometheus/alerts.yml is a rules file whose
// expressions name only metrics vmhostd serves.
func TestAlertRules(t *testing.T) {
	path := filepath.Join("..", "docs", "prometheus", "alerts.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
				t.Errorf("%s: rule %q lacks alert, expr, a severity or a summary", path, r.Alert)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	checkExprs(t, path, exprs, servedNames(t))
}

// TestDashboard checks docs/grafana/vmhost.json is JSON whose panels'
// queries name only metrics vmhostd serves, and that it shows each guest.
func TestDashboard(t *testing.T) {
	path := filepath.Join("..", "docs", "grafana", "vmhost.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
		exprs = append(exprs, v.Definition)
	}
	if !slices.Contains(vars, "guest") {
		t.Errorf("%s: no guest variable: the dashboard does not show each guest", path)
	}
	checkExprs(t, path, exprs, servedNames(t))
}
