package stream

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// SLAReplica keeps the SLA state of every complaint and writes the SLA
// events of the complaints this worker owns. Every worker runs one.
//
// It reads every partition of the audit topic (decisions), the status
// topic and the SLA events topic, without a consumer group, from the
// oldest record the topics keep. At start it lists where each partition
// ends and rebuilds the state silently up to there (what the previous
// process had measured is not measured again, and the SLA events read are
// the record of what was written), then measures what comes after. A
// partition that holds nothing at start (retention may have emptied it:
// its first offset is its end) has nothing to restore.
//
// Once restored it ticks (SLAConfig.Tick, on SLAConfig.Now): every clock
// advances, records past the policy's bounds are forgotten, and the SLA
// events due for the complaints it owns are written. Ownership comes from
// a consumer group over the audit topic's partitions (sla_owner.go).
type SLAReplica struct {
	cfg     SLAConfig
	kafka   *kafkaconn.Client
	tracker *sla.Tracker
	m       *metrics.Pipeline
	sm      *metrics.SLA
	log     zerolog.Logger
	writer  *kafka.Writer // made by Run

	restored chan struct{} // closed once the state is rebuilt
	own      ownership

	mu       sync.Mutex
	pos      map[topicPartition]int64 // the next offset to read, per partition read
	advanced chan struct{}            // closed (and cleared) when pos moves, if someone waits
	notReady error
	quiet    time.Time // when the last tick that owned partitions and found nothing due started
}

type topicPartition struct {
	topic string
	id    int
}

// NewSLAReplica prepares the replica; nothing connects before Run.
func NewSLAReplica(cfg SLAConfig, kc *kafkaconn.Client, tracker *sla.Tracker, m *metrics.Pipeline, sm *metrics.SLA, log zerolog.Logger) *SLAReplica {
	cfg = cfg.withDefaults()
	return &SLAReplica{cfg: cfg, kafka: kc, tracker: tracker, m: m, sm: sm,
		log: log.With().Str("component", "sla").Logger(), restored: make(chan struct{}),
		pos: map[topicPartition]int64{}, notReady: errors.New("SLA replica starting")}
}

// Ready returns nil once the SLA topics exist and are read, or why not.
func (r *SLAReplica) Ready() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.notReady
}

// Restored is closed once the state is rebuilt.
func (r *SLAReplica) Restored() <-chan struct{} { return r.restored }

// Run replicates until ctx ends.
func (r *SLAReplica) Run(ctx context.Context) error {
	start := time.Now()
	bo := backoff{min: r.cfg.BackoffMin, max: r.cfg.BackoffMax}
	var parts []kafkaconn.Partition
	for {
		lctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
		var err error
		parts, err = r.kafka.Partitions(lctx, r.cfg.topics()...)
		cancel()
		if err == nil {
			break
		}
		r.setNotReady(err)
		r.log.Warn().Err(err).Msg("listing the audit, status and SLA events partitions; retrying")
		if !bo.wait(ctx) {
			return nil
		}
	}
	r.setNotReady(nil)
	r.writer = r.kafka.Writer("")
	r.writer.BatchTimeout = 2 * time.Millisecond
	defer r.writer.Close()
	// Records below each partition's end were measured by an earlier process.
	pending := 0
	for _, p := range parts {
		r.pos[topicPartition{p.Topic, p.ID}] = p.First
		if p.End > p.First {
			pending++
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	done := func() {
		r.sm.Watch(r.tracker)
		r.tracker.Tick(r.cfg.Now(), nil, 0, false) // what is past the bounds goes silently
		r.m.SLARestore.Set(time.Since(start).Seconds())
		r.log.Info().Dur("took", time.Since(start)).Int("tracked", r.tracker.Len()).Msg("SLA state restored")
		close(r.restored)
		wg.Add(2)
		go func() { defer wg.Done(); r.tick(ctx) }()
		go func() { defer wg.Done(); r.own.run(ctx, r) }()
	}
	if pending == 0 {
		done()
	}
	dec := slaDecoders{status: schema.NewDecoder(r.cfg.Decode)}
	caughtUp := map[*kafkaconn.Partition]bool{}
	return r.kafka.ReadPartitions(ctx, parts, func(p *kafkaconn.Partition, m *kafka.Message) {
		r.apply(&dec, m, m.Offset >= p.End)
		r.advance(p, m.Offset+1)
		r.sm.ReplicaLag.WithLabelValues(p.Topic, strconv.Itoa(p.ID)).Set(float64(max(0, m.HighWaterMark-m.Offset-1)))
		if p.End > p.First && m.Offset+1 >= p.End && !caughtUp[p] {
			caughtUp[p] = true
			if pending--; pending == 0 {
				done()
			}
		}
	})
}

func (r *SLAReplica) setNotReady(err error) {
	r.mu.Lock()
	r.notReady = err
	r.mu.Unlock()
}

func (r *SLAReplica) advance(p *kafkaconn.Partition, next int64) {
	r.mu.Lock()
	r.pos[topicPartition{p.Topic, p.ID}] = next
	if r.advanced != nil {
		close(r.advanced)
		r.advanced = nil
	}
	r.mu.Unlock()
}

// slaDecoders are the decoders of the replica's three topics.
type slaDecoders struct {
	sla    slaDecoder
	status *schema.Decoder // the worker's tolerant reading, with its zone
}

// apply feeds one message to the tracker; live is false below the end the
// partition had at start.
func (r *SLAReplica) apply(dec *slaDecoders, m *kafka.Message, live bool) {
	switch m.Topic {
	case r.cfg.AuditTopic:
		var d schema.Decision
		if err := dec.sla.decision(m.Value, &d); err != nil || d.ComplaintID == "" {
			r.log.Error().Int("partition", m.Partition).Int64("offset", m.Offset).Msg("undecodable decision on the audit topic")
			return
		}
		r.tracker.Decision(&d, m.Partition, m.Time, live)
	case r.cfg.StatusTopic:
		var e schema.StatusEvent
		if err := dec.status.StatusEvent(m.Value, &e); err != nil {
			// Every replica reads every event, so none dead-letters it: it is
			// counted and logged, and the producer must fix it.
			if live {
				r.m.InvalidStatusEvents.WithLabelValues(string(schema.ReasonOf(err))).Inc()
				r.log.Warn().Str("reason", string(schema.ReasonOf(err))).Int("partition", m.Partition).
					Int64("offset", m.Offset).Msg("invalid status event ignored")
			}
			return
		}
		r.tracker.Status(&e, m.Time, live)
	case r.cfg.EventsTopic:
		var e schema.SLAEvent
		if err := json.Unmarshal(m.Value, &e); err != nil || e.ComplaintID == "" {
			r.log.Error().Int("partition", m.Partition).Int64("offset", m.Offset).Msg("undecodable SLA event on the SLA events topic")
			return
		}
		r.tracker.Event(&e, m.Time, live)
	}
}

// caughtUp waits until every partition of ends has been read up to its
// end, or ctx ends (false). Partitions the replica does not read (added
// after it started) are left out.
func (r *SLAReplica) caughtUp(ctx context.Context, ends []kafkaconn.Partition) bool {
	for {
		r.mu.Lock()
		behind := false
		for _, p := range ends {
			if pos, ok := r.pos[topicPartition{p.Topic, p.ID}]; ok && pos < p.End {
				behind = true
				break
			}
		}
		if !behind {
			r.mu.Unlock()
			return true
		}
		if r.advanced == nil {
			r.advanced = make(chan struct{})
		}
		wait := r.advanced
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-wait:
		}
	}
}
