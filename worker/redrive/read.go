package redrive

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// idleEnd is how long a partition may deliver nothing before its reader
// is taken to have read all there is (a compacted topic may have no record
// at its last offset).
const idleEnd = 10 * time.Second

// readToEnd calls handle for every message of parts below the end offsets
// they were listed with, in offset order within a partition, one at a
// time; it returns once every partition is read, or handle's first error.
func readToEnd(ctx context.Context, kc *kafkaconn.Client, parts []kafkaconn.Partition, warn io.Writer, handle func(*kafka.Message) error) error {
	var todo []kafkaconn.Partition
	for _, p := range parts {
		if p.End > p.First {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		left     = len(todo)
		done     = map[int]bool{}
		last     = map[int]int64{}
		firstErr error
		seen     = time.Now()
	)
	finish := func(i int) {
		if !done[i] {
			done[i] = true
			if left--; left == 0 {
				cancel()
			}
		}
	}
	idx := map[*kafkaconn.Partition]int{}
	for i := range todo {
		idx[&todo[i]] = i
	}
	go func() { // a partition that stops short of its end
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			mu.Lock()
			if time.Since(seen) > idleEnd {
				for i, p := range todo {
					if !done[i] {
						if warn != nil {
							fmt.Fprintf(warn, "redrive: %s/%d: nothing more to read at offset %d (listed end %d)\n", p.Topic, p.ID, last[i], p.End)
						}
						finish(i)
					}
				}
			}
			mu.Unlock()
		}
	}()
	err := kc.ReadPartitions(ctx, todo, func(p *kafkaconn.Partition, m *kafka.Message) {
		mu.Lock()
		defer mu.Unlock()
		i := idx[p]
		seen = time.Now()
		if done[i] || firstErr != nil {
			return
		}
		last[i] = m.Offset
		if m.Offset < p.End {
			if err := handle(m); err != nil {
				firstErr = err
				cancel()
				return
			}
		}
		if m.Offset+1 >= p.End {
			finish(i)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	if left > 0 && err == nil {
		err = ctx.Err() // the caller's ctx ended first
	}
	return err
}
