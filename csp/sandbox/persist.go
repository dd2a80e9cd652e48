package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Errors of a StateStore.
var (
	// ErrNoState: nothing is stored yet; the sandbox seeds the demo.
	ErrNoState = errors.New("sandbox: no state stored")
	// ErrStale: the stored state changed since it was loaded (another
	// process wrote it); nothing was written. The sandbox loads it again
	// and redoes its change.
	ErrStale = errors.New("sandbox: state changed by another process")
)

// StateStore keeps the sandbox portal's whole state, so that several
// processes (several `serve` replicas) see one portal. Changes are made
// by compare-and-swap on a version, so two processes never overwrite each
// other's changes: the loser gets ErrStale and starts again from what the
// winner wrote.
//
// FileState is the implementation for one data directory; the command
// plugs a store-backed one (Redis) through Options.State.
type StateStore interface {
	// Load returns the stored state and its version (> 0). When the
	// stored version is still have, data may be nil: nothing changed.
	// Nothing stored yet: ErrNoState.
	Load(ctx context.Context, have int64) (data []byte, version int64, err error)
	// Save stores data if the stored version is still version (0:
	// nothing is stored yet) and returns the new version; otherwise it
	// writes nothing and returns ErrStale.
	Save(ctx context.Context, version int64, data []byte) (int64, error)
}

// FileState is a StateStore in one JSON file, written atomically (a
// temporary file renamed over it) under an exclusive lock on a sibling
// ".lock" file, so that processes sharing a data directory take turns to
// compare and swap; reads need no lock.
// The version is the state's revision, which every write increases. The
// lock is flock(2) on Unix systems (Linux, macOS, BSD); elsewhere there
// is no cross-process lock and one process per directory is assumed.
type FileState struct {
	path string

	// mu guards the cache of what was last read, so an unchanged file
	// (same size, modification time and inode) is not read again.
	mu      sync.Mutex
	seen    fileKey
	version int64
}

type fileKey struct {
	size  int64
	mod   time.Time
	inode uint64
}

// NewFileState returns a FileState for path (its directory must exist).
func NewFileState(path string) *FileState { return &FileState{path: path} }

// String is the file's path, for error messages.
func (f *FileState) String() string { return f.path }

// Load implements StateStore. It takes no lock: the file is only ever
// replaced by a rename, so a read sees one whole version or the next.
func (f *FileState) Load(ctx context.Context, have int64) ([]byte, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return f.load(have)
}

// load reads the file if it changed since the last read; the caller
// holds the file lock.
func (f *FileState) load(have int64) ([]byte, int64, error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, ErrNoState
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read state: %w", err)
	}
	key := fileKey{size: fi.Size(), mod: fi.ModTime(), inode: inodeOf(fi)}
	f.mu.Lock()
	cached := f.seen == key && f.version > 0
	version := f.version
	f.mu.Unlock()
	if cached && version == have {
		return nil, version, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, 0, fmt.Errorf("read state: %w", err)
	}
	version = revisionOf(data)
	f.mu.Lock()
	f.seen, f.version = key, version
	f.mu.Unlock()
	return data, version, nil
}

// Save implements StateStore.
func (f *FileState) Save(ctx context.Context, version int64, data []byte) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	unlock, err := lockFile(f.path + ".lock")
	if err != nil {
		return 0, err
	}
	defer unlock()
	f.mu.Lock()
	known := f.version
	f.mu.Unlock()
	_, cur, err := f.load(known)
	switch {
	case errors.Is(err, ErrNoState):
		cur = 0
	case err != nil:
		return 0, err
	}
	if cur != version {
		return 0, fmt.Errorf("%s holds revision %d, not %d: %w", f.path, cur, version, ErrStale)
	}
	next := revisionOf(data)
	if next <= version {
		return 0, fmt.Errorf("write state: revision %d does not follow %d", next, version)
	}
	if err := writeFile(f.path, data); err != nil {
		return 0, err
	}
	return next, nil
}

// revisionOf reads the revision of an encoded state; 0 when it cannot
// (the sandbox then reports the file as corrupted when decoding it).
func revisionOf(data []byte) int64 {
	var v struct {
		Revision int64 `json:"revision"`
	}
	if json.Unmarshal(data, &v) != nil {
		return 0
	}
	return v.Revision
}

// writeFile replaces path atomically: a crash leaves either the old file
// or the new one, never half of one.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*.json.tmp")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
