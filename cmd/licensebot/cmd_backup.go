package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/licensebot/licensebot/config"
	"github.com/licensebot/licensebot/store/bolt"
)

// errRedisBackup: Redis is backed up by Redis (AOF, RDB snapshots, the
// managed service's backups), not by copying keys through the bot.
var errRedisBackup = errors.New("the store is Redis: back it up with Redis itself (AOF or RDB snapshots, or your managed Redis's backups); see docs/OPERATIONS.md")

// lockWait is how long backup and restore wait for the data file's lock
// before concluding that serve holds it.
const lockWait = 200 * time.Millisecond

// storeFile is the embedded store's data file in the data directory.
func storeFile(g *globals) string { return filepath.Join(g.data, "licensebot.db") }

// usesRedis answers from the configuration alone, without opening
// anything (a running serve holds the data file).
func usesRedis(g *globals) (bool, error) {
	cfg, err := config.Load(g.config)
	if err != nil {
		return false, err
	}
	return (&app{g: g, cfg: cfg}).useRedis(), nil
}

func newBackupCmd(g *globals) *cobra.Command {
	var out, admin string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Copy the embedded store to FILE, consistently, even while serve runs",
		Long: `Writes a consistent snapshot of the embedded store (DATA/licensebot.db) to
FILE. When no process holds the data file, it is read directly; while serve
runs, the snapshot comes from serve's admin listener (--admin-addr), taken
in one read transaction while serve keeps writing. The copy is checked
before it replaces FILE. The Redis store is backed up by Redis itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &usageError{errors.New("backup needs --out FILE")}
			}
			n, via, err := backup(cmd.Context(), g, out, admin)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "backed up %s (%d bytes, %s) to %s\n", storeFile(g), n, via, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the snapshot to (replaced atomically)")
	cmd.Flags().StringVar(&admin, "admin-addr", envOr("LICENSEBOT_ADMIN_ADDR", defaultAdminAddr), "serve's admin listener, used when serve holds the data file")
	return cmd
}

func backup(ctx context.Context, g *globals, out, admin string) (int64, string, error) {
	redis, err := usesRedis(g)
	if err != nil {
		return 0, "", err
	}
	if redis {
		return 0, "", errRedisBackup
	}
	src := storeFile(g)
	if _, err := os.Stat(src); err != nil {
		return 0, "", fmt.Errorf("no embedded store to back up: %w", err)
	}
	clk, err := g.newClock()
	if err != nil {
		return 0, "", err
	}
	var via string
	n, err := writeAtomically(out, func(w io.Writer) (int64, error) {
		s, err := bolt.Open(src, bolt.Options{Clock: clk, Timeout: lockWait})
		if errors.Is(err, bolt.ErrLocked) {
			via = "from serve at " + admin
			return backupFromServe(ctx, admin, w)
		}
		if err != nil {
			return 0, err
		}
		defer s.Close()
		via = "read directly"
		return s.Backup(ctx, w)
	}, bolt.Verify)
	return n, via, err
}

// backupFromServe streams GET /backup from a running serve.
func backupFromServe(ctx context.Context, admin string, w io.Writer) (int64, error) {
	url, err := localURL(admin, "/backup")
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("the data file is in use and serve's admin listener does not answer (--admin-addr): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("serve refused the backup: %s: %s", resp.Status, msg)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("read the snapshot from serve: %w", err)
	}
	return n, nil
}

// writeAtomically writes to a temporary file next to path, syncs it,
// checks it, and only then renames it over path: a failed or torn copy
// never replaces a good one.
func writeAtomically(path string, write func(io.Writer) (int64, error), check func(string) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && check != nil {
		err = check(tmp.Name())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return n, syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs directories; the rename is done either way
	return nil
}

func newRestoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the embedded store with a backup (serve must be stopped)",
		Long: `Checks that FILE is a licensebot data file this version reads, then replaces
DATA/licensebot.db with it. The file it replaces is kept as
DATA/licensebot.db.before-restore. serve must be stopped: the data file is
locked while it runs, and restore refuses rather than wait.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := restore(g, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.out, "restored %s from %s\n", storeFile(g), args[0])
			return nil
		},
	}
}

func restore(g *globals, from string) error {
	redis, err := usesRedis(g)
	if err != nil {
		return err
	}
	if redis {
		return errors.New("the store is Redis: restore it with Redis (replace the AOF or RDB file while Redis is stopped, or your managed Redis's restore); see docs/OPERATIONS.md")
	}
	if err := bolt.Verify(from); err != nil {
		return fmt.Errorf("%s cannot be restored, nothing was changed: %w", from, err)
	}
	dst := storeFile(g)
	if err := os.MkdirAll(g.data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// Hold the data file's lock while it is replaced, so a serve started
	// meanwhile waits instead of opening a half-restored directory.
	if _, err := os.Stat(dst); err == nil {
		clk, err := g.newClock()
		if err != nil {
			return err
		}
		cur, err := bolt.Open(dst, bolt.Options{Clock: clk, Timeout: lockWait})
		if errors.Is(err, bolt.ErrLocked) {
			return fmt.Errorf("%s is in use (is serve running?): stop it before restoring; nothing was changed", dst)
		}
		if err != nil {
			return fmt.Errorf("open the current store: %w", err)
		}
		defer cur.Close()
		if err := copyFile(dst, dst+".before-restore"); err != nil {
			return fmt.Errorf("keep the current store, nothing was changed: %w", err)
		}
	}
	if err := copyFile(from, dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// copyFile copies src over dst atomically (0600: it holds customer data).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = writeAtomically(dst, func(w io.Writer) (int64, error) { return io.Copy(w, in) }, nil)
	return err
}

// serveBackup streams a consistent snapshot of the embedded store. Only
// loopback callers get it (`licensebot backup` run in the same container
// or pod): the admin listener may face Prometheus, which must not be able
// to read customer data.
func (s *server) serveBackup(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "backups are served to loopback callers only", http.StatusForbidden)
		return
	}
	b, ok := s.a.store.(interface {
		Backup(context.Context, io.Writer) (int64, error)
	})
	if !ok {
		http.Error(w, errRedisBackup.Error(), http.StatusNotImplemented)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	n, err := b.Backup(r.Context(), w)
	if err != nil {
		// Headers are gone; the client's Verify rejects the short copy.
		s.log.ErrorContext(r.Context(), "backup", "err", err, "bytes", n)
		return
	}
	s.log.InfoContext(r.Context(), "backup served", "bytes", n, "remote", r.RemoteAddr)
}
