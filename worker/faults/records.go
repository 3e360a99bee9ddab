package faults

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Records are the records of the record batches in b (a produce request's
// or a fetch answer's records of one partition), in order. Compressed
// batches are refused: the worker and the tests write uncompressed.
func Records(b []byte) ([]kmsg.Record, error) {
	var out []kmsg.Record
	err := EachBatch(b, func(batch *kmsg.RecordBatch, _ []byte) error {
		if batch.Attributes&0x07 != 0 {
			return errors.New("a compressed record batch")
		}
		rs := batch.Records
		for i := int32(0); i < batch.NumRecords; i++ {
			length, n := binary.Varint(rs)
			if n <= 0 || length < 0 || int(length) > len(rs)-n {
				return fmt.Errorf("record %d: bad length", i)
			}
			var r kmsg.Record
			if err := r.ReadFrom(rs[:n+int(length)]); err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			out = append(out, r)
			rs = rs[n+int(length):]
		}
		return nil
	})
	return out, err
}

// EachBatch calls fn for each whole record batch in b with its bytes; a
// batch cut short at the end (a fetch answer may end so) is skipped.
func EachBatch(b []byte, fn func(batch *kmsg.RecordBatch, raw []byte) error) error {
	for len(b) >= 12 {
		l := int(int32(binary.BigEndian.Uint32(b[8:12])))
		if l < 0 || len(b) < 12+l {
			return nil
		}
		raw := b[:12+l]
		var batch kmsg.RecordBatch
		if err := batch.ReadFrom(raw); err != nil {
			return err
		}
		if err := fn(&batch, raw); err != nil {
			return err
		}
		b = b[12+l:]
	}
	return nil
}
