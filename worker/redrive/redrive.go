package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// batchSize is how many complaints are written at once (then recorded in
// the ledger).
const batchSize = 200

// run is one redrive: read the ledger, then the dead-letter topic, and
// re-produce what is selected.
type run struct {
	o        Options
	w        Window
	kc       *kafkaconn.Client
	progress io.Writer

	done       map[string]bool // letters the ledger records
	out        *kafka.Writer
	ledger     *kafka.Writer
	pending    []letter
	sum        Summary
	total      int // letters to read
	lastReport time.Time
}

// Run redrives what o selects and returns what it did. Progress lines go
// to progress. The error is the cluster's; letters not written are not
// recorded, so running again picks them up.
func Run(ctx context.Context, kc *kafkaconn.Client, o Options, w Window, progress io.Writer) (*Summary, error) {
	r := &run{o: o, w: w, kc: kc, progress: progress, sum: newSummary(o), lastReport: time.Now()}
	if err := kc.CheckTopics(ctx, []string{o.DeadLetterTopic, o.ComplaintsTopic}); err != nil {
		return &r.sum, err
	}
	if !o.DryRun {
		created, err := ensureLedger(ctx, kc, &o)
		if err != nil {
			return &r.sum, fmt.Errorf("ledger: %w", err)
		}
		if created {
			fmt.Fprintf(progress, "redrive: created the ledger topic %s\n", o.LedgerTopic)
		}
	}
	if !o.Again {
		var err error
		if r.done, err = readLedger(ctx, kc, o.LedgerTopic); err != nil && !(o.DryRun && errors.Is(err, kafkaconn.ErrMissingTopic)) {
			return &r.sum, fmt.Errorf("reading the ledger %s: %w", o.LedgerTopic, err)
		}
	}
	parts, err := kc.Partitions(ctx, o.DeadLetterTopic)
	if err != nil {
		return &r.sum, err
	}
	for _, p := range parts {
		r.total += int(p.End - p.First)
	}
	fmt.Fprintf(progress, "redrive: reading %d letters from %d partitions of %s\n", r.total, len(parts), o.DeadLetterTopic)
	if !o.DryRun {
		r.out = kc.Writer("")       // messages name their topic
		r.out.BatchBytes = 64 << 20 // the complaints topic took them once: the broker decides
		r.out.BatchSize = batchSize
		r.ledger = kc.Writer("")
		r.ledger.BatchSize = batchSize
		defer r.out.Close()
		defer r.ledger.Close()
	}
	err = readToEnd(ctx, kc, parts, progress, func(m *kafka.Message) error { return r.letter(ctx, m) })
	if err == nil {
		err = r.flush(ctx)
	}
	r.report(true)
	return &r.sum, err
}

// letter decides what to do with one dead letter.
func (r *run) letter(ctx context.Context, m *kafka.Message) error {
	r.sum.Considered++
	defer r.report(false)
	l := readLetter(m)
	if !l.selected(r.o.Reason, r.w) {
		return nil
	}
	r.sum.Selected++
	r.sum.byReason(l.reason).Selected++
	switch {
	case r.done[l.id]:
		r.sum.skip(SkipAlreadyRedriven, &l, "")
		return nil
	case l.trimmed != "":
		r.sum.skip(SkipTrimmed, &l, "trimmed ("+l.trimmed+"): the original bytes are not in the letter")
		return nil
	case l.count >= r.o.MaxRedrives:
		r.sum.OverLimit++
		r.sum.note(&l, fmt.Sprintf("over the limit: redriven %d times already (--max-redrives %d)", l.count, r.o.MaxRedrives))
		return nil
	}
	if r.o.DryRun {
		r.sum.Redriven++
		r.sum.byReason(l.reason).Redriven++
		return nil
	}
	r.pending = append(r.pending, l)
	if len(r.pending) >= batchSize {
		return r.flush(ctx)
	}
	return nil
}

// flush writes the pending complaints, then records those written in the
// ledger. A complaint the broker refuses is reported and left unrecorded.
func (r *run) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(r.pending))
	for i := range r.pending {
		msgs[i] = r.pending[i].complaint(r.o.ComplaintsTopic)
	}
	err := r.out.WriteMessages(ctx, msgs...)
	var werrs kafka.WriteErrors
	if err != nil && !(errors.As(err, &werrs) && len(werrs) == len(msgs)) {
		return fmt.Errorf("writing to %s: %w", r.o.ComplaintsTopic, err)
	}
	now := time.Now()
	var records []kafka.Message
	for i := range r.pending {
		l := &r.pending[i]
		if werrs != nil && werrs[i] != nil {
			r.sum.skip(SkipFailed, l, "not written: "+werrs[i].Error())
			continue
		}
		r.sum.Redriven++
		r.sum.byReason(l.reason).Redriven++
		records = append(records, ledgerMessage(r.o.LedgerTopic, l, now))
	}
	r.pending = r.pending[:0]
	if err := r.ledger.WriteMessages(ctx, records...); err != nil {
		return fmt.Errorf("recording %d redriven letters in %s (they will be redriven again, as redeliveries): %w", len(records), r.o.LedgerTopic, err)
	}
	return nil
}

// report prints a progress line at most once a second, and at the end.
func (r *run) report(final bool) {
	if !final && time.Since(r.lastReport) < time.Second {
		return
	}
	r.lastReport = time.Now()
	verb := "redriven"
	if r.o.DryRun {
		verb = "to redrive (dry run)"
	}
	fmt.Fprintf(r.progress, "redrive: %d/%d letters read, %d selected, %d %s\n", r.sum.Considered, r.total, r.sum.Selected, r.sum.Redriven, verb)
}
