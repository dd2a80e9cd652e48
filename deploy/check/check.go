// Package check holds the deployment checks that need no cluster, no
// registry and no Docker daemon: the Helm chart linted and rendered with
// Helm's own Go packages and every object decoded strictly into the
// Kubernetes API types, the Compose file loaded with compose-go, the
// Prometheus rules parsed with Prometheus's rule-file parser, and the
// binary built as the Dockerfile builds it and run.
//
// It is a module of its own so that the bot's module never depends on
// Helm, k8s.io/api or compose-go. Run it with `cd deploy/check && go test ./...`
// (.ci/run does).
package check

import (
	"os"
	"path/filepath"
	"runtime"
)

// repoRoot is the licensebot repository this module sits in.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// readRepoFile reads a file by its path in the repository.
func readRepoFile(path string) ([]byte, error) {
	return os.ReadFile(filepath.Join(repoRoot(), filepath.FromSlash(path)))
}
