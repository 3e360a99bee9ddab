package stream

import "github.com/segmentio/kafka-go"

// enforcer writes merchant enforcement events (issue 15, part 5).
type enforcer struct{ led *ledger }

// decision takes a decision read from the audit topic.
func (e *enforcer) decision(_ *kafka.Message, pos int64) { e.led.done(pos) }
