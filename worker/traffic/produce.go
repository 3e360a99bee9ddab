package traffic

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/valyala/fastjson"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/sample"
)

// Produce is `worker produce`.
var Produce = cli.Command{
	Name:    "produce",
	Summary: "produce sample traffic to a broker: complaints, and reviewers' status events for the decisions",
	Run:     runProduce,
}

type produceOptions struct {
	Kafka       kafkaconn.Options
	TopicPrefix string
	Rate        float64
	N           int
	Loop        bool
	Reviewers   bool
	Answers     time.Duration
}

func (o *produceOptions) validate() error {
	var errs []error
	if len(o.Kafka.Brokers) == 0 {
		errs = append(errs, errors.New("--brokers is required"))
	}
	errs = append(errs, o.Kafka.Validate()...)
	if o.Rate <= 0 {
		errs = append(errs, fmt.Errorf("--rate %v: want more than 0", o.Rate))
	}
	if o.N < 1 {
		errs = append(errs, fmt.Errorf("--n %d: want 1 or more", o.N))
	}
	return errors.Join(errs...)
}

// runProduce is the compose stack's traffic source: it replays generated
// complaints from the last weeks at a steady rate and, as a simulated review
// desk, answers the decisions it reads from the audit topic.
func runProduce(ctx context.Context, env cli.Env, args []string) int {
	o := produceOptions{TopicPrefix: "moderation", Rate: 5, N: 3000, Reviewers: true, Answers: time.Minute}
	fs := flag.NewFlagSet("produce", flag.ContinueOnError)
	o.Kafka.Flags(fs, "Kafka bootstrap brokers, host:port,... (required)")
	fs.StringVar(&o.TopicPrefix, "topic-prefix", o.TopicPrefix, "topic prefix, as the worker's")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "complaints per second")
	fs.IntVar(&o.N, "n", o.N, "complaints per round")
	fs.BoolVar(&o.Loop, "loop", o.Loop, "start a new round (new ids, new seed) after each one, until interrupted")
	fs.BoolVar(&o.Reviewers, "reviewers", o.Reviewers, "answer decisions with simulated status events")
	cli.DurationVar(fs, &o.Answers, "answers-timeout", o.Answers, "without --loop, how long to keep answering once the round is sent, until every complaint sent has an answer")
	cli.Usage(fs, "produce --brokers host:port,... [--rate R] [--loop]", cli.EnvUsage())
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if err := o.validate(); err != nil {
		cli.Errorf(env, "produce", "%v", err)
		return cli.ExitUsage
	}
	kc, err := kafkaconn.New(o.Kafka, zerolog.Nop())
	if err != nil {
		cli.Errorf(env, "produce", "%v", err)
		return cli.ExitUsage
	}
	defer kc.Close()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	desk := newDesk()
	if o.Reviewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			desk.run(ctx, kc, o.TopicPrefix, env)
		}()
	}
	w := kc.Writer(o.TopicPrefix + ".complaints")
	w.BatchTimeout = 10 * time.Millisecond
	defer w.Close()
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.Rate))
	defer tick.Stop()
	for round := 1; ; round++ {
		start := time.Now().Add(-47 * 24 * time.Hour)
		for _, c := range sample.Generate(sample.Config{N: o.N, Seed: uint64(round), Start: start}) {
			c.ComplaintID = fmt.Sprintf("R%d-%s", round, c.ComplaintID)
			if c.AppealOf != "" {
				c.AppealOf = fmt.Sprintf("R%d-%s", round, c.AppealOf)
			}
			b, err := json.Marshal(c)
			if err != nil {
				cli.Errorf(env, "produce", "%v", err)
				return cli.ExitFailure
			}
			select {
			case <-ctx.Done():
				return cli.ExitOK
			case <-tick.C:
			}
			desk.expect(c.ComplaintID)
			if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(c.ComplaintID), Value: b}); err != nil && ctx.Err() == nil {
				cli.Errorf(env, "produce", "%v", err)
			}
		}
		if !o.Loop {
			break
		}
	}
	if o.Reviewers {
		select {
		case <-desk.answeredAll():
		case <-ctx.Done():
		case <-time.After(o.Answers):
			cli.Errorf(env, "produce", "%d complaints had no answer from the review desk within %s", desk.unanswered(), cli.FormatDuration(o.Answers))
		}
	}
	return cli.ExitOK
}

// statusMessages are the simulated reviewers' status events for d, keyed by
// complaint id.
func statusMessages(d *schema.Decision, now time.Time) []kafka.Message {
	var out []kafka.Message
	for _, e := range sample.Reviewers(d, now) {
		b, _ := json.Marshal(e)
		out = append(out, kafka.Message{Key: []byte(e.ComplaintID), Value: b})
	}
	return out
}

// produceLines writes values to topic, keyed by complaint id where the
// value has one (as a producer would), unkeyed otherwise.
func produceLines(ctx context.Context, kc *kafkaconn.Client, topic string, values [][]byte) error {
	w := kc.Writer(topic)
	w.BatchSize = 500
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Value: v}
		if id := fastjson.GetString(v, "complaint_id"); id != "" {
			msgs[i].Key = []byte(id)
		}
	}
	for i := 0; i < len(msgs); i += 500 {
		if err := w.WriteMessages(ctx, msgs[i:min(i+500, len(msgs))]...); err != nil {
			return err
		}
	}
	return nil
}
