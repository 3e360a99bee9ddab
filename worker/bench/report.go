package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one run of the bench measured.
type Report struct {
	Machine Machine  `json:"machine"`
	Options Settings `json:"options"`
	Pipe    *Drain   `json:"pipe,omitempty"`
	Worker  *Drain   `json:"worker,omitempty"`
	// PipeAfter is the pipe again, after the worker; Ratio is the
	// worker's rate over the mean of the two pipes'.
	PipeAfter *Drain  `json:"pipe_after,omitempty"`
	Ratio     float64 `json:"worker_over_pipe,omitempty"`
	// CPURatio is the same comparison by CPU time, which holds better
	// on a machine other jobs share: the pipes' CPU time per message over
	// the worker's per complaint, each with the bench process's share (the
	// broker's work for it).
	CPURatio float64 `json:"worker_over_pipe_cpu,omitempty"`
	// PipeTwice is the pipe writing two copies of each message, to two
	// topics, as the worker writes each decision twice (its queue's topic
	// and the audit topic): what the ratios are against a pipe that writes
	// what the worker writes. It is not the baseline (Pipe is).
	PipeTwice     *Drain    `json:"pipe_two_copies,omitempty"`
	RatioTwice    float64   `json:"worker_over_pipe_two_copies,omitempty"`
	CPURatioTwice float64   `json:"worker_over_pipe_two_copies_cpu,omitempty"`
	Steps         []Step    `json:"latency,omitempty"`
	Engine        []Engine  `json:"engine,omitempty"`
	Scorer        *Offline  `json:"scorer,omitempty"`
	Started       time.Time `json:"started"`
}

// Machine names where the figures were taken.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
}

// Settings are the options that shape the figures.
type Settings struct {
	Complaints int           `json:"complaints"`
	Duration   time.Duration `json:"latency_step_ns"`
	Partitions int           `json:"partitions"`
	BatchSize  int           `json:"batch_size"`
	BatchWait  time.Duration `json:"batch_wait_ns"`
	SLA        bool          `json:"sla"`
	Pinned     string        `json:"pinned,omitempty"` // --pin: which CPUs ran what
}

// Drain is a backlog read, copied or decided and written, measured between
// the times 10% and 90% of it could be read back.
type Drain struct {
	Messages int `json:"messages"`
	// Written is how many messages the bench read back on the topic until
	// the last complaint's first one: more than Messages when the worker
	// wrote revisions (complaints decided again when a late one changed
	// their facts).
	Written   int     `json:"written"`
	PerSecond float64 `json:"per_second"`
	// Usage is the cores the process, the bench process (the broker, the
	// reader) and the rest of the machine used in that interval.
	Usage
	// CPU is the process's CPU time per message: Cores / PerSecond. It
	// holds better than the rates on a machine other jobs share.
	CPU time.Duration `json:"cpu_per_message_ns"`
}

// Step is a fixed offered load and the decision latency it got.
type Step struct {
	Load       float64 `json:"load"`       // of the worker's saturating rate
	Fixed      bool    `json:"fixed_rate"` // the rate is --rate's, not a share of saturation
	Rate       float64 `json:"rate"`       // complaints/s offered
	Complaints int     `json:"complaints"` // offered, and decided
	// Lag is how late messages were handed to the producer: p99 and max.
	Lag    time.Duration `json:"producer_late_p99_ns"`
	LagMax time.Duration `json:"producer_late_max_ns"`
	Latency
	// Written is the latency up to the decision's Kafka timestamp, which
	// the worker's writer sets as it produces the decision: the rest is
	// the broker's acknowledgement and the bench's reading.
	Written Latency `json:"written"`
	Usage           // from the first message due to the last decision read
}

// Engine is one engine case, on one core.
type Engine struct {
	Name   string  `json:"name"`
	NsOp   float64 `json:"ns_per_complaint"`
	Allocs int64   `json:"allocs_per_complaint"`
}

// Offline is `worker score` on the backlog.
type Offline struct {
	Complaints int     `json:"complaints"`
	PerSecond  float64 `json:"per_second"`
}

func machine() Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r as the tables the README quotes.
func (r *Report) WriteTable(w io.Writer) error {
	m, o := &r.Machine, &r.Options
	fmt.Fprintf(w, "worker bench, %s; %s, %d cores (GOMAXPROCS %d), %s, %s\n", r.Started.UTC().Format("2006-01-02 15:04 MST"),
		orUnknown(m.CPU), m.Cores, m.GOMAXPROCS, m.Go, m.OS)
	fmt.Fprintf(w, "%d complaints, %d partitions, batches of %d (wait %s), SLA replica %s\n",
		o.Complaints, o.Partitions, o.BatchSize, o.BatchWait, onOff(o.SLA))
	if o.Pinned != "" {
		fmt.Fprintf(w, "pinned (--pin): %s\n", o.Pinned)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if r.Pipe != nil && r.Worker != nil && r.PipeAfter != nil {
		fmt.Fprintln(w, "\nthroughput: a backlog drained, 10% to 90% of it read back by the bench's own reader")
		fmt.Fprintln(tw, "\tper second\tcores\tCPU each\tbench cores\tothers' cores\tstolen\tout per in\t")
		for _, x := range []struct {
			name string
			d    *Drain
		}{{"pipe (messages)", r.Pipe}, {"worker (complaints)", r.Worker}, {"pipe again (messages)", r.PipeAfter}} {
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", x.name, thousands(x.d.PerSecond), x.d.Cores, us(x.d.CPU),
				x.d.BenchCores, x.d.OtherCores, x.d.StolenCores, float64(x.d.Written)/float64(max(1, x.d.Messages)))
		}
		fmt.Fprintf(tw, "worker / pipe (mean of the two)\t%.2f\t\t\t\t\t\t\t\n", r.Ratio)
		fmt.Fprintf(tw, "the same by CPU, bench's included\t%.2f\t\t\t\t\t\t\t\n", r.CPURatio)
		if d := r.PipeTwice; d != nil {
			fmt.Fprintf(tw, "pipe writing two copies (messages)\t%s\t%.2f\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", thousands(d.PerSecond), d.Cores, us(d.CPU),
				d.BenchCores, d.OtherCores, d.StolenCores, float64(d.Written)/float64(max(1, d.Messages)))
			fmt.Fprintf(tw, "worker / pipe writing two copies\t%.2f\t\t\t\t\t\t\t\n", r.RatioTwice)
			fmt.Fprintf(tw, "the same by CPU, bench's included\t%.2f\t\t\t\t\t\t\t\n", r.CPURatioTwice)
		}
		tw.Flush()
		fmt.Fprintln(w, "(out per in: messages read back on the tracked topic per message read; the worker writes each decision")
		fmt.Fprintln(w, " to its queue's topic and to the audit topic, which is tracked, and a revision is one more decision)")
	}
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "\ndecision latency: open loop, from the time a complaint is due to be produced to the time its decision can be read")
		fmt.Fprintln(tw, "load\tper second\tcomplaints\tp50\tp90\tp99\tmax\tworker cores\tbench cores\tothers' cores\tproducer late p99/max\t")
		for _, s := range r.Steps {
			load := fmt.Sprintf("%.0f%%", s.Load*100)
			if s.Fixed {
				load += " (--rate)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s / %s\t\n", load, thousands(s.Rate), s.Complaints,
				ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Cores, s.BenchCores, s.OtherCores, ms(s.Lag), ms(s.LagMax))
			fmt.Fprintf(tw, "  of which, to the write\t\t\t%s\t%s\t%s\t%s\t\t\t\t\t\n",
				ms(s.Written.P50), ms(s.Written.P90), ms(s.Written.P99), ms(s.Written.Max))
		}
		tw.Flush()
		fmt.Fprintln(w, "(to the write: to the decision's Kafka timestamp, set by the worker's writer as it produces it; the rest")
		fmt.Fprintln(w, " is the broker's acknowledgement and the bench's reading)")
	}
	if len(r.Engine) > 0 {
		fmt.Fprintln(w, "\nengine alone, one core: one complaint per op, history facts computed beforehand")
		fmt.Fprintln(tw, "\tns/complaint\tallocs\tcomplaints/s\tvs hand-written\t")
		hand := r.Engine[0].NsOp
		for _, e := range r.Engine {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.2f\t\n", e.Name, thousands(e.NsOp), e.Allocs, thousands(1e9/e.NsOp), e.NsOp/hand)
		}
		tw.Flush()
	}
	if r.Scorer != nil {
		fmt.Fprintf(w, "\noffline scorer (worker score, one core): %s complaints/s over %d complaints\n",
			thousands(r.Scorer.PerSecond), r.Scorer.Complaints)
	}
	return nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown CPU"
	}
	return s
}

// thousands prints a whole number with thousands separators.
func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
