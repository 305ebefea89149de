package store

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// Identity is who something other than the reviewer vouches the reviewer
// is: the operating system (the account a local process runs as) or the
// SSH server (the key that authenticated). The display name (--reviewer,
// CAISSON_REVIEWER, the SSH user name) is what people read; the identity is
// what four-eyes compares, since anyone can type any name.
type Identity struct {
	// Kind is IdentityOS or IdentitySSH.
	Kind string
	// ID is "uid=1000,login=rita" for IdentityOS and the key's
	// fingerprint ("SHA256:…") for IdentitySSH.
	ID string
}

const (
	IdentityOS  = "os"
	IdentitySSH = "ssh"
)

// String is the form stored in the log and its hash: "os:uid=1000,login=rita"
// or "ssh:SHA256:…".
func (id Identity) String() string {
	if id.IsZero() {
		return ""
	}
	return id.Kind + ":" + id.ID
}

// IsZero reports an identity nothing vouched for.
func (id Identity) IsZero() bool { return id.Kind == "" && id.ID == "" }

// SSHIdentity is the identity of a reviewer authenticated by an SSH key,
// by its fingerprint as the server verified it.
func SSHIdentity(fingerprint string) Identity {
	return Identity{Kind: IdentitySSH, ID: fingerprint}
}

func (id Identity) validate() error {
	switch {
	case id.Kind != IdentityOS && id.Kind != IdentitySSH:
		return fmt.Errorf("identity %q: expected kind %s or %s: nothing was recorded", id.String(), IdentityOS, IdentitySSH)
	case strings.TrimSpace(id.ID) == "" || len(id.ID) > 200 || strings.ContainsAny(id.ID, "\n\r\t\x00"):
		return fmt.Errorf("identity %q: expected a uid and login or a key fingerprint: nothing was recorded", id.String())
	}
	return nil
}

// osAccount reads the account this process runs as. It is the one place
// the operating system is asked; tests replace it.
var osAccount = func() (uid int, login string, err error) {
	uid = os.Getuid()
	// Inside a user namespace, which any account may make on Linux
	// (unshare --user --map-user=N), getuid says whatever uid the
	// namespace maps: the account would pass for a colleague, or confirm
	// its own proposal. The uid it stands for outside is the account.
	if m, err := os.ReadFile("/proc/self/uid_map"); err == nil {
		outer, ok := outerUID(uid, string(m))
		if !ok {
			return 0, "", fmt.Errorf("uid %d is not mapped to an account outside this user namespace (/proc/self/uid_map): the account cannot be told", uid)
		}
		uid = outer
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		// An account without a passwd entry (a container's numeric
		// uid) is still an account: the uid alone identifies it.
		return uid, "", nil
	}
	return uid, u.Username, nil
}

// OSIdentity is the local identity: the uid and login name of the account
// this process runs as, as the operating system says. Never --reviewer or
// CAISSON_REVIEWER, which anyone can set to any name.
func OSIdentity() (Identity, error) {
	uid, login, err := osAccount()
	if err != nil {
		return Identity{}, fmt.Errorf("reading the operating-system account: %w", err)
	}
	if uid < 0 {
		return Identity{}, errors.New("reading the operating-system account: this system has no uids; four-eyes needs one")
	}
	id := "uid=" + strconv.Itoa(uid)
	if login != "" {
		id += ",login=" + login
	}
	return Identity{Kind: IdentityOS, ID: id}, nil
}

// outerUID is the uid that uid stands for in the parent user namespace,
// by uidMap, /proc/self/uid_map's lines of "inside outside count"; in the
// initial namespace the map is "0 0 4294967295", every uid itself. A
// namespace made inside another maps to that one, not to the host: such
// nesting is not told apart here.
func outerUID(uid int, uidMap string) (int, bool) {
	for _, line := range strings.Split(uidMap, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		inside, err1 := strconv.ParseInt(f[0], 10, 64)
		outside, err2 := strconv.ParseInt(f[1], 10, 64)
		count, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if u := int64(uid); u >= inside && u-inside < count {
			return int(outside + u - inside), true
		}
	}
	return 0, false
}
