package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// SLAReplica keeps the SLA state of every complaint. Every worker runs one
// and reads every partition of the audit topic (decisions) and the status
// topic, without a consumer group, from the oldest record the topics keep.
// At start it rebuilds the state silently up to the end offsets it found
// (what the previous process had measured is not measured again), then
// measures what comes after. So the open-complaint state survives restarts
// and rebalances, and every worker exports the same figures: dashboards
// take the max across instances.
type SLAReplica struct {
	cfg      Config
	tracker  *sla.Tracker
	m        *metrics.Pipeline
	log      zerolog.Logger
	restored atomic.Bool
}

// NewSLAReplica prepares the replica; nothing connects before Run.
func NewSLAReplica(cfg Config, tracker *sla.Tracker, m *metrics.Pipeline, log zerolog.Logger) (*SLAReplica, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.StatusTopic == "" {
		return nil, fmt.Errorf("%w: no status topic", ErrConfig)
	}
	cfg = cfg.withDefaults()
	return &SLAReplica{cfg: cfg, tracker: tracker, m: m, log: log.With().Str("component", "sla").Logger()}, nil
}

func (r *SLAReplica) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(r.cfg.Brokers...),
		kgo.ConsumeTopics(r.cfg.AuditTopic, r.cfg.StatusTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
	if r.cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(r.cfg.TLS))
	}
	switch r.cfg.SASLName {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: r.cfg.SASLUser, Pass: r.cfg.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: r.cfg.SASLUser, Pass: r.cfg.SASLPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: r.cfg.SASLUser, Pass: r.cfg.SASLPassword}.AsSha512Mechanism()))
	}
	return opts
}

// Run replicates until ctx ends.
func (r *SLAReplica) Run(ctx context.Context) error {
	cl, err := kgo.NewClient(r.clientOpts()...)
	if err != nil {
		return fmt.Errorf("sla: %w", err)
	}
	defer cl.Close()
	start := time.Now()
	bo := backoff{min: r.cfg.BackoffMin, max: r.cfg.BackoffMax}
	var ends kadm.ListedOffsets
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ends, err = kadm.NewClient(cl).ListEndOffsets(lctx, r.cfg.AuditTopic, r.cfg.StatusTopic)
		cancel()
		if err == nil && ends.Error() == nil {
			break
		}
		r.log.Warn().Err(err).Msg("listing end offsets; retrying")
		if !bo.wait(ctx) {
			return nil
		}
	}
	// Records below these offsets were measured by an earlier process.
	until := map[string]map[int32]int64{}
	pending := 0
	ends.Each(func(o kadm.ListedOffset) {
		if until[o.Topic] == nil {
			until[o.Topic] = map[int32]int64{}
		}
		until[o.Topic][o.Partition] = o.Offset
		if o.Offset > 0 {
			pending++
		}
	})
	done := func() {
		if r.restored.CompareAndSwap(false, true) {
			r.m.SLARestore.Set(time.Since(start).Seconds())
			r.log.Info().Dur("took", time.Since(start)).Int("tracked", r.tracker.Len()).Msg("SLA state restored")
			go r.expireEvidence(ctx)
		}
	}
	if pending == 0 {
		done()
	}
	var dec schema.Decoder
	caughtUp := map[topicPartition]bool{}
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			r.log.Warn().Str("topic", t).Int32("partition", p).Err(err).Msg("fetch")
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			end := until[p.Topic][p.Partition]
			for _, rec := range p.Records {
				r.apply(&dec, rec, rec.Offset < end)
			}
			last := p.Records[len(p.Records)-1]
			r.m.Lag.WithLabelValues(p.Topic, strconv.Itoa(int(p.Partition))).Set(float64(max(0, p.HighWatermark-last.Offset-1)))
			k := topicPartition{p.Topic, p.Partition}
			if end > 0 && last.Offset+1 >= end && !caughtUp[k] {
				caughtUp[k] = true
				pending--
				if pending == 0 {
					done()
				}
			}
		})
	}
}

func (r *SLAReplica) apply(dec *schema.Decoder, rec *kgo.Record, restoring bool) {
	switch rec.Topic {
	case r.cfg.AuditTopic:
		var d schema.Decision
		if err := json.Unmarshal(rec.Value, &d); err != nil || d.ComplaintID == "" {
			r.log.Error().Int32("partition", rec.Partition).Int64("offset", rec.Offset).Msg("undecodable decision on the audit topic")
			return
		}
		if restoring {
			r.tracker.Restore(&d, nil)
		} else {
			r.tracker.Decision(&d)
		}
	case r.cfg.StatusTopic:
		var e schema.StatusEvent
		if err := dec.StatusEvent(rec.Value, &e); err != nil {
			// Every replica reads every event, so none dead-letters it: it is
			// counted and logged, and the producer must fix it.
			if !restoring {
				r.m.InvalidStatusEvents.WithLabelValues(string(schema.ReasonOf(err))).Inc()
				r.log.Warn().Str("reason", string(schema.ReasonOf(err))).Int32("partition", rec.Partition).
					Int64("offset", rec.Offset).Msg("invalid status event ignored")
			}
			return
		}
		if restoring {
			r.tracker.Restore(nil, &e)
		} else {
			r.tracker.Status(&e)
		}
	}
}

func (r *SLAReplica) expireEvidence(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	r.tracker.ExpireEvidence(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.tracker.ExpireEvidence(now)
		}
	}
}

type topicPartition struct {
	topic     string
	partition int32
}
