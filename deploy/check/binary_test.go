package check

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockerfileInstructions joins continuation lines and drops comments.
func dockerfileInstructions(t *testing.T) []string {
	t.Helper()
	src, err := readRepoFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") || (trim == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// The image: multi-stage, distroless static, non-root, the binary as its
// own health check.
func TestDockerfile(t *testing.T) {
	ins := dockerfileInstructions(t)
	var froms []string
	has := func(prefix string) bool {
		for _, i := range ins {
			if strings.HasPrefix(i, prefix) {
				return true
			}
		}
		return false
	}
	for _, i := range ins {
		if strings.HasPrefix(i, "FROM ") {
			froms = append(froms, i)
		}
	}
	if len(froms) != 2 || !strings.Contains(froms[0], "golang:${GO_VERSION}") || !strings.HasPrefix(froms[1], "FROM gcr.io/distroless/static") || !strings.HasSuffix(froms[1], ":nonroot") {
		t.Errorf("stages %v: want a Go builder then distroless static nonroot", froms)
	}
	for _, want := range []string{"ARG GO_VERSION=1.26", "USER 65532:65532", `HEALTHCHECK`, `ENTRYPOINT ["/licensebot"]`} {
		if !has(want) {
			t.Errorf("Dockerfile has no %q", want)
		}
	}
	for _, i := range ins {
		if strings.HasPrefix(i, "HEALTHCHECK") && !strings.Contains(i, `CMD ["/licensebot", "healthcheck"]`) {
			t.Errorf("health check %q, want the binary's healthcheck (no shell in the image)", i)
		}
	}
	build := dockerBuildCommand(t)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-tags timetzdata", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}"} {
		if !strings.Contains(build, want) {
			t.Errorf("the build command %q lacks %q", build, want)
		}
	}
}

// dockerBuildCommand is the Dockerfile's `go build` command line.
func dockerBuildCommand(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`CGO_ENABLED=0 .*?go build .*?\./cmd/licensebot`)
	for _, i := range dockerfileInstructions(t) {
		if m := re.FindString(i); strings.HasPrefix(i, "RUN") && m != "" {
			return m
		}
	}
	t.Fatal("no `CGO_ENABLED=0 ... go build ... ./cmd/licensebot` in the Dockerfile")
	return ""
}

// buildContext copies the repository as Docker would send it: without
// what .dockerignore excludes. A file the build needs but .dockerignore
// drops then fails the build here, not in the release pipeline.
func buildContext(t *testing.T) string {
	t.Helper()
	ignore, err := readRepoFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") || strings.Contains(strings.TrimPrefix(l, "**/"), "**") {
			t.Fatalf(".dockerignore pattern %q: this check understands plain globs and a leading **/ only", l)
		}
		patterns = append(patterns, l)
	}
	ignored := func(rel string) bool {
		for _, p := range patterns {
			if m, _ := filepath.Match(p, rel); m {
				return true
			}
			if base, ok := strings.CutPrefix(p, "**/"); ok {
				if m, _ := filepath.Match(base, filepath.Base(rel)); m {
					return true
				}
			}
		}
		return false
	}
	root, dst := repoRoot(), t.TempDir()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		if ignored(filepath.ToSlash(rel)) || d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"deploy/check", "docs", ".git", "cmd/licensebot/serve_test.go"} {
		if _, err := os.Stat(filepath.Join(dst, gone)); err == nil {
			t.Errorf("%s is in the build context; .dockerignore should leave it out", gone)
		}
	}
	return dst
}

// buildBinary runs the Dockerfile's own build command in a copy of the
// build context.
func buildBinary(t *testing.T) string {
	t.Helper()
	ctxDir := buildContext(t)
	out := filepath.Join(t.TempDir(), "licensebot")
	cmdline := strings.Replace(dockerBuildCommand(t), "-o /out/licensebot", "-o "+out, 1)
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = ctxDir
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-check", "COMMIT=abc1234")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}
	return out
}

func TestStaticBinaryBuiltAsTheDockerfileDoesServesAndChecksItsHealth(t *testing.T) {
	bin := buildBinary(t)

	// Static (no dynamic loader), with its build settings recorded.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked; distroless static has no libc")
		}
	}
	f.Close()
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true", "-tags=timetzdata"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build settings lack %s:\n%s", want, info)
		}
	}
	if st, err := os.Stat(bin); err == nil {
		t.Logf("static binary: %.1f MiB (the image is this plus about 2 MiB of distroless static)", float64(st.Size())/(1<<20))
	}

	env := cleanEnv()
	out, err := runBin(env, bin, "version")
	if err != nil || strings.TrimSpace(out) != "licensebot v0.0.0-check (commit abc1234)" {
		t.Fatalf("version: %q %v", out, err)
	}

	// serve on free ports; its first log line says where.
	data := t.TempDir()
	serve := exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--log-level", "info")
	serve.Env = env
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	public, admin := listenAddrs(t, stderr)

	for _, args := range [][]string{
		{"healthcheck"}, // LICENSEBOT_ADMIN_ADDR, as in the image
		{"healthcheck", "--addr", admin, "--path", "/readyz"},
		{"healthcheck", "--addr", public},
	} {
		if out, err := runBin(append(env, "LICENSEBOT_ADMIN_ADDR="+admin), bin, args...); err != nil || strings.TrimSpace(out) != "ok" {
			t.Errorf("%v: %q %v", args, out, err)
		}
	}

	// SIGTERM: serve drains and exits 0; then the health check fails.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if _, err := runBin(env, bin, "healthcheck", "--addr", admin, "--timeout", "2s"); err == nil {
		t.Error("healthcheck succeeded with serve stopped")
	}
}

// cleanEnv is the environment without anything that would change what
// serve does (tokens, Redis).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SLACK_") || strings.HasPrefix(k, "TEAMS_") || strings.HasPrefix(k, "LICENSEBOT_") ||
			strings.HasPrefix(k, "REDIS_") || strings.HasPrefix(k, "CLOUDCOCKPIT_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func runBin(env []string, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// listenAddrs reads serve's JSON log until the "licensebot serving" line.
func listenAddrs(t *testing.T, r io.Reader) (public, admin string) {
	t.Helper()
	type line struct {
		Msg       string `json:"msg"`
		Addr      string `json:"addr"`
		AdminAddr string `json:"admin_addr"`
	}
	found := make(chan line, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var l line
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "licensebot serving" {
				found <- l
				break
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case l := <-found:
		if l.Addr == "" || l.AdminAddr == "" {
			t.Fatalf("serving line without addresses: %+v", l)
		}
		return l.Addr, l.AdminAddr
	case <-time.After(60 * time.Second):
		t.Fatal(errors.New("serve did not log that it is serving"))
	}
	return "", ""
}
