package calendar

import (
	"os"
	"testing"
)

// The source gives exactly the holidays and make-up days that were typed in
// by hand from the State Council's 2025 and 2026 notices (the calendar file
// before lunar-go): same days off, same make-up days, day by day.
func TestSourceMatchesHandTyped(t *testing.T) {
	b, err := os.ReadFile("testdata/hand-typed-2025-2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hand, err := Parse("hand-typed-2025-2026.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	src, err := cnStateCouncil()
	if err != nil {
		t.Fatal(err)
	}
	from, to := civil(2025, 1, 1), civil(2026, 12, 31)
	if f, l := hand.Span(); f != from || l != civil(2026, 12, 28) {
		t.Fatalf("hand-typed span %s..%s", f, l)
	}
	holidays, workdays := 0, 0
	for d := from; d <= to; d++ {
		_, hh := hand.holidays[d]
		_, sh := src.holidays[d]
		_, hw := hand.workdays[d]
		_, sw := src.workdays[d]
		if hh != sh {
			t.Errorf("%s: holiday by hand %t, in the source %t", d, hh, sh)
		}
		if hw != sw {
			t.Errorf("%s: make-up day by hand %t, in the source %t", d, hw, sw)
		}
		if sh {
			holidays++
		}
		if sw {
			workdays++
		}
	}
	// 2025: 28 days off, 5 make-up days; 2026: 33 days off, 6 make-up days.
	if holidays != 28+33 || workdays != 5+6 {
		t.Errorf("%d holidays, %d make-up days in 2025-2026; want 61 and 11", holidays, workdays)
	}
}

func TestKnownYearsStopAtAGap(t *testing.T) {
	cases := []struct {
		years       []int
		first, last int
		ok          bool
	}{
		{[]int{2002, 2003, 2004}, 2002, 2004, true},
		{[]int{2004, 2002, 2003, 2006}, 2002, 2004, true}, // 2005 missing: 2006 is not known
		{[]int{2027}, 2027, 2027, true},
		{nil, 0, 0, false},
	}
	for _, tc := range cases {
		m := map[int]bool{}
		for _, y := range tc.years {
			m[y] = true
		}
		f, l, ok := knownYears(m)
		if f != tc.first || l != tc.last || ok != tc.ok {
			t.Errorf("%v: %d..%d %t, want %d..%d %t", tc.years, f, l, ok, tc.first, tc.last, tc.ok)
		}
	}
}

func TestSourceFingerprintIsStable(t *testing.T) {
	a, err := readLunar()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cnStateCouncil()
	if a.fingerprint == "" || a.fingerprint != b.fingerprint || a.first != 2002 {
		t.Errorf("fingerprints %q %q, first year %d", a.fingerprint, b.fingerprint, a.first)
	}
}
