package schema

import "time"

// parseRFC3339 accepts exactly RFC 3339's date-time production
// (YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM), T and Z in either case), which is
// narrower than what time.Parse accepts for its RFC3339 layout.
func parseRFC3339(b []byte) (time.Time, bool) {
	// Shortest form: 2006-01-02T15:04:05Z (20 bytes).
	if len(b) < 20 || len(b) > 64 {
		return time.Time{}, false
	}
	var buf [64]byte
	s := buf[:len(b)]
	copy(s, b)
	digits := func(from, to int) bool {
		for i := from; i < to; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if !digits(0, 4) || s[4] != '-' || !digits(5, 7) || s[7] != '-' || !digits(8, 10) ||
		(s[10] != 'T' && s[10] != 't') || !digits(11, 13) || s[13] != ':' || !digits(14, 16) ||
		s[16] != ':' || !digits(17, 19) {
		return time.Time{}, false
	}
	s[10] = 'T'
	i := 19
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return time.Time{}, false
		}
		i = j
	}
	switch {
	case i == len(s)-1 && (s[i] == 'Z' || s[i] == 'z'):
		s[i] = 'Z'
	case i == len(s)-6 && (s[i] == '+' || s[i] == '-') && digits(i+1, i+3) && s[i+3] == ':' && digits(i+4, i+6):
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
