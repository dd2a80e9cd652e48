package check

import (
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// The rule file parses with Prometheus's own parser (as `promtool check
// rules` does: YAML fields, PromQL, annotation templates), and has an
// alert for each thing the operator must know.
func TestAlertRules(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.ParseFile(filepath.Join(repoRoot(), "deploy/prometheus/alerts.yaml"), false,
		model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("alerts.yaml: %v", errs)
	}
	known := exportedMetrics(t)
	alerts := map[string]rulefmt.Rule{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = r
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" ||
				!strings.Contains(r.Annotations["runbook_url"], "OPERATIONS.md#"+strings.ToLower(r.Alert)) {
				t.Errorf("%s: needs a severity, a summary, a description and a runbook_url to its section of OPERATIONS.md", r.Alert)
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", r.Alert, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !known[vs.Name] {
					t.Errorf("%s reads %s, which licensebot does not export (known: %v)", r.Alert, vs.Name, sortedKeys(known))
				}
				return nil
			})
		}
	}
	// What issue 14 asks the alerts to cover, and the alert that does.
	for need, alert := range map[string]string{
		"turns failing":                    "LicensebotTurnsFailing",
		"queue full or events dropped":     "LicensebotEventsDropped",
		"Redis unreachable":                "LicensebotStoreUnreachable",
		"portal errors":                    "LicensebotPortalErrors",
		"slow portal":                      "LicensebotPortalSlow",
		"requests in needs_attention":      "LicensebotRequestNeedsAttention",
		"stuck waiting for approval":       "LicensebotApprovalWaiting",
		"reminders late":                   "LicensebotRemindersLate",
		"requests stuck before the portal": "LicensebotRequestStuck",
		"a replica down or not scrapeable": "LicensebotDown",
	} {
		if _, ok := alerts[alert]; !ok {
			t.Errorf("no alert for %s (%s)", need, alert)
		}
	}
	if !strings.Contains(alerts["LicensebotRequestNeedsAttention"].Expr, `licensebot_requests_open{state="needs_attention"}`) {
		t.Error("the needs_attention alert must read licensebot_requests_open{state=\"needs_attention\"}")
	}
}

// exportedMetrics are the metric names licensebot registers, read from
// the code that registers them (a scrape would miss vectors that have no
// series yet), plus Prometheus's own `up`.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{"up": true}
	name := regexp.MustCompile(`Name:\s*"([a-z_]+)"`)
	for _, f := range []string{"telemetry/telemetry.go", "bot/slack/prometheus.go", "bot/teams/prometheus.go"} {
		src, err := readRepoFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			n := m[1]
			known[n] = true
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				known[n+suffix] = true // histograms
			}
		}
	}
	// The chat adapters' metrics are registered by the channel runner,
	// named "<platform>" + suffix.
	src, err := readRepoFile("bot/channel/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	suffix := regexp.MustCompile(`Name:\s*p \+ "([a-z_]+)"`)
	for _, m := range suffix.FindAllStringSubmatch(string(src), -1) {
		for _, platform := range []string{"slack", "teams"} {
			known[platform+m[1]] = true
		}
	}
	if len(known) < 10 {
		t.Fatalf("found only %v: has the metrics code moved?", sortedKeys(known))
	}
	return known
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}
