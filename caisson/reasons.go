package caisson

import "sort"

// Group is the part of the check a reason code is about, as the reference
// groups them; the hundreds digit of the code tells it.
type Group int

const (
	GroupUnknown Group = iota
	GroupDataMismatch
	GroupSelfie
	GroupDocumentFront
	GroupBarcode
)

func (g Group) String() string {
	switch g {
	case GroupDataMismatch:
		return "data mismatch between encoded and printed data"
	case GroupSelfie:
		return "selfie"
	case GroupDocumentFront:
		return "document front image"
	case GroupBarcode:
		return "barcode"
	}
	return "unknown group"
}

// groupOf guesses a code's group from its hundreds digit, which is how the
// reference numbers them.
func groupOf(code int) Group {
	switch code / 100 {
	case 1:
		return GroupDataMismatch
	case 2:
		return GroupSelfie
	case 3:
		return GroupDocumentFront
	case 4:
		return GroupBarcode
	}
	return GroupUnknown
}

// Severity says how much a reason should worry a reviewer; the console
// colours by it.
type Severity int

const (
	// SeverityLow: a capture problem (framing, positioning) that a retake
	// would likely fix.
	SeverityLow Severity = iota + 1
	// SeverityMedium: Caisson could not read or process something, so the
	// check is inconclusive. Unknown codes are medium too: unexplained.
	SeverityMedium
	// SeverityHigh: the document contradicts itself, is invalid or expired:
	// a fraud signal.
	SeverityHigh
)

func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	}
	return "unknown"
}

// ReasonInfo is a reason code decoded for a person.
type ReasonInfo struct {
	Code  int
	Label string
	// Description is the reference's text for the code, or the API's own
	// for a code the catalogue does not know.
	Description string
	// APIDescription is what the API sent, which may differ from the
	// reference's; empty when it sent none.
	APIDescription string
	Group          Group
	Severity       Severity
	// Known is false for a code not in the reference: shown, never dropped.
	Known bool
}

type catalogueEntry struct {
	label, description string
	severity           Severity
}

// catalogue is every code in the reference, with its published text.
// There is no 103 in the reference.
var catalogue = map[int]catalogueEntry{
	101: {"Name mismatch", "Name mismatch", SeverityHigh},
	102: {"Date of birth mismatch", "Date of birth mismatch", SeverityHigh},
	104: {"ID number mismatch", "ID number mismatch", SeverityHigh},
	105: {"Sex mismatch", "Sex mismatch", SeverityHigh},
	106: {"Address mismatch", "Address mismatch", SeverityHigh},
	201: {"Selfie badly positioned", "The selfie was not positioned properly (e.g. only showing part of the face, face is too close/far)", SeverityLow},
	202: {"No face in selfie", "Face could not be detected in the uploaded selfie", SeverityMedium},
	299: {"Selfie processing error", "An error occurred while processing the selfie image", SeverityMedium},
	301: {"Document face badly positioned", "The face detected on the document was not properly positioned (e.g. face too small, too large or partial)", SeverityLow},
	302: {"No face on document", "Face could not be detected in the uploaded document", SeverityMedium},
	303: {"Document data missing", "Some data is missing from the document (e.g. address was expected but could not be detected)", SeverityMedium},
	304: {"Document not supported", "Document is not supported", SeverityMedium},
	305: {"Passport data invalid", "Passports only: the encoded data on the passport is invalid", SeverityHigh},
	306: {"Passport data not found", "Passports only: could not detect the passport's encoded data", SeverityMedium},
	307: {"No document in image", "Could not detect document in the uploaded image", SeverityMedium},
	308: {"Document expired", "The document expired", SeverityHigh},
	309: {"Document not fully in frame", "The document is not fully in the frame", SeverityLow},
	399: {"Document processing error", "An error occurred while processing the document", SeverityMedium},
	401: {"Barcode data invalid", "The encoded data on the barcode is invalid", SeverityHigh},
	402: {"Barcode not found", "Could not detect barcode", SeverityMedium},
	499: {"Barcode processing error", "An error occurred while processing the barcode", SeverityMedium},
}

// DescribeReason decodes a reason as the API sent it. A code the catalogue
// does not know keeps its number and the API's description, with a group
// guessed from its hundreds digit, and is flagged unknown.
func DescribeReason(r Reason) ReasonInfo {
	info := ReasonInfo{
		Code:           r.Code,
		APIDescription: r.Description,
		Group:          groupOf(r.Code),
	}
	if e, ok := catalogue[r.Code]; ok {
		info.Known = true
		info.Label = e.label
		info.Description = e.description
		info.Severity = e.severity
		return info
	}
	info.Label = "Unknown reason"
	info.Description = r.Description
	if info.Description == "" {
		info.Description = "Caisson sent no description for this code"
	}
	info.Severity = SeverityMedium
	return info
}

// DescriptionDiffers reports whether the API's description says something
// other than the reference's, so the console shows both.
func (ri ReasonInfo) DescriptionDiffers() bool {
	return ri.Known && ri.APIDescription != "" && ri.APIDescription != ri.Description
}

// Catalogue lists every documented code, in code order.
func Catalogue() []ReasonInfo {
	out := make([]ReasonInfo, 0, len(catalogue))
	for code := range catalogue {
		out = append(out, DescribeReason(Reason{Code: code}))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
