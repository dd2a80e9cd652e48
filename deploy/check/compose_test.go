package check

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads deploy/compose as `docker compose config` would after
// `cp .env.example .env`, from a copy so the check never writes in the
// repository. env is the shell environment of the run.
func loadCompose(t *testing.T, env ...string) *types.Project {
	t.Helper()
	src := filepath.Join(repoRoot(), "deploy", "compose")
	dir := t.TempDir()
	for _, f := range []string{"compose.yaml", "licensebot.yaml", ".env.example"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, ".env.example"))
	if err := os.WriteFile(filepath.Join(dir, ".env"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnv(env), cli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	return p
}

func TestComposeSingleHost(t *testing.T) {
	p := loadCompose(t)
	bot, err := p.GetService("licensebot")
	if err != nil {
		t.Fatal(err)
	}
	redis, err := p.GetService("redis")
	if err != nil {
		t.Fatal(err)
	}

	// Redis: AOF every second, never evict, a health check.
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %q", cmd, want)
		}
	}
	if redis.HealthCheck == nil || len(redis.HealthCheck.Test) == 0 || redis.HealthCheck.Disable {
		t.Error("redis has no health check")
	}
	if len(redis.Ports) > 0 {
		t.Errorf("redis is published on the host: %+v", redis.Ports)
	}

	// The bot: health check through the binary, waits for a healthy Redis.
	if bot.HealthCheck == nil || !slices.Equal(bot.HealthCheck.Test, []string{"CMD", "/licensebot", "healthcheck"}) {
		t.Errorf("licensebot health check %+v, want CMD /licensebot healthcheck", bot.HealthCheck)
	}
	if dep, ok := bot.DependsOn["redis"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("licensebot depends_on %+v, want redis service_healthy", bot.DependsOn)
	}
	// Only the public port is published; the admin listener stays on
	// the container's loopback.
	if len(bot.Ports) != 1 || bot.Ports[0].Target != 8080 {
		t.Errorf("licensebot publishes %+v, want only 8080", bot.Ports)
	}
	if admin := bot.Environment["LICENSEBOT_ADMIN_ADDR"]; admin == nil || !strings.HasPrefix(*admin, "127.0.0.1:") {
		t.Errorf("LICENSEBOT_ADMIN_ADDR = %v, want loopback", admin)
	}
	if url := bot.Environment["REDIS_URL"]; url == nil || *url != "redis://redis:6379/0" {
		t.Errorf("REDIS_URL = %v", url)
	}
	// Hardening, as in the image and the chart.
	if !bot.ReadOnly || bot.User != "65532:65532" || !slices.Contains(bot.CapDrop, "ALL") || !slices.Contains(bot.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("licensebot hardening: read_only %v user %q cap_drop %v security_opt %v", bot.ReadOnly, bot.User, bot.CapDrop, bot.SecurityOpt)
	}
	// Secrets come from .env, and .env.example brings both platforms up
	// (Slack over HTTP, Teams).
	if len(bot.EnvFiles) != 1 || filepath.Base(bot.EnvFiles[0].Path) != ".env" || !bot.EnvFiles[0].Required {
		t.Errorf("env_file %+v, want a required .env", bot.EnvFiles)
	}
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID"} {
		if v := bot.Environment[k]; v == nil || *v == "" {
			t.Errorf("%s not set from .env", k)
		}
	}
	if v := bot.Environment["SLACK_APP_TOKEN"]; v != nil {
		t.Error("SLACK_APP_TOKEN set by default: the Compose example runs Slack over HTTP")
	}
	// The build context is two levels up from deploy/compose: the
	// repository root, where the Dockerfile is.
	if bot.Build == nil || bot.Build.Dockerfile != "Dockerfile" || bot.Build.Context != filepath.Dir(filepath.Dir(p.WorkingDir)) {
		t.Errorf("build %+v, want the repository root's Dockerfile", bot.Build)
	}
	if _, err := os.Stat(filepath.Join(repoRoot(), "Dockerfile")); err != nil {
		t.Error(err)
	}
	if bot.StopGracePeriod == nil || *bot.StopGracePeriod <= types.Duration(20e9) {
		t.Errorf("stop_grace_period %v must outlast serve's 20 s drain", bot.StopGracePeriod)
	}
	if !slices.Contains(bot.Command, "/etc/licensebot/licensebot.yaml") {
		t.Errorf("command %v does not read the mounted configuration", bot.Command)
	}
}

// A password given in .env reaches the bot through REDIS_URL.
func TestComposeRedisURLFromTheEnvironment(t *testing.T) {
	p := loadCompose(t, "REDIS_URL=redis://:s3cret@redis:6379/0")
	bot, _ := p.GetService("licensebot")
	if url := bot.Environment["REDIS_URL"]; url == nil || *url != "redis://:s3cret@redis:6379/0" {
		t.Errorf("REDIS_URL = %v", url)
	}
}
