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
		{"dash and underscore are URL-safe base64", "chk_priv_-_-_", KindCheckID, "chk_priv_-_-_", "", ""},
		{"empty", "", 0, "", "empty id", ""},
		{"only spaces", "   \t", 0, "", "empty id", ""},
		{"a prefix alone", "chk_priv_", 0, "", "nothing after the prefix", ""},
		{"a token prefix alone", "chk_xchg_", 0, "", "nothing after the prefix", ""},
		{"another prefix", "chk_pub_abc", 0, "", "expected a check id (chk_priv_…) or an exchange token", ""},
		{"upper-case prefix", "CHK_PRIV_abc", 0, "", "not a Caisson id", ""},
		{"standard base64 plus", "chk_priv_ab+cd", 0, "", "'+' at position 12", ""},
		{"standard base64 padding", "chk_priv_abcd==", 0, "", "'=' at position 14", ""},
		{"a space inside", "chk_priv_ab cd", 0, "", "' ' at position 12", ""},
		{"an escape sequence inside", "chk_priv_ab\x1b[2J", 0, "", `'\x1b'`, ""},
		{"a right-to-left override inside", "chk_priv_ab\u202ecd", 0, "", `'\u202e'`, ""},
		{"a dashboard URL", "https://www.caisson.com/request/chk_priv_abc", 0, "", "not a Caisson id", "chk_priv_abc"},
		{"an overlong id", "chk_priv_" + strings.Repeat("a", 129), 0, "", "at most 128", ""},
		{"a pasted secret is not repeated whole", "sk_live_0123456789abcdefghijklmnopqrstuvwxyz", 0, "", "not a Caisson id", "sk_live"},
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
