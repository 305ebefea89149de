package caisson

import (
	"strings"
	"testing"
)

// documented is every code of the reference's table.
var documented = []int{101, 102, 104, 105, 106, 201, 202, 299, 301, 302, 303, 304, 305, 306, 307, 308, 309, 399, 401, 402, 499}

func TestTheCatalogueHoldsEveryDocumentedCodeAndNoOther(t *testing.T) {
	cat := Catalogue()
	if len(cat) != len(documented) {
		t.Fatalf("catalogue has %d codes, the reference %d", len(cat), len(documented))
	}
	for i, ri := range cat {
		if ri.Code != documented[i] {
			t.Errorf("entry %d is code %d, want %d (in code order)", i, ri.Code, documented[i])
		}
		if !ri.Known || ri.Label == "" || ri.Description == "" || ri.Severity == 0 {
			t.Errorf("code %d is incomplete: %+v", ri.Code, ri)
		}
		if ri.Group != groupOf(ri.Code) || ri.Group == GroupUnknown {
			t.Errorf("code %d in group %v", ri.Code, ri.Group)
		}
	}
}

func TestThereIsNo103(t *testing.T) {
	if DescribeReason(Reason{Code: 103}).Known {
		t.Error("103 is not in the reference")
	}
}

func TestDescribeReason(t *testing.T) {
	tests := []struct {
		name     string
		in       Reason
		known    bool
		group    Group
		desc     string
		severity Severity
		differs  bool
	}{
		{"a known code with the API's own text", Reason{308, "The document expired"}, true, GroupDocumentFront, "The document expired", SeverityHigh, false},
		{"a known code without description falls back to the catalogue's", Reason{202, ""}, true, GroupSelfie, "Face could not be detected in the uploaded selfie", SeverityMedium, false},
		{"a known code with a different description shows both", Reason{101, "Names differ"}, true, GroupDataMismatch, "Name mismatch", SeverityHigh, true},
		{"a capture problem is low severity", Reason{309, ""}, true, GroupDocumentFront, "The document is not fully in the frame", SeverityLow, false},
		{"an unknown code keeps its number and the API's text, group from the hundreds digit", Reason{412, "Barcode too blurry"}, false, GroupBarcode, "Barcode too blurry", SeverityMedium, false},
		{"an unknown code in the 100s is a data mismatch", Reason{107, "Height mismatch"}, false, GroupDataMismatch, "Height mismatch", SeverityMedium, false},
		{"an unknown code without description still says something", Reason{250, ""}, false, GroupSelfie, "Caisson sent no description for this code", SeverityMedium, false},
		{"a code outside every group", Reason{901, "Other"}, false, GroupUnknown, "Other", SeverityMedium, false},
		{"zero", Reason{0, ""}, false, GroupUnknown, "Caisson sent no description for this code", SeverityMedium, false},
		{"a negative code", Reason{-101, "x"}, false, GroupUnknown, "x", SeverityMedium, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ri := DescribeReason(tt.in)
			if ri.Code != tt.in.Code || ri.Known != tt.known || ri.Group != tt.group || ri.Description != tt.desc ||
				ri.Severity != tt.severity || ri.APIDescription != tt.in.Description || ri.DescriptionDiffers() != tt.differs {
				t.Errorf("got %+v (differs %v)", ri, ri.DescriptionDiffers())
			}
			if !tt.known && !strings.Contains(strings.ToLower(ri.Label), "unknown") {
				t.Errorf("unknown code labelled %q", ri.Label)
			}
		})
	}
}

func TestGroupAndSeverityNames(t *testing.T) {
	names := map[string]string{
		GroupDataMismatch.String():  "data mismatch between encoded and printed data",
		GroupSelfie.String():        "selfie",
		GroupDocumentFront.String(): "document front image",
		GroupBarcode.String():       "barcode",
		GroupUnknown.String():       "unknown group",
		SeverityLow.String():        "low",
		SeverityMedium.String():     "medium",
		SeverityHigh.String():       "high",
		Severity(0).String():        "unknown",
	}
	for got, want := range names {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
