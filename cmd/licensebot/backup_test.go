package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const backupNow = "2026-11-26T10:00:00+01:00"

// makeRequest leaves one upgrade waiting for approval in dir's store.
func makeRequest(t *testing.T, dir string) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "upgrade.chat")
	if err := os.WriteFile(script, []byte("alice@contoso.example: upgrade 5 E1 to E3 into the existing line\nalice@contoso.example: [Confirm]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run(t, "", "chat", "--script", script, "--data", dir, "--now", backupNow); err != nil {
		t.Fatalf("chat: %v\n%s", err, stderr)
	}
}

func requestStates(t *testing.T, dir string) map[string]string {
	t.Helper()
	out, stderr, err := run(t, "", "requests", "--json", "--data", dir, "--now", backupNow)
	if err != nil {
		t.Fatalf("requests: %v\n%s", err, stderr)
	}
	var reqs []struct {
		ID    string `json:"id"`
		State string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &reqs); err != nil {
		t.Fatalf("requests --json: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, r := range reqs {
		m[r.ID] = r.State
	}
	return m
}

// backup then restore into an empty data directory brings the requests
// back as they were.
func TestBackupAndRestoreRoundTrip(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	src := t.TempDir()
	makeRequest(t, src)
	want := requestStates(t, src)
	if len(want) != 1 || want[firstKey(want)] != "pending_approval" {
		t.Fatalf("setup: requests %v, want one pending_approval", want)
	}
	file := filepath.Join(t.TempDir(), "snap.db")
	out, stderr, err := run(t, "", "backup", "--data", src, "--out", file)
	if err != nil || !strings.Contains(out, "read directly") {
		t.Fatalf("backup: %q %v\n%s", out, err, stderr)
	}
	dst := t.TempDir()
	if out, _, err := run(t, "", "restore", file, "--data", dst); err != nil {
		t.Fatalf("restore: %q %v", out, err)
	}
	if got := requestStates(t, dst); len(got) != 1 || got[firstKey(want)] != want[firstKey(want)] {
		t.Fatalf("after restore %v, want %v", got, want)
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// While serve holds the data file, backup takes its snapshot through the
// admin listener, and restore refuses without touching anything.
func TestBackupWhileServeRunsAndRestoreRefuses(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	dir := t.TempDir()
	makeRequest(t, dir)
	g := testGlobals(t)
	g.data = dir
	_, admin := startServe(t, g, nil)

	file := filepath.Join(t.TempDir(), "snap.db")
	out, stderr, err := run(t, "", "backup", "--data", dir, "--out", file, "--admin-addr", admin)
	if err != nil || !strings.Contains(out, "from serve") {
		t.Fatalf("backup while serving: %q %v\n%s", out, err, stderr)
	}
	restored := t.TempDir()
	if _, _, err := run(t, "", "restore", file, "--data", restored); err != nil {
		t.Fatalf("restore the live snapshot: %v", err)
	}
	if got := requestStates(t, restored); len(got) != 1 {
		t.Fatalf("live snapshot holds %v, want the one request", got)
	}

	_, _, err = run(t, "", "restore", file, "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "stop it before restoring") {
		t.Fatalf("restore while serve runs: %v", err)
	}
	if _, statErr := os.Stat(storeFile(&globals{data: dir}) + ".before-restore"); !os.IsNotExist(statErr) {
		t.Fatal("a refused restore still moved the store aside")
	}
}

// A file that is not a data file is refused and the store stays as it
// was, byte for byte.
func TestRestoreRefusesAForeignFileAndChangesNothing(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	dir := t.TempDir()
	makeRequest(t, dir)
	before, err := os.ReadFile(storeFile(&globals{data: dir}))
	if err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, "", "restore", junk, "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "not a licensebot data file") {
		t.Fatalf("restore of junk: %v", err)
	}
	after, _ := os.ReadFile(storeFile(&globals{data: dir}))
	if !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the store")
	}
	if _, _, err := run(t, "", "backup", "--data", dir); err == nil {
		t.Fatal("backup without --out succeeded")
	}
}

func TestBackupAndRestoreRefuseRedis(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	dir := t.TempDir()
	if _, _, err := run(t, "", "backup", "--data", dir, "--out", filepath.Join(dir, "x.db")); err == nil || !strings.Contains(err.Error(), "Redis") {
		t.Fatalf("backup with Redis: %v", err)
	}
	if _, _, err := run(t, "", "restore", filepath.Join(dir, "x.db"), "--data", dir); err == nil || !strings.Contains(err.Error(), "Redis") {
		t.Fatalf("restore with Redis: %v", err)
	}
}
