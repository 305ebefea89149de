//go:build !linux

package store

// inInitialUserNamespace is true where there are no user namespaces to
// pose in.
func inInitialUserNamespace() (bool, error) { return true, nil }
