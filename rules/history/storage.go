package history

import (
	"context"
	"encoding/binary"
	"math"
)

// Storage is all a history store provides: records by key, each read or
// compare-and-swapped atomically on its own. The semantics (windows,
// distinct buyers, redeliveries, appeals, revisions) live in History, once,
// above any Storage; a Storage only stores. The in-process one is
// memStorage (NewMemory); the worker's is Redis (worker/state), where one
// record is one field of a hash, so every atomic step stays in one slot of
// a Redis Cluster.
type Storage interface {
	// Exec runs ops, each on its own and atomically: a read, or a swap
	// that writes New only if the record is still Old (nil: absent). It
	// fills every op's Cur (and Done for swaps). Records whose basis is at
	// or before cut (see Basis) may be dropped by the store from then on:
	// they are expired in event time, and History reads them as absent.
	// An error means the ops' outcomes are unknown (some may be applied).
	Exec(ctx context.Context, ops []Op, cut uint32) error
}

// Table is a kind of record.
type Table byte

// The tables.
const (
	Complaints Table = 'c' // by complaint id: what deciding it again needs, its facts and what was written
	Merchants  Table = 'm' // by merchant id: its complaints in event order
	Buyers     Table = 'u' // by complainant id: their complaints in event order, with orders
	// The reviewers' outcomes (outcome.go, verdicts.go) and what they set
	// off (strikes.go).
	Outcomes Table = 'o' // by complaint id: the outcome recorded first
	Verdicts Table = 'v' // by merchant id: its resolved complaints in event order
	Strikes  Table = 's' // by merchant id: its enforcement strikes
	Caps     Table = 'd' // by threshold and day: the enforcement events admitted that day
)

// Tables lists every table.
var Tables = []Table{Complaints, Merchants, Buyers, Outcomes, Verdicts, Strikes, Caps}

// RecordKey names one record.
type RecordKey struct {
	Table Table
	ID    string
}

// Op is one step on one record.
type Op struct {
	Key  RecordKey
	Swap bool   // false: read only
	Old  []byte // the value a swap expects; nil when it expects no record
	New  []byte // the value a swap writes (never nil)

	Done bool   // set by Exec: the swap was applied
	Cur  []byte // set by Exec: the record after the op (New when applied); nil when absent
}

// A Storage never changes the bytes of a Cur it returned, nor of a New it
// was given, after Exec returns: History keeps them, compares them by
// address to skip decoding a record again, and hands them to callers
// (Ack). A store that reuses a buffer must copy into Cur.

// Every record starts with its basis: 4 bytes, big-endian, seconds since
// 2000-01-01 UTC of the newest event time it holds. A store may drop a
// record once its basis is at or before the cut it is given; it needs
// nothing else of the record's contents.
const basisLen = 4

const epoch2000 = 946684800

// Basis is the basis of an event time (Unix seconds), clamped to what
// four bytes hold (2000 to 2136).
func Basis(unix int64) uint32 {
	return uint32(min(max(unix-epoch2000, 0), math.MaxUint32))
}

// BasisOf reads a record's basis; 0 for a value too short to have one.
func BasisOf(v []byte) uint32 {
	if len(v) < basisLen {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func basisUnix(b uint32) int64 { return int64(b) + epoch2000 }

// Expired reports whether a store may drop record v given cut.
func Expired(v []byte, cut uint32) bool { return BasisOf(v) <= cut }

// BucketOf is the bucket of a record among n (a power of two), the same in
// every process: stores that group records use it.
func BucketOf(k RecordKey, n int) int { return int(recordHash(k.Table, k.ID) & uint64(n-1)) }

// recordHash is the hash BucketOf keeps the low bits of: FNV-1a of the
// table and the id.
func recordHash(tb Table, id string) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(tb)
	h *= fnvPrime
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= fnvPrime
	}
	return h
}
