package sla

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// addWorking and subWorking move an instant by exactly the working time
// calendar.WorkingDuration measures, across weekends, the Spring Festival
// and its make-up Sundays, from any hour.
func TestWorkingTimeArithmetic(t *testing.T) {
	b, err := os.ReadFile("../../rules/calendar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Parse("calendar.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	// Spring Festival 2027: 5-13 February off (lunar-go); Sunday 14
	// February is a make-up working day.
	thu := time.Date(2027, 2, 4, 18, 0, 0, 0, cst)
	if got := addWorking(cal, thu, 6*time.Hour); !got.Equal(time.Date(2027, 2, 5, 0, 0, 0, 0, cst)) {
		t.Errorf("Thursday 4 February 18:00 + 6 working hours = %s", got.In(cst))
	}
	if got := addWorking(cal, thu, 7*time.Hour); !got.Equal(time.Date(2027, 2, 14, 1, 0, 0, 0, cst)) {
		t.Errorf("+7 working hours = %s, want the make-up Sunday 14 February 01:00", got.In(cst))
	}
	if got := subWorking(cal, time.Date(2027, 2, 14, 1, 0, 0, 0, cst), 7*time.Hour); !got.Equal(thu) {
		t.Errorf("Sunday 14 February 01:00 - 7 working hours = %s, want Thursday 18:00", got.In(cst))
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, cst)
	for range 2000 {
		at := start.Add(time.Duration(r.Int64N(int64(300 * 24 * time.Hour))))
		d := time.Duration(r.Int64N(int64(20 * 24 * time.Hour)))
		after := addWorking(cal, at, d)
		if got := cal.WorkingDuration(at, after); got != d {
			t.Fatalf("WorkingDuration(%s, %s + %s) = %s", at, at, d, got)
		}
		before := subWorking(cal, at, d)
		if got := cal.WorkingDuration(before, at); got != d {
			t.Fatalf("WorkingDuration(%s - %s, %s) = %s", at, d, at, got)
		}
	}
}
