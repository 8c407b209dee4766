package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	t.Setenv(TimeScaleEnv, "")
	p, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		owner      string
		job        bool
		start, run time.Duration
	}{
		{"keystone-db-sync", true, 5 * time.Second, 20 * time.Second},
		{"keystone-db-init", true, 5 * time.Second, 5 * time.Second},
		{"glance-ks-user", true, 5 * time.Second, 5 * time.Second},
		{"glance-ks-service", true, 5 * time.Second, 5 * time.Second},
		{"glance-ks-endpoints", true, 5 * time.Second, 5 * time.Second},
		{"glance-rabbit-init", true, 5 * time.Second, 3 * time.Second},
		{"nova-cell-setup", true, 5 * time.Second, 5 * time.Second},
		{"keystone-api", false, 5 * time.Second, 0},
		{"keystone-db-sync-extra", true, 5 * time.Second, 5 * time.Second}, // anchored
	}
	for _, c := range cases {
		start, run := p.Durations(c.owner, c.job, "openstack/"+c.owner+"-x")
		if start != c.start || run != c.run {
			t.Errorf("%s: start %v run %v, want %v %v", c.owner, start, run, c.start, c.run)
		}
	}
	if env := p.ImplicitEnv("keystone-rabbit-init"); env["DEPENDENCY_SERVICE"] != "rabbitmq" {
		t.Errorf("implicit env = %v", env)
	}
	if p.ImplicitEnv("glance-rabbit-init") != nil {
		t.Error("implicit env for glance-rabbit-init")
	}
}

// The shipped policy.json is the built-in default.
func TestShippedPolicyIsDefault(t *testing.T) {
	t.Setenv(TimeScaleEnv, "")
	p, err := Load("../../policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, Default()) {
		t.Errorf("policy.json\n got %+v\nwant %+v", p, Default())
	}
}

func TestFileRulesFirstMatchAndScale(t *testing.T) {
	t.Setenv(TimeScaleEnv, "")
	p, err := Load(write(t, `{"timeScale":0.5,"podStartSeconds":4,"rules":[
		{"match":"-db-","runSeconds":10,"startSeconds":2},
		{"match":"-db-sync$","runSeconds":99}]}`))
	if err != nil {
		t.Fatal(err)
	}
	start, run := p.Durations("keystone-db-sync", true, "k")
	if start != time.Second || run != 5*time.Second {
		t.Errorf("first match: start %v run %v, want 1s 5s", start, run)
	}
	// No rule: the file's pod start and the default job run, both scaled.
	start, run = p.Durations("nova-cell-setup", true, "k")
	if start != 2*time.Second || run != 2500*time.Millisecond {
		t.Errorf("defaults: start %v run %v", start, run)
	}
	if len(p.Rules) != 2 || p.Rules[1].RunSeconds == nil || *p.Rules[1].RunSeconds != 99 {
		t.Errorf("rules not replaced whole: %+v", p.Rules)
	}
}

func TestTimeScaleEnvOverridesFile(t *testing.T) {
	t.Setenv(TimeScaleEnv, "0.2")
	p, err := Load(write(t, `{"timeScale":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if start, run := p.Durations("keystone-db-sync", true, "k"); start != time.Second || run != 4*time.Second {
		t.Errorf("start %v run %v, want 1s 4s", start, run)
	}
	t.Setenv(TimeScaleEnv, "fast")
	if _, err := Load(""); err == nil {
		t.Error("a non-numeric time scale was accepted")
	}
	t.Setenv(TimeScaleEnv, "-1")
	if _, err := Load(""); err == nil {
		t.Error("a negative time scale was accepted")
	}
}

func TestBadFiles(t *testing.T) {
	t.Setenv(TimeScaleEnv, "")
	for name, body := range map[string]string{
		"bad regexp":  `{"rules":[{"match":"(","runSeconds":1}]}`,
		"unknown key": `{"podStartSecs":1}`,
		"not json":    `{`,
	} {
		if _, err := Load(write(t, body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestJitter(t *testing.T) {
	t.Setenv(TimeScaleEnv, "")
	p, err := Load(write(t, `{"jitterSeconds":2,"seed":7}`))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[time.Duration]bool{}
	for i := range 200 {
		key := "openstack/pod-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		start, run := p.Durations("keystone-db-sync", true, key)
		if start < 3*time.Second || start > 7*time.Second || run < 18*time.Second || run > 22*time.Second {
			t.Fatalf("%s: start %v run %v outside ±2s", key, start, run)
		}
		if s2, r2 := p.Durations("keystone-db-sync", true, key); s2 != start || r2 != run {
			t.Fatalf("%s: not deterministic", key)
		}
		seen[start] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct start times from 200 pods", len(seen))
	}
	q, _ := Load(write(t, `{"jitterSeconds":2,"seed":8}`))
	a, _ := p.Durations("x", false, "k")
	b, _ := q.Durations("x", false, "k")
	if a == b {
		t.Error("the seed does not change the jitter")
	}
	// Jitter never makes a duration negative.
	z, _ := Load(write(t, `{"jitterSeconds":10,"podStartSeconds":0}`))
	for i := range 50 {
		if s, _ := z.Durations("x", false, string(rune('a'+i))); s < 0 {
			t.Fatalf("negative start %v", s)
		}
	}
}
