package faults

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Tracer logs, one line each, the fetches, offset listings and offset
// commits that name Topic, with the broker's answers: what to read when a
// fault test does not do what it should. Add it with Net.Observe.
type Tracer struct {
	Topic string
	Logf  func(format string, args ...any)
}

// Request logs offset commits.
func (tr Tracer) Request(node int32, req kmsg.Request) {
	if r, ok := req.(*kmsg.OffsetCommitRequest); ok {
		var b strings.Builder
		for _, t := range r.Topics {
			if t.Topic == tr.Topic {
				for _, p := range t.Partitions {
					fmt.Fprintf(&b, " p%d@%d", p.Partition, p.Offset)
				}
			}
		}
		if b.Len() > 0 {
			tr.Logf("node %d: commit %s gen %d%s", node, r.Group, r.Generation, b.String())
		}
	}
}

// Response logs fetches and offset listings with their answers.
func (tr Tracer) Response(node int32, req kmsg.Request, resp kmsg.Response) {
	var b strings.Builder
	switch r := resp.(type) {
	case *kmsg.FetchResponse:
		for _, t := range req.(*kmsg.FetchRequest).Topics {
			if t.Topic == tr.Topic {
				for _, p := range t.Partitions {
					fmt.Fprintf(&b, " p%d@%d", p.Partition, p.FetchOffset)
				}
			}
		}
		if b.Len() == 0 {
			return
		}
		b.WriteString(" ->")
		for _, t := range r.Topics {
			if t.Topic == tr.Topic {
				for _, p := range t.Partitions {
					fmt.Fprintf(&b, " p%d err %d high %d start %d %d bytes", p.Partition, p.ErrorCode, p.HighWatermark, p.LogStartOffset, len(p.RecordBatches))
				}
			}
		}
		tr.Logf("node %d: fetch v%d%s", node, req.GetVersion(), b.String())
	case *kmsg.ListOffsetsResponse:
		for _, t := range r.Topics {
			if t.Topic == tr.Topic {
				for _, p := range t.Partitions {
					fmt.Fprintf(&b, " p%d err %d offset %d", p.Partition, p.ErrorCode, p.Offset)
				}
			}
		}
		if b.Len() > 0 {
			tr.Logf("node %d: list offsets%s", node, b.String())
		}
	}
}
