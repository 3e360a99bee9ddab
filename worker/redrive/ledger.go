package redrive

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// The ledger is a compacted topic of the letters redriven: key
// "topic/partition/offset" of the letter, value an entry. It is deleted
// as the dead-letter topic is (the same retention.ms), so it holds no
// more than the letters still there.
type entry struct {
	Letter     string    `json:"letter"`
	RedrivenAt time.Time `json:"redriven_at"`
	Count      int       `json:"redrive_count"`
}

// ensureLedger creates the ledger topic when it is missing.
func ensureLedger(ctx context.Context, kc *kafkaconn.Client, o *Options) (bool, error) {
	configs := map[string]string{"cleanup.policy": "compact,delete"}
	if cfg, err := kc.TopicConfigs(ctx, []string{o.DeadLetterTopic}, "retention.ms"); err == nil {
		if v, ok := cfg[o.DeadLetterTopic]["retention.ms"]; ok {
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				configs["retention.ms"] = v
			}
		}
	}
	return kc.EnsureTopic(ctx, o.LedgerTopic, 1, configs)
}

// readLedger returns the letters the ledger records.
func readLedger(ctx context.Context, kc *kafkaconn.Client, topic string) (map[string]bool, error) {
	done := map[string]bool{}
	parts, err := kc.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	err = readToEnd(ctx, kc, parts, nil, func(m *kafka.Message) error {
		if m.Value == nil {
			delete(done, string(m.Key))
		} else {
			done[string(m.Key)] = true
		}
		return nil
	})
	return done, err
}

func ledgerMessage(topic string, l *letter, at time.Time) kafka.Message {
	v, _ := json.Marshal(entry{Letter: l.id, RedrivenAt: at.UTC(), Count: l.count + 1})
	return kafka.Message{Topic: topic, Key: []byte(l.id), Value: v, Time: at}
}
