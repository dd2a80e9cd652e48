package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrNotAStore means a file is not a licensebot data file (not bbolt, or
// bbolt without this package's schema); restore refuses it.
var ErrNotAStore = errors.New("not a licensebot data file")

// Backup writes a consistent copy of the whole data file to w. It runs in
// one read transaction, so writers carry on while it copies (bbolt keeps
// the pages the snapshot still needs), and the copy is a valid data file
// that Open accepts as is.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, "backup", func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Verify checks that the file at path is a licensebot data file with a
// schema this version reads, without changing it. It opens the file read
// only, so it fails with ErrLocked when a process holds it.
func Verify(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("bolt: verify: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("bolt: verify %s: %w", path, ErrLocked)
		}
		return fmt.Errorf("bolt: verify %s: %w: %w", path, ErrNotAStore, err)
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("bolt: verify %s: %w: no meta bucket", path, ErrNotAStore)
		}
		if v := meta.Get([]byte("schema")); string(v) != "1" {
			return fmt.Errorf("bolt: verify %s: %w: schema %q", path, ErrNotAStore, v)
		}
		for _, name := range topBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bolt: verify %s: %w: no %s bucket", path, ErrNotAStore, name)
			}
		}
		// Every page reachable exactly once: a torn or truncated copy
		// fails here rather than after it replaced the data file.
		for err := range tx.Check() {
			return fmt.Errorf("bolt: verify %s: %w: %w", path, ErrNotAStore, err)
		}
		return nil
	})
}
