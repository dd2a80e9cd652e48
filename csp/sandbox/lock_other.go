//go:build !unix

package sandbox

import "io/fs"

// lockFile has no cross-process lock outside Unix: one process per data
// directory is assumed there (docs/SANDBOX.md).
func lockFile(string) (func(), error) { return func() {}, nil }

func inodeOf(fs.FileInfo) uint64 { return 0 }
