package stream

import (
	"errors"
	"sync"
	"testing"
)

// Batches in flight finish one after the other, in the order started; at
// most flightDepth wait; once one fails, those after it are told so and
// not finished, and wait returns the first failure.
func TestFlightFinishesInOrderAndNothingAfterAFailure(t *testing.T) {
	var fl flight
	var mu sync.Mutex
	var ran []int
	hold := make(chan struct{})
	boom := errors.New("broker says no")
	finish := func(i int, err error) func(bool) error {
		return func(after bool) error {
			if !after {
				return errNotAfterFailure
			}
			if i == 0 {
				<-hold
			}
			mu.Lock()
			ran = append(ran, i)
			mu.Unlock()
			return err
		}
	}
	fl.start(finish(0, nil))
	fl.start(finish(1, nil))
	if len(fl.queue) != flightDepth {
		t.Fatalf("%d in flight, want %d", len(fl.queue), flightDepth)
	}
	select {
	case <-fl.idle():
		t.Fatal("idle while batch 0 is held")
	default:
	}
	close(hold)
	if err := fl.room(); err != nil { // waits for batch 0 only
		t.Fatal(err)
	}
	fl.start(finish(2, boom))
	fl.start(finish(3, nil))
	if err := fl.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait: %v, want batch 2's failure", err)
	}
	<-fl.idle()
	if got := len(ran); got != 3 || ran[0] != 0 || ran[1] != 1 || ran[2] != 2 {
		t.Errorf("finished %v, want [0 1 2] (3 not after the failed 2)", ran)
	}
	fl.start(finish(4, nil))
	if err := fl.wait(); !errors.Is(err, boom) {
		t.Errorf("wait after a failure: %v, want the first failure still", err)
	}
	if len(ran) != 3 {
		t.Errorf("finished %v: a batch started after the failure was finished", ran)
	}
}
