package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sample"
)

func init() {
	register("produce", "produce sample traffic to a broker: complaints, and reviewers' status events for the decisions", runProduce)
}

// runProduce is the compose stack's traffic source: it replays generated
// complaints from the last weeks at a steady rate and, as a simulated review
// desk, answers the decisions it reads from the audit topic.
func runProduce(ctx context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("produce", flag.ContinueOnError)
	brokers := fs.String("brokers", "", "Kafka bootstrap brokers, host:port,...")
	prefix := fs.String("topic-prefix", "moderation", "topic prefix, as the worker's")
	rate := fs.Float64("rate", 5, "complaints per second")
	n := fs.Int("n", 3000, "complaints per round")
	loop := fs.Bool("loop", false, "start a new round (new ids, new seed) after each one, until interrupted")
	reviewers := fs.Bool("reviewers", true, "answer decisions with simulated status events")
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	if *brokers == "" || *rate <= 0 {
		fmt.Fprintln(stdio.Err, "worker produce: --brokers and a positive --rate are required")
		return ExitUsage
	}
	addrs := strings.Split(*brokers, ",")
	if *reviewers {
		go reviewDesk(ctx, addrs, *prefix, stdio)
	}
	w := &kafka.Writer{Addr: kafka.TCP(addrs...), Topic: *prefix + ".complaints", Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond}
	defer w.Close()
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	for round := 1; ; round++ {
		start := time.Now().Add(-47 * 24 * time.Hour)
		for _, c := range sample.Generate(sample.Config{N: *n, Seed: uint64(round), Start: start}) {
			c.ComplaintID = fmt.Sprintf("R%d-%s", round, c.ComplaintID)
			if c.AppealOf != "" {
				c.AppealOf = fmt.Sprintf("R%d-%s", round, c.AppealOf)
			}
			b, err := json.Marshal(c)
			if err != nil {
				fmt.Fprintf(stdio.Err, "worker produce: %v\n", err)
				return ExitFailure
			}
			select {
			case <-ctx.Done():
				return ExitOK
			case <-tick.C:
			}
			if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(c.ComplaintID), Value: b}); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stdio.Err, "worker produce: %v\n", err)
				time.Sleep(time.Second)
			}
		}
		if !*loop {
			return ExitOK
		}
	}
}

// reviewDesk reads decisions and answers them with simulated status events.
func reviewDesk(ctx context.Context, brokers []string, prefix string, stdio Stdio) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: "complaintd-review-desk", Topic: prefix + ".decisions",
		StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: prefix + ".status", Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond}
	defer w.Close()
	for {
		m, err := r.ReadMessage(ctx) // a simulation: losing an answer on a crash is fine
		if err != nil {
			return
		}
		var d schema.Decision
		if json.Unmarshal(m.Value, &d) != nil {
			continue
		}
		var out []kafka.Message
		for _, e := range sample.Reviewers(&d, time.Now()) {
			b, _ := json.Marshal(e)
			out = append(out, kafka.Message{Key: []byte(e.ComplaintID), Value: b})
		}
		if err := w.WriteMessages(ctx, out...); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stdio.Err, "worker produce: status events: %v\n", err)
		}
	}
}
