package faults_test

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

type fetchPrinter struct{ t *testing.T }
func (p fetchPrinter) Request(node int32, req kmsg.Request) {}
func (p fetchPrinter) Response(node int32, req kmsg.Request, resp kmsg.Response) {
	f, ok := resp.(*kmsg.FetchResponse)
	if !ok { return }
	fr := req.(*kmsg.FetchRequest)
	for _, t := range fr.Topics { if t.Topic != "moderation.complaints" { return } }
	s := ""
	for _, t := range f.Topics { for _, p := range t.Partitions { s += fmt.Sprintf(" p%d err%d hw%d ls%d n%d", p.Partition, p.ErrorCode, p.HighWatermark, p.LogStartOffset, len(p.RecordBatches)) } }
	r := ""
	for _, t := range fr.Topics { for _, p := range t.Partitions { r += fmt.Sprintf(" p%d@%d", p.Partition, p.FetchOffset) } }
	p.t.Logf("fetch%s ->%s", r, s)
}
