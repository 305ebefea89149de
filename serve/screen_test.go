package serve

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// screen is what a terminal shows: a grid the output is played onto.
// Bubble Tea v2 sends only the cells that changed, so a count going from
// "Appr. 0" to "Appr. 1" is one "1" written at a position: the text is
// on the screen but never in the output in one piece. This plays the
// sequences the renderer uses (cursor moves, erases, inserts and deletes,
// scrolling, repeat) and ignores styles and everything else.
type screen struct {
	w, h     int
	cells    [][]string // "" for the second half of a wide character
	x, y     int
	top, bot int // scroll region, inclusive
	wrap     bool
	wrapNext bool
	last     string // last printed grapheme, for REP
	savedX   int
	savedY   int
	pending  []byte // an incomplete sequence from the last write
}

func newScreen(w, h int) *screen {
	s := &screen{w: w, h: h, wrap: true}
	s.resize(w, h)
	return s
}

func (s *screen) resize(w, h int) {
	cells := make([][]string, h)
	for y := range cells {
		cells[y] = make([]string, w)
		for x := range cells[y] {
			cells[y][x] = " "
			if y < len(s.cells) && x < len(s.cells[y]) {
				cells[y][x] = s.cells[y][x]
			}
		}
	}
	s.cells, s.w, s.h = cells, w, h
	s.top, s.bot = 0, h-1
	s.x, s.y = min(s.x, w-1), min(s.y, h-1)
}

// String is the screen's text, one line per row, trailing blanks cut.
func (s *screen) String() string {
	var b strings.Builder
	for _, row := range s.cells {
		b.WriteString(strings.TrimRight(strings.Join(row, ""), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *screen) write(p []byte) {
	data := append(s.pending, p...)
	s.pending = nil
	for len(data) > 0 {
		seq, width, n, _ := ansi.DecodeSequence(data, ansi.NormalState, nil)
		if n == 0 || (n == len(data) && incomplete(data)) {
			s.pending = append([]byte(nil), data...)
			return
		}
		data = data[n:]
		switch {
		case width > 0:
			s.print(string(seq), width)
		case len(seq) == 1:
			s.control(seq[0])
		case len(seq) >= 2 && seq[0] == ansi.ESC && seq[1] == '[':
			s.csi(string(seq[2:]))
		case len(seq) >= 2 && seq[0] == 0x9b:
			s.csi(string(seq[1:]))
		case len(seq) == 2 && seq[0] == ansi.ESC:
			s.esc(seq[1])
		}
	}
}

// incomplete says whether data ends inside an escape sequence or a
// character, to be finished by the next write.
func incomplete(data []byte) bool {
	i := strings.LastIndexByte(string(data), ansi.ESC)
	if i >= 0 {
		rest := data[i+1:]
		switch {
		case len(rest) == 0:
			return true
		case rest[0] == '[':
			for _, c := range rest[1:] {
				if c >= 0x40 && c <= 0x7e {
					return false
				}
			}
			return true
		case rest[0] == ']' || rest[0] == 'P' || rest[0] == '_':
			return !strings.Contains(string(rest), "\x07") && !strings.Contains(string(rest), "\x1b\\")
		}
	}
	start := len(data) - 1
	for start > 0 && len(data)-start < utf8.UTFMax && !utf8.RuneStart(data[start]) {
		start--
	}
	return !utf8.FullRune(data[start:])
}

func (s *screen) print(g string, width int) {
	if s.wrapNext {
		s.wrapNext = false
		s.x = 0
		s.lineFeed()
	}
	if s.x+width > s.w {
		if !s.wrap {
			s.x = max(s.w-width, 0)
		} else {
			s.x = 0
			s.lineFeed()
		}
	}
	s.cells[s.y][s.x] = g
	for i := 1; i < width && s.x+i < s.w; i++ {
		s.cells[s.y][s.x+i] = ""
	}
	s.last = g
	if s.x+width >= s.w {
		s.x = s.w - 1
		s.wrapNext = s.wrap
		return
	}
	s.x += width
}

func (s *screen) control(c byte) {
	s.wrapNext = false
	switch c {
	case '\r':
		s.x = 0
	case '\n', '\v', '\f':
		s.lineFeed()
	case '\b':
		s.x = max(s.x-1, 0)
	case '\t':
		s.x = min((s.x/8+1)*8, s.w-1)
	}
}

func (s *screen) esc(c byte) {
	switch c {
	case '7':
		s.savedX, s.savedY = s.x, s.y
	case '8':
		s.x, s.y = s.savedX, s.savedY
	case 'D':
		s.lineFeed()
	case 'E':
		s.x = 0
		s.lineFeed()
	case 'M':
		if s.y == s.top {
			s.scrollDown(1)
		} else {
			s.y = max(s.y-1, 0)
		}
	}
}

func (s *screen) lineFeed() {
	if s.y == s.bot {
		s.scrollUp(1)
		return
	}
	s.y = min(s.y+1, s.h-1)
}

func (s *screen) blankRow() []string {
	row := make([]string, s.w)
	for i := range row {
		row[i] = " "
	}
	return row
}

func (s *screen) scrollUp(n int) {
	for range n {
		copy(s.cells[s.top:s.bot+1], s.cells[s.top+1:s.bot+1])
		s.cells[s.bot] = s.blankRow()
	}
}

func (s *screen) scrollDown(n int) {
	for range n {
		copy(s.cells[s.top+1:s.bot+1], s.cells[s.top:s.bot])
		s.cells[s.top] = s.blankRow()
	}
}

func (s *screen) csi(body string) {
	if body == "" {
		return
	}
	final := body[len(body)-1]
	params := body[:len(body)-1]
	private := strings.HasPrefix(params, "?") || strings.HasPrefix(params, ">") || strings.HasPrefix(params, "<") || strings.HasPrefix(params, "=")
	if private {
		if final == 'h' || final == 'l' {
			s.mode(params[1:], final == 'h')
		}
		return
	}
	if strings.ContainsAny(params, " $\"'") {
		return // intermediates: DECSCUSR and the like
	}
	args := strings.Split(params, ";")
	arg := func(i, def int) int {
		if i >= len(args) || args[i] == "" {
			return def
		}
		n, err := strconv.Atoi(strings.Split(args[i], ":")[0])
		if err != nil {
			return def
		}
		return n
	}
	n := max(arg(0, 1), 1)
	if final != 'b' {
		s.wrapNext = false
	}
	switch final {
	case 'A':
		s.y = max(s.y-n, 0)
	case 'B', 'e':
		s.y = min(s.y+n, s.h-1)
	case 'C', 'a':
		s.x = min(s.x+n, s.w-1)
	case 'D':
		s.x = max(s.x-n, 0)
	case 'E':
		s.x, s.y = 0, min(s.y+n, s.h-1)
	case 'F':
		s.x, s.y = 0, max(s.y-n, 0)
	case 'G', '`':
		s.x = min(n-1, s.w-1)
	case 'd':
		s.y = min(n-1, s.h-1)
	case 'H', 'f':
		s.y, s.x = min(max(arg(0, 1), 1)-1, s.h-1), min(max(arg(1, 1), 1)-1, s.w-1)
	case 'J':
		s.eraseDisplay(arg(0, 0))
	case 'K':
		s.eraseLine(arg(0, 0))
	case 'X':
		for i := s.x; i < min(s.x+n, s.w); i++ {
			s.cells[s.y][i] = " "
		}
	case '@':
		row := s.cells[s.y]
		n = min(n, s.w-s.x)
		copy(row[s.x+n:], row[s.x:s.w-n])
		for i := s.x; i < s.x+n; i++ {
			row[i] = " "
		}
	case 'P':
		row := s.cells[s.y]
		n = min(n, s.w-s.x)
		copy(row[s.x:], row[s.x+n:])
		for i := s.w - n; i < s.w; i++ {
			row[i] = " "
		}
	case 'L', 'M':
		if s.y < s.top || s.y > s.bot {
			return
		}
		top := s.top
		s.top = s.y
		if final == 'L' {
			s.scrollDown(min(n, s.bot-s.y+1))
		} else {
			s.scrollUp(min(n, s.bot-s.y+1))
		}
		s.top = top
		s.x = 0
	case 'S':
		s.scrollUp(min(n, s.bot-s.top+1))
	case 'T':
		s.scrollDown(min(n, s.bot-s.top+1))
	case 'r':
		s.top, s.bot = max(arg(0, 1), 1)-1, min(arg(1, s.h), s.h)-1
		if s.top >= s.bot {
			s.top, s.bot = 0, s.h-1
		}
		s.x, s.y = 0, 0
	case 'b':
		for range n {
			if s.last != "" {
				s.print(s.last, max(ansi.StringWidth(s.last), 1))
			}
		}
	case 's':
		s.savedX, s.savedY = s.x, s.y
	case 'u':
		s.x, s.y = s.savedX, s.savedY
	}
}

func (s *screen) mode(params string, set bool) {
	for _, p := range strings.Split(params, ";") {
		switch p {
		case "7":
			s.wrap = set
		case "1049", "47", "1047":
			s.eraseDisplay(2)
			if set {
				s.x, s.y = 0, 0
			}
		}
	}
}

func (s *screen) eraseDisplay(how int) {
	switch how {
	case 0:
		s.eraseLine(0)
		for y := s.y + 1; y < s.h; y++ {
			s.cells[y] = s.blankRow()
		}
	case 1:
		s.eraseLine(1)
		for y := range s.y {
			s.cells[y] = s.blankRow()
		}
	case 2, 3:
		for y := range s.cells {
			s.cells[y] = s.blankRow()
		}
	}
}

func (s *screen) eraseLine(how int) {
	from, to := s.x, s.w
	switch how {
	case 1:
		from, to = 0, s.x+1
	case 2:
		from = 0
	}
	for i := from; i < min(to, s.w); i++ {
		s.cells[s.y][i] = " "
	}
}
