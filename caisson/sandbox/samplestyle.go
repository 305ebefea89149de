package sandbox

// sampleStyle re-spaces compact JSON the way the reference's samples are
// printed, trailing commas included: { "check_id": "…", }. The reference's
// samples carry a comma before the closing brace of each non-empty object,
// so a client that reads them strictly fails on what Caisson publishes; a
// few sandbox answers come like this so the client's tolerance is tested
// over HTTP, not only on the pasted samples. Arrays are left alone: no
// sample shows one.
func sampleStyle(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inString, escaped := false, false
	for i, c := range compact {
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out = append(out, c)
		case '{':
			out = append(out, '{', ' ')
		case '}':
			if i > 0 && compact[i-1] != '{' {
				out = append(out, ',', ' ')
			}
			out = append(out, '}')
		case ':':
			out = append(out, ':', ' ')
		case ',':
			out = append(out, ',', ' ')
		default:
			out = append(out, c)
		}
	}
	return out
}
