package schema

// decimal is a JSON number read exactly from its text, as JSON Schema
// compares numbers (not through float64, which would round
// 9007199254740993 to 2^53 and 2^53 + 0.5 to an integer).
type decimal struct {
	neg      bool
	intPart  uint64 // the integer part, when !overflow
	overflow bool   // the integer part is at least 10^20
	frac     bool   // some fractional digit is not zero
}

// parseDecimal reads JSON number text (already validated as JSON).
func parseDecimal(b []byte) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(b) && b[i] == '-' {
		d.neg = true
		i++
	}
	// Significant digits, with the position of the decimal point.
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intDigits := b[start:i]
	if len(intDigits) == 0 {
		return d, false
	}
	var fracDigits []byte
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		fracDigits = b[fs:i]
		if len(fracDigits) == 0 {
			return d, false
		}
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		es := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if exp < 1e9 { // saturate: beyond, every answer is the same
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == es {
			return d, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(b) {
		return d, false
	}
	// The digits D = intDigits ++ fracDigits, with the point after
	// len(intDigits)+exp of them.
	digit := func(k int) byte {
		if k < len(intDigits) {
			return intDigits[k]
		}
		return fracDigits[k-len(intDigits)]
	}
	n := len(intDigits) + len(fracDigits)
	lead := 0
	for lead < n && digit(lead) == '0' {
		lead++
	}
	if lead == n {
		return d, true // zero
	}
	point := len(intDigits) + exp - lead // digits before the point, after dropping leading zeros
	sig := n - lead
	if point > 20 {
		d.overflow = true
		// The fractional part can still be non-zero only if point < sig,
		// which 20 < point rules out for any realistic number; check it.
		for k := lead + point; k < n; k++ {
			if digit(k) != '0' {
				d.frac = true
			}
		}
		return d, true
	}
	var v uint64
	for k := 0; k < point; k++ {
		c := byte('0')
		if k < sig {
			c = digit(lead + k)
		}
		nv := v*10 + uint64(c-'0')
		if nv/10 != v {
			d.overflow = true
		}
		v = nv
	}
	d.intPart = v
	from := max(point, 0)
	for k := from; k < sig; k++ {
		if digit(lead+k) != '0' {
			d.frac = true
			break
		}
	}
	return d, true
}
