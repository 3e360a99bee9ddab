package stream

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// SLAReplica keeps the SLA state of every complaint. Every worker runs one
// and reads every partition of the audit topic (decisions) and the status
// topic, without a consumer group, from the oldest record the topics keep.
// At start it lists where each partition ends and rebuilds the state
// silently up to there (what the previous process had measured is not
// measured again), then measures what comes after. So the open-complaint
// state survives restarts and rebalances, and every worker exports the
// same figures: dashboards take the max across instances.
//
// A partition that holds nothing at start (retention may have emptied it:
// its first offset is its end) has nothing to restore.
type SLAReplica struct {
	cfg      Config
	kafka    *kafkaconn.Client
	tracker  *sla.Tracker
	m        *metrics.Pipeline
	log      zerolog.Logger
	restored atomic.Bool
}

// NewSLAReplica prepares the replica; nothing connects before Run.
func NewSLAReplica(cfg Config, kc *kafkaconn.Client, tracker *sla.Tracker, m *metrics.Pipeline, log zerolog.Logger) *SLAReplica {
	return &SLAReplica{cfg: cfg, kafka: kc, tracker: tracker, m: m, log: log.With().Str("component", "sla").Logger()}
}

// Run replicates until ctx ends.
func (r *SLAReplica) Run(ctx context.Context) error {
	start := time.Now()
	bo := backoff{min: r.cfg.BackoffMin, max: r.cfg.BackoffMax}
	var parts []kafkaconn.Partition
	for {
		lctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
		var err error
		parts, err = r.kafka.Partitions(lctx, r.cfg.AuditTopic, r.cfg.StatusTopic)
		cancel()
		if err == nil {
			break
		}
		r.log.Warn().Err(err).Msg("listing the audit and status partitions; retrying")
		if !bo.wait(ctx) {
			return nil
		}
	}
	// Records below each partition's end were measured by an earlier process.
	pending := 0
	for _, p := range parts {
		if p.End > p.First {
			pending++
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	done := func() {
		if r.restored.CompareAndSwap(false, true) {
			r.m.SLARestore.Set(time.Since(start).Seconds())
			r.log.Info().Dur("took", time.Since(start)).Int("tracked", r.tracker.Len()).Msg("SLA state restored")
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.expireEvidence(ctx)
			}()
		}
	}
	if pending == 0 {
		done()
	}
	dec := schema.NewDecoder(r.cfg.Decode)
	caughtUp := map[*kafkaconn.Partition]bool{}
	return r.kafka.ReadPartitions(ctx, parts, func(p *kafkaconn.Partition, m *kafka.Message) {
		r.apply(dec, m, m.Offset < p.End)
		r.m.Lag.WithLabelValues(p.Topic, strconv.Itoa(p.ID)).Set(float64(max(0, m.HighWaterMark-m.Offset-1)))
		if p.End > p.First && m.Offset+1 >= p.End && !caughtUp[p] {
			caughtUp[p] = true
			if pending--; pending == 0 {
				done()
			}
		}
	})
}

func (r *SLAReplica) apply(dec *schema.Decoder, m *kafka.Message, restoring bool) {
	switch m.Topic {
	case r.cfg.AuditTopic:
		var d schema.Decision
		if err := json.Unmarshal(m.Value, &d); err != nil || d.ComplaintID == "" {
			r.log.Error().Int("partition", m.Partition).Int64("offset", m.Offset).Msg("undecodable decision on the audit topic")
			return
		}
		if restoring {
			r.tracker.Restore(&d, nil)
		} else {
			r.tracker.Decision(&d)
		}
	case r.cfg.StatusTopic:
		var e schema.StatusEvent
		if err := dec.StatusEvent(m.Value, &e); err != nil {
			// Every replica reads every event, so none dead-letters it: it is
			// counted and logged, and the producer must fix it.
			if !restoring {
				r.m.InvalidStatusEvents.WithLabelValues(string(schema.ReasonOf(err))).Inc()
				r.log.Warn().Str("reason", string(schema.ReasonOf(err))).Int("partition", m.Partition).
					Int64("offset", m.Offset).Msg("invalid status event ignored")
			}
			return
		}
		if r.cfg.TimeBounds != nil {
			e.CheckTime(m.Time, r.cfg.TimeBounds()) // an absurd time must not stretch the clocks
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
