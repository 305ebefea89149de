//go:build !linux

package store

// freeSpace is unknown here: an I/O error is then reported as SQLite words it.
func freeSpace(string) (uint64, bool) { return 0, false }
