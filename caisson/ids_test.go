package caisson

import (
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		kind     IDKind
		value    string
		wantErr  string
		mustHide string // part of the input the error must not repeat
	}{
		{"the reference's check id", "chk_priv_SMgso2KGzXLxT2I-g7oD2w", KindCheckID, "chk_priv_SMgso2KGzXLxT2I-g7oD2w", "", ""},
		{"the reference's exchange token", "chk_xchg_UeRXDryTTpvU24CTre8W2Q", KindExchangeToken, "chk_xchg_UeRXDryTTpvU24CTre8W2Q", "", ""},
		{"surrounding spaces and a newline are trimmed", "  chk_priv_ceSB3MdzNm8M5FdEM4wSXw\n", KindCheckID, "chk_priv_ceSB3MdzNm8M5FdEM4wSXw", "", ""},
		{"dash and underscore are URL-safe base64", "chk_priv_-_-_-_-_-_-_-_-_-_-_-_", KindCheckID, "chk_priv_-_-_-_-_-_-_-_-_-_-_-_", "", ""},
		{"more than 22 characters are accepted", "chk_priv_" + strings.Repeat("a", 40), KindCheckID, "chk_priv_" + strings.Repeat("a", 40), "", ""},
		{"the prefix in capitals is read as the prefix", "CHK_PRIV_SMgso2KGzXLxT2I-g7oD2w", KindCheckID, "chk_priv_SMgso2KGzXLxT2I-g7oD2w", "", ""},
		{"a token prefix in mixed case too", "Chk_Xchg_UeRXDryTTpvU24CTre8W2Q", KindExchangeToken, "chk_xchg_UeRXDryTTpvU24CTre8W2Q", "", ""},
		{"the case after the prefix is kept", "chk_priv_smgso2kgzxlxt2i-g7od2w", KindCheckID, "chk_priv_smgso2kgzxlxt2i-g7od2w", "", ""},
		{"one character is too short", "chk_priv_a", 0, "", "only 1 characters after the prefix", ""},
		{"a token of three characters is too short", "chk_xchg_abc", 0, "", "exchange token has only 3 characters", ""},
		{"21 characters are too short", "chk_priv_SMgso2KGzXLxT2I-g7oD2", 0, "", "22 or more URL-safe base64", ""},
		{"empty", "", 0, "", "empty id", ""},
		{"only spaces", "   \t", 0, "", "empty id", ""},
		{"a prefix alone", "chk_priv_", 0, "", "nothing after the prefix", ""},
		{"a token prefix alone", "chk_xchg_", 0, "", "nothing after the prefix", ""},
		{"another prefix", "chk_pub_abc", 0, "", "expected chk_priv_ (a check id) or chk_xchg_ (an exchange token)", ""},
		{"an id without its prefix is not added", "SMgso2KGzXLxT2I-g7oD2w", 0, "", "no chk_priv_ or chk_xchg_ prefix", ""},
		{"a look-alike of k is not the prefix", "ch\u212a_priv_SMgso2KGzXLxT2I-g7oD2w", 0, "", "not a Caisson id", ""},
		{"standard base64 plus", "chk_priv_ab+cd", 0, "", "'+' at position 12", ""},
		{"standard base64 padding", "chk_priv_abcd==", 0, "", "'=' at position 14", ""},
		{"a space inside", "chk_priv_ab cd", 0, "", "' ' at position 12", ""},
		{"an escape sequence inside", "chk_priv_ab\x1b[2J", 0, "", `'\x1b'`, ""},
		{"a right-to-left override inside", "chk_priv_ab\u202ecd", 0, "", `'\u202e'`, ""},
		{"a dashboard URL", "https://www.caisson.com/request/chk_priv_abc", 0, "", "not a Caisson id", "chk_priv_abc"},
		{"a byte-order mark before the prefix is named", "\ufeffchk_priv_SMgso2KGzXLxT2I-g7oD2w", 0, "", `something comes before its prefix (1 characters, the first '\ufeff')`, ""},
		{"a zero-width space before the prefix is named", "\u200bCHK_PRIV_SMgso2KGzXLxT2I-g7oD2w", 0, "", `the first '\u200b'`, ""},
		{"an overlong id", "chk_priv_" + strings.Repeat("a", 129), 0, "", "at most 128", ""},
		{"two ids run together", "chk_priv_6LjR40nE1Z2Xvx4skj2Yy1chk_priv_CzhMjrsQRZOM8aI8a60Piy", 0, "", "a second chk_priv_ at position 32, so it is two ids run together", ""},
		{"an id and a token run together", "chk_priv_6LjR40nE1Z2Xvx4skj2Yy1CHK_XCHG_UeRXDryTTpvU24CTre8W2Q", 0, "", "a second chk_xchg_ at position 32", ""},
		{"a token and an id run together", "chk_xchg_UeRXDryTTpvU24CTre8W2Qchk_priv_CzhMjrsQRZOM8aI8a60Piy", 0, "", "two ids run together", ""},
		{"chk without the rest of a prefix is an id's own", "chk_priv_chkchk_chk_pri_chk_xch", KindCheckID, "chk_priv_chkchk_chk_pri_chk_xch", "", ""},
		{"a pasted secret is not repeated whole", "sk_live_0123456789abcdefghijklmnopqrstuvwxyz", 0, "", "not a Caisson id", "sk_live"},
		// As decide and show say it (ParseCheckRef): add said only "not a
		// Caisson id (34 characters…)" (helper-56).
		{"a pasted secret is named as one", "sk_live_0123456789abcdefghijklmnopqrstuvwxyz", 0, "", "that looks like a secret API key (sk_…), not a Caisson id, so it is not repeated here", "0123456789"},
		// Two ids on one line, or in one quoted argument: said as such,
		// as two run together are (it said "has ' ' at position 32").
		{"two ids on one line", "chk_priv_6LjR40nE1Z2Xvx4skj2Yy1 chk_priv_CzhMjrsQRZOM8aI8a60Piy", 0, "", "has a space at position 32 and then another id, so it is two ids on one line", ""},
		{"an id and a token apart by tabs", "chk_priv_6LjR40nE1Z2Xvx4skj2Yy1\t\tCHK_XCHG_UeRXDryTTpvU24CTre8W2Q", 0, "", "two ids on one line", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseID(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if tt.mustHide != "" && strings.Contains(err.Error(), tt.mustHide) {
					t.Errorf("error repeats the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if id.Kind != tt.kind || id.Value != tt.value {
				t.Errorf("got %v %q, want %v %q", id.Kind, id.Value, tt.kind, tt.value)
			}
		})
	}
}

func TestParseCheckIDRefusesAToken(t *testing.T) {
	if _, err := ParseCheckID("chk_xchg_UeRXDryTTpvU24CTre8W2Q"); err == nil || !strings.Contains(err.Error(), "exchange the token first") {
		t.Errorf("error = %v", err)
	}
	got, err := ParseCheckID(" chk_priv_SMgso2KGzXLxT2I-g7oD2w ")
	if err != nil || got != "chk_priv_SMgso2KGzXLxT2I-g7oD2w" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestParseCheckRefTakesAnIDWithOrWithoutItsPrefix(t *testing.T) {
	const id = "chk_priv_SMgso2KGzXLxT2I-g7oD2w"
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"the whole id", id, id, ""},
		{"without its prefix", "SMgso2KGzXLxT2I-g7oD2w", id, ""},
		{"with spaces around", "  SMgso2KGzXLxT2I-g7oD2w \n", id, ""},
		{"the prefix in capitals", "CHK_PRIV_SMgso2KGzXLxT2I-g7oD2w", id, ""},
		{"the case of the rest is kept", "smgso2kgzxlxt2i-g7od2w", "chk_priv_smgso2kgzxlxt2i-g7od2w", ""},
		{"a short start is not an id", "SMgso2KG", "", "not a check id (8 characters): expected a check id: 22 or more"},
		{"a token is not a check id", "chk_xchg_UeRXDryTTpvU24CTre8W2Q", "", "exchange the token first"},
		{"garbage says what was expected", "12345 - Miller", "", "(' ' at position 6): expected a check id: 22 or more URL-safe base64 characters (A-Z a-z 0-9 - _), with or without chk_priv_ in front"},
		{"empty", "", "", "empty id"},
		{"a secret key pasted for an id is refused, not repeated", "sk_live_0123456789abcdefghijklmnop", "", "looks like a secret API key (sk_…), not a check id"},
		{"a check id starting with sk_ is read with its prefix", "chk_priv_sk_go2KGzXLxT2I-g7oD2w", "chk_priv_sk_go2KGzXLxT2I-g7oD2w", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCheckRef(tt.in)
			if err != nil && strings.Contains(err.Error(), "0123456789") {
				t.Errorf("the error repeats what may be a secret: %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCheckRef(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCheckRef(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckIDStartReadsAFilterByTheSameRule(t *testing.T) {
	tests := []struct {
		name, in  string
		start     string
		all, isID bool
	}{
		{"nothing matches every id", "", "chk_priv_", true, true},
		{"the start of the prefix matches every id", "chk_p", "chk_priv_", true, true},
		{"in any case", "CHK_PR", "chk_priv_", true, true},
		{"the prefix and more", "chk_priv_j4K", "chk_priv_j4K", false, true},
		{"the prefix in capitals and more, the rest kept as typed", "CHK_PRIV_j4K", "chk_priv_j4K", false, true},
		{"two characters without the prefix", "j4", "chk_priv_j4", false, true},
		{"one character without the prefix is too little", "j", "", false, false},
		{"one character after the prefix is enough", "chk_priv_j", "chk_priv_j", false, true},
		{"a name with a space cannot start an id", "ana z", "", false, false},
		{"a customer id with a space cannot either", "5728349 - Miller", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, all, ok := CheckIDStart(tt.in, 2)
			if start != tt.start || all != tt.all || ok != tt.isID {
				t.Errorf("CheckIDStart(%q) = %q, %v, %v; want %q, %v, %v", tt.in, start, all, ok, tt.start, tt.all, tt.isID)
			}
		})
	}
}

func TestIDKindNames(t *testing.T) {
	if KindCheckID.String() != "check id" || KindExchangeToken.String() != "exchange token" || IDKind(0).String() != "unknown" {
		t.Error("kind names changed")
	}
}

func TestShortID(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"chk_priv_SMgso2KGzXLxT2I-g7oD2w", 8, "SMgso2KG…"},
		{"chk_priv_abc", 8, "abc"},
		{"chk_priv_abcdefgh", 8, "abcdefgh"},
		{"chk_priv_ééééé", 2, "éé…"},
		{"chk_priv_abc", 0, "…"},
		{"chk_priv_abc", -1, "…"},
	}
	for _, tt := range tests {
		if got := ShortID(tt.in, tt.n); got != tt.want {
			t.Errorf("ShortID(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestIDLineSkipsCommentsAndKeepsTheID(t *testing.T) {
	for raw, want := range map[string]struct {
		text string
		ok   bool
	}{
		"":                                 {"", false},
		"   \t":                            {"", false},
		"# today's checks":                 {"", false},
		"   # indented":                    {"", false},
		"chk_priv_abc":                     {"chk_priv_abc", true},
		"  chk_priv_abc  ":                 {"chk_priv_abc", true},
		"chk_priv_abc   # from the branch": {"chk_priv_abc", true},
		"chk_priv_abc\t# tabbed":           {"chk_priv_abc", true},
		"chk_priv_abc#not-a-comment":       {"chk_priv_abc#not-a-comment", true},
		"chk_priv_abc # one # two":         {"chk_priv_abc", true},
	} {
		text, ok := IDLine(raw)
		if text != want.text || ok != want.ok {
			t.Errorf("IDLine(%q) = %q, %v; want %q, %v", raw, text, ok, want.text, want.ok)
		}
	}
}

func TestIsExchangeTokenIsParseIDsAnswer(t *testing.T) {
	body := "AbCdEfGhIjKlMnOpQrStUv"
	for _, in := range []string{
		"chk_xchg_" + body, "  CHK_XCHG_" + body + "\t", "Chk_Xchg_" + body,
		"chk_priv_" + body, "chk_xchg_short", "chk_xchg_" + body + "chk_priv_" + body,
		"chk_xchg_" + body + "+", "x chk_xchg_" + body, "", "chk_xchg_",
	} {
		id, err := ParseID(in)
		if want := err == nil && id.Kind == KindExchangeToken; IsExchangeToken(in) != want {
			t.Errorf("IsExchangeToken(%q) = %v, ParseID says %v", in, !want, want)
		}
	}
}
