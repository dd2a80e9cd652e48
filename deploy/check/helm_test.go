package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const chartPath = "deploy/helm/licensebot"

// rendered is one `helm template` run, decoded.
type rendered struct {
	deployment   *appsv1.Deployment
	service      *corev1.Service
	configMap    *corev1.ConfigMap
	ingress      *networkingv1.Ingress
	netpol       *networkingv1.NetworkPolicy
	pdb          *policyv1.PodDisruptionBudget
	monitor      *monitoringv1.ServiceMonitor
	rule         *monitoringv1.PrometheusRule
	account      *corev1.ServiceAccount
	kinds        []string
	notes        string
	releaseLabel string
}

func valuesFile(t *testing.T, name string) map[string]any {
	t.Helper()
	if name == "" {
		return map[string]any{}
	}
	v, err := chartutil.ReadValuesFile(filepath.Join(repoRoot(), chartPath, name))
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// helmLint is `helm lint --strict`: any warning or error fails.
func helmLint(t *testing.T, vals map[string]any) {
	t.Helper()
	l := lint.AllWithKubeVersion(filepath.Join(repoRoot(), chartPath), vals, "licensebot", nil)
	for _, m := range l.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %v", m)
		}
	}
}

// helmTemplate is `helm template licensebot CHART -f vals`, every object
// decoded strictly into its Kubernetes type (unknown fields refused).
func helmTemplate(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	ch, err := loader.Load(filepath.Join(repoRoot(), chartPath))
	if err != nil {
		t.Fatal(err)
	}
	opts := chartutil.ReleaseOptions{Name: "licensebot", Namespace: "licensebot", Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	out, err := engine.Engine{Strict: true}.Render(ch, rv)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var r rendered
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			r.notes = out[name]
			continue
		}
		for _, doc := range strings.Split(out[name], "\n---") {
			if strings.TrimSpace(strings.ReplaceAll(doc, "---", "")) == "" {
				continue
			}
			r.decode(t, name, []byte(doc))
		}
	}
	return r
}

func (r *rendered) decode(t *testing.T, file string, doc []byte) {
	t.Helper()
	var head struct{ APIVersion, Kind string }
	if err := yaml.Unmarshal(doc, &head); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var into any
	want := map[string]string{}
	switch head.Kind {
	case "Deployment":
		r.deployment, into = &appsv1.Deployment{}, &r.deployment
		want[head.Kind] = "apps/v1"
	case "Service":
		r.service, into = &corev1.Service{}, &r.service
		want[head.Kind] = "v1"
	case "ConfigMap":
		r.configMap, into = &corev1.ConfigMap{}, &r.configMap
		want[head.Kind] = "v1"
	case "ServiceAccount":
		r.account, into = &corev1.ServiceAccount{}, &r.account
		want[head.Kind] = "v1"
	case "Ingress":
		r.ingress, into = &networkingv1.Ingress{}, &r.ingress
		want[head.Kind] = "networking.k8s.io/v1"
	case "NetworkPolicy":
		r.netpol, into = &networkingv1.NetworkPolicy{}, &r.netpol
		want[head.Kind] = "networking.k8s.io/v1"
	case "PodDisruptionBudget":
		r.pdb, into = &policyv1.PodDisruptionBudget{}, &r.pdb
		want[head.Kind] = "policy/v1"
	case "ServiceMonitor":
		r.monitor, into = &monitoringv1.ServiceMonitor{}, &r.monitor
		want[head.Kind] = "monitoring.coreos.com/v1"
	case "PrometheusRule":
		r.rule, into = &monitoringv1.PrometheusRule{}, &r.rule
		want[head.Kind] = "monitoring.coreos.com/v1"
	default:
		t.Fatalf("%s: no check knows kind %q; add it to decode", file, head.Kind)
	}
	if head.APIVersion != want[head.Kind] {
		t.Errorf("%s: %s is %s, want %s", file, head.Kind, head.APIVersion, want[head.Kind])
	}
	if err := strictDecode(doc, into); err != nil {
		t.Fatalf("%s: %s does not decode strictly: %v\n%s", file, head.Kind, err, doc)
	}
	r.kinds = append(r.kinds, head.Kind)
}

// strictDecode refuses unknown and misplaced fields, as the API server's
// strict field validation does.
func strictDecode(doc []byte, into any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func TestChartDefaultValues(t *testing.T) {
	helmLint(t, nil)
	r := helmTemplate(t, nil)
	for _, k := range []string{"ConfigMap", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"} {
		if !slices.Contains(r.kinds, k) {
			t.Errorf("default values render no %s (rendered %v)", k, r.kinds)
		}
	}
	if r.ingress != nil || r.monitor != nil || r.rule != nil {
		t.Errorf("Ingress, ServiceMonitor and PrometheusRule are opt-in; rendered %v", r.kinds)
	}
	checkDeployment(t, r, 2)
	checkCommon(t, r)
	cfg := configOf(t, r)
	if cfg["store"] != "redis" {
		t.Errorf("config store = %v, want redis (replicas share Redis)", cfg["store"])
	}
	if !strings.Contains(r.notes, "create secret generic licensebot") || !strings.Contains(r.notes, "REDIS_URL must be in that Secret") {
		t.Errorf("NOTES.txt does not say what to do next:\n%s", r.notes)
	}
}

func TestChartSentinelValues(t *testing.T) {
	vals := valuesFile(t, "ci/sentinel-values.yaml")
	helmLint(t, vals)
	r := helmTemplate(t, vals)
	checkDeployment(t, r, 3)
	checkCommon(t, r)
	cfg := configOf(t, r)
	rc, _ := cfg["redis"].(map[string]any)
	if rc["master_name"] != "mymaster" || len(rc["sentinel_addrs"].([]any)) != 3 || cfg["provider"] != "cloudcockpit" {
		t.Errorf("sentinel configuration not carried into the ConfigMap: %v", cfg)
	}
	if r.ingress == nil {
		t.Fatal("no Ingress with ingress.enabled")
	}
	var paths []string
	for _, rule := range r.ingress.Spec.Rules {
		for _, p := range rule.HTTP.Paths {
			paths = append(paths, p.Path)
			if p.Backend.Service == nil || p.Backend.Service.Port.Name != "http" {
				t.Errorf("Ingress path %s reaches %+v, want the http port only", p.Path, p.Backend)
			}
		}
	}
	if fmt.Sprint(paths) != "[/slack/ /api/messages]" {
		t.Errorf("Ingress routes %v, want exactly /slack/ and /api/messages", paths)
	}
	if r.monitor == nil || len(r.monitor.Spec.Endpoints) != 1 || r.monitor.Spec.Endpoints[0].Port != "admin" || r.monitor.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor should scrape /metrics on the admin port: %+v", r.monitor)
	}
	if r.rule == nil {
		t.Fatal("no PrometheusRule with prometheusRule.enabled")
	}
	spec, err := yaml.Marshal(r.rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := rulefmt.Parse(spec, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler)); len(errs) > 0 {
		t.Errorf("PrometheusRule rules do not parse: %v", errs)
	}
	if got := len(r.rule.Spec.Groups[0].Rules); got < 9 {
		t.Errorf("PrometheusRule has %d rules, want the whole alerts.yaml", got)
	}
}

// Bad values are refused by values.schema.json before anything renders.
func TestChartSchemaRefusesInsecureOrUnknownValues(t *testing.T) {
	ch, err := loader.Load(filepath.Join(repoRoot(), chartPath))
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range map[string]map[string]any{
		"root file system writable": {"securityContext": map[string]any{"readOnlyRootFilesystem": false}},
		"privilege escalation":      {"securityContext": map[string]any{"allowPrivilegeEscalation": true}},
		"run as root":               {"podSecurityContext": map[string]any{"runAsNonRoot": false}},
		"no replicas":               {"replicaCount": 0},
		"misspelt key":              {"replicas": 3},
		"store set by hand":         {"config": map[string]any{"store": "bolt", "customers": []any{map[string]any{"id": "x"}}}},
		"no secret":                 {"existingSecret": ""},
	} {
		opts := chartutil.ReleaseOptions{Name: "licensebot", Namespace: "licensebot"}
		if _, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities); err == nil {
			t.Errorf("%s: values accepted", name)
		}
	}
}

func checkDeployment(t *testing.T, r rendered, replicas int32) {
	t.Helper()
	d := r.deployment
	if d == nil {
		t.Fatal("no Deployment")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas {
		t.Errorf("replicas = %v, want %d", d.Spec.Replicas, replicas)
	}
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("strategy %+v, want a rolling update with maxUnavailable 0", d.Spec.Strategy)
	}
	pod := d.Spec.Template.Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; the bot never calls the Kubernetes API")
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext %+v: want read-only root, no privilege escalation, non-root, all capabilities dropped", sc)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness %+v, want GET /healthz", c.LivenessProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness %+v, want GET /readyz", c.ReadinessProbe)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name == "" {
		t.Errorf("tokens should come from an existing Secret: envFrom %+v", c.EnvFrom)
	}
	for _, e := range c.Env {
		if strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "PASSWORD") || strings.Contains(e.Name, "SECRET") {
			t.Errorf("secret-looking %s set in the Deployment itself", e.Name)
		}
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no preStop sleep: the pod stops listening before endpoints drop it")
	}
	if !slices.Contains(c.Args, "--config=/etc/licensebot/licensebot.yaml") {
		t.Errorf("args %v do not use the ConfigMap's configuration", c.Args)
	}
}

func checkCommon(t *testing.T, r rendered) {
	t.Helper()
	if r.pdb == nil || r.pdb.Spec.MaxUnavailable == nil || r.pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget %+v, want maxUnavailable 1", r.pdb)
	}
	if r.netpol == nil {
		t.Fatal("no NetworkPolicy")
	}
	for _, rule := range r.netpol.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port != nil && p.Port.String() == "admin" && len(rule.From) == 0 {
				t.Error("NetworkPolicy opens the admin port to everyone")
			}
		}
	}
	if r.service == nil {
		t.Fatal("no Service")
	}
	ports := map[string]string{}
	for _, p := range r.service.Spec.Ports {
		ports[p.Name] = p.TargetPort.String()
	}
	if ports["http"] != "http" || ports["admin"] != "admin" {
		t.Errorf("Service ports %v", ports)
	}
	if r.account == nil || r.account.AutomountServiceAccountToken == nil || *r.account.AutomountServiceAccountToken {
		t.Error("ServiceAccount mounts its token")
	}
}

func configOf(t *testing.T, r rendered) map[string]any {
	t.Helper()
	if r.configMap == nil {
		t.Fatal("no ConfigMap")
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(r.configMap.Data["licensebot.yaml"]), &cfg); err != nil {
		t.Fatalf("licensebot.yaml in the ConfigMap: %v", err)
	}
	return cfg
}

// The PrometheusRule ships a copy of deploy/prometheus/alerts.yaml (Helm
// cannot read outside the chart): the two must not drift.
func TestChartAlertsAreTheRepositoryAlerts(t *testing.T) {
	a, err := readRepoFile("deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := readRepoFile(chartPath + "/files/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("deploy/helm/licensebot/files/alerts.yaml differs from deploy/prometheus/alerts.yaml: copy it over")
	}
}
