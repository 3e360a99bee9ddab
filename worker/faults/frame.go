package faults

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// parseRequest reads a framed request (size prefix included): the header
// (key, version, correlation id, client id, tagged fields when flexible)
// and the body. nil when kmsg cannot read it.
func parseRequest(frame []byte) kmsg.Request {
	r := kbin.Reader{Src: frame[4:]}
	key := r.Int16()
	version := r.Int16()
	r.Int32() // correlation id
	r.NullableString()
	req := kmsg.RequestForKey(key)
	if req == nil || r.Complete() != nil {
		return nil
	}
	req.SetVersion(version)
	if req.IsFlexible() {
		kmsg.SkipTags(&r)
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return nil
	}
	return req
}

// headerLen is the length of a framed answer's header: size, correlation
// id and, on flexible answers but ApiVersions', an empty tag section.
func headerLen(req kmsg.Request) int {
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		return 9
	}
	return 8
}

// parseResponse reads the answer to req from its frame; nil when kmsg
// cannot read it.
func parseResponse(req kmsg.Request, frame []byte) kmsg.Response {
	h := headerLen(req)
	if len(frame) < h {
		return nil
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(frame[h:]); err != nil {
		return nil
	}
	return resp
}

// encodeResponse frames resp in place of the answer in frame, keeping its
// correlation id.
func encodeResponse(req kmsg.Request, frame []byte, resp kmsg.Response) []byte {
	h := headerLen(req)
	out := append([]byte(nil), frame[:h]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// partitionsOf are the partitions a request names by topic name (fetches,
// produces, offset listings and commits); nil for other requests.
func partitionsOf(req kmsg.Request) []TopicPartition {
	var out []TopicPartition
	switch r := req.(type) {
	case *kmsg.FetchRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				out = append(out, TopicPartition{t.Topic, p.Partition})
			}
		}
	case *kmsg.ProduceRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				out = append(out, TopicPartition{t.Topic, p.Partition})
			}
		}
	case *kmsg.ListOffsetsRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				out = append(out, TopicPartition{t.Topic, p.Partition})
			}
		}
	case *kmsg.OffsetCommitRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				out = append(out, TopicPartition{t.Topic, p.Partition})
			}
		}
	}
	return out
}
