package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every portal the demo configuration offers gets a file from `config
// demo --provider` that `config check` accepts: only the credentials,
// which come from the environment, may be missing.
func TestConfigDemoOffersOnlyWhatCheckAccepts(t *testing.T) {
	t.Setenv("CLOUDCOCKPIT_CLIENT_ID", "")
	t.Setenv("PARTNERCENTER_CLIENT_ID", "")
	t.Setenv("REDIS_URL", "")
	out, _, err := run(t, "", "config", "demo")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^provider: \w+ +# ([a-z |]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo does not list its providers:\n%s", out)
	}
	offered := strings.Split(strings.ReplaceAll(m[1], " ", ""), "|")
	if len(offered) != 3 {
		t.Fatalf("providers offered: %v", offered)
	}
	for _, p := range offered {
		demo, _, err := run(t, "", "config", "demo", "--provider", p)
		if err != nil {
			t.Fatalf("config demo --provider %s: %v", p, err)
		}
		file := filepath.Join(t.TempDir(), p+".yaml")
		writeFile(t, file, demo)
		got, _, err := run(t, "", "config", "check", "--config", file, "--data", t.TempDir())
		if !strings.Contains(got, "— OK (2 customers, 6 people)") {
			t.Errorf("%s: config check refuses the demo: %v\n%s", p, err, got)
		}
		if p == "sandbox" {
			if err != nil {
				t.Errorf("sandbox: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "needs") || strings.Contains(err.Error(), "not available") {
			t.Errorf("%s: want only the missing credentials, got %v", p, err)
		}
	}
	if _, _, err := run(t, "", "config", "demo", "--provider", "acme"); err == nil || !strings.Contains(err.Error(), "want one of sandbox, cloudcockpit, partnercenter") {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestPluralCounts(t *testing.T) {
	for n, want := range map[int]string{0: "0 customers", 1: "1 customer", 2: "2 customers"} {
		if got := plural(n, "customer", "customers"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
