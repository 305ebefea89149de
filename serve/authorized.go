package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/sanitize"
)

// ReadOnlyTag, as a word of a key's comment in authorized_keys, gives that
// key the read-only console.
const ReadOnlyTag = "caisson-review:read-only"

// keyGrant is what authorized_keys grants one key.
type keyGrant struct {
	Fingerprint string // SHA256:…
	Comment     string // sanitized, without the read-only tag; may be ""
	ReadOnly    bool
}

// authorizedKeys is the authorized_keys file, re-read whenever its identity,
// size, modification time or mode changes, so adding or removing a reviewer needs
// no restart. It fails closed: when the file cannot be read, no key is
// authorized until it can.
type authorizedKeys struct {
	path string
	log  *slog.Logger

	mu     sync.Mutex
	dirsAt time.Time // when checkStrictModes last passed
	stamp  os.FileInfo
	grants map[string]keyGrant // by the key's wire encoding
	err    error               // why the last read failed, nil when it did not
	loaded bool                // read successfully at least once
}

func openAuthorizedKeys(path string, log *slog.Logger) (*authorizedKeys, error) {
	if path == "" {
		return nil, errors.New("authorized keys: no path given (expected --authorized-keys PATH)")
	}
	// Absolute, so that every failure names the file alike: the walk up
	// its directories (checkStrictModes) names it so, and a relative path
	// logged one removal twice, once as given and once absolute.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("authorized keys %s: %w", path, err)
	}
	a := &authorizedKeys{path: abs, log: log}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refreshLocked(); err != nil {
		return nil, err
	}
	if len(a.grants) == 0 {
		return nil, fmt.Errorf("authorized keys %s: no usable key; expected one OpenSSH public key per line (ssh-ed25519 AAAA… comment)", path)
	}
	return a, nil
}

// Lookup says whether key is authorized now and what it is granted. The
// error is set when the file could not be read (and then ok is false).
func (a *authorizedKeys) Lookup(key gossh.PublicKey) (keyGrant, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refreshLocked(); err != nil {
		return keyGrant{}, false, err
	}
	g, ok := a.grants[string(key.Marshal())]
	return g, ok, nil
}

// Len is the number of authorized keys as last read.
func (a *authorizedKeys) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.grants)
}

// strictModesEvery spaces the walk up the directories: Lookup runs for
// every login, every write and every open connection each second.
const strictModesEvery = time.Second

func (a *authorizedKeys) refreshLocked() error {
	if now := time.Now(); now.Sub(a.dirsAt) >= strictModesEvery || a.err != nil {
		if err := checkStrictModes(a.path); err != nil {
			a.dirsAt = time.Time{}
			return a.failLocked(err)
		}
		a.dirsAt = now
	}
	info, err := os.Stat(a.path)
	if err != nil {
		return a.failLocked(fmt.Errorf("authorized keys %s: %w", a.path, err))
	}
	if a.stamp != nil && a.err == nil && os.SameFile(a.stamp, info) &&
		info.Size() == a.stamp.Size() && info.ModTime().Equal(a.stamp.ModTime()) && info.Mode() == a.stamp.Mode() {
		return nil
	}
	// Like sshd's StrictModes: a file others can write lets them add
	// themselves as reviewers.
	if info.Mode().Perm()&0o022 != 0 {
		return a.failLocked(fmt.Errorf("authorized keys %s has mode %04o: expected no write permission for group or others (chmod 600 or 644)",
			a.path, info.Mode().Perm()))
	}
	data, err := os.ReadFile(a.path)
	if err != nil {
		return a.failLocked(fmt.Errorf("authorized keys %s: %w", a.path, err))
	}
	grants, problems := parseAuthorizedKeys(data)
	for _, p := range problems {
		a.log.Warn("authorized_keys line ignored", "path", a.path, "line", p.line, "reason", p.reason)
	}
	if a.loaded {
		a.log.Info("authorized_keys reloaded", "path", a.path, "keys", len(grants))
	}
	a.stamp, a.grants, a.err, a.loaded = info, grants, nil, true
	return nil
}

func (a *authorizedKeys) failLocked(err error) error {
	if a.err == nil || a.err.Error() != err.Error() {
		a.log.Error("authorized_keys unreadable: refusing every key until it is fixed", "error", err)
	}
	a.stamp, a.grants, a.err = nil, nil, err
	return err
}

type lineProblem struct {
	line   int
	reason string
}

// parseAuthorizedKeys reads the OpenSSH authorized_keys format: one key per
// line, blank lines and # comments skipped. Key options (from=, command=,
// restrict…) are not implemented here, so a line carrying any is ignored
// rather than granted more than its options say. A key listed twice gets
// the narrower grant (read-only wins).
func parseAuthorizedKeys(data []byte) (map[string]keyGrant, []lineProblem) {
	grants := make(map[string]keyGrant)
	var problems []lineProblem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			problems = append(problems, lineProblem{n, "expected an OpenSSH public key (type, base64 key, optional comment)"})
			continue
		}
		if len(options) > 0 {
			problems = append(problems, lineProblem{n, "key options are not supported (remove them; mark read-only keys with " + ReadOnlyTag + " in the comment)"})
			continue
		}
		g := grantFromComment(comment)
		g.Fingerprint = gossh.FingerprintSHA256(key)
		id := string(key.Marshal())
		if prev, ok := grants[id]; ok {
			g.ReadOnly = g.ReadOnly || prev.ReadOnly
			if g.Comment == "" {
				g.Comment = prev.Comment
			}
		}
		grants[id] = g
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, lineProblem{0, "file could not be read to the end: " + err.Error()})
	}
	return grants, problems
}

func grantFromComment(comment string) keyGrant {
	var g keyGrant
	var words []string
	for _, w := range strings.Fields(comment) {
		if w == ReadOnlyTag {
			g.ReadOnly = true
			continue
		}
		words = append(words, w)
	}
	g.Comment = sanitize.Line(truncate(strings.Join(words, " "), 64))
	return g
}

// truncate cuts s to at most n runes: names in decisions and on other
// reviewers' screens stay one short line.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
