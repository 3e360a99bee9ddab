package schema

// words hands out one string per value of a small vocabulary (a
// subcategory, a currency, a queue, a reason code), so that a value seen
// before costs no allocation. It is direct-mapped: a value takes the slot
// of its hash, replacing whatever was there, so it holds at most
// wordSlots strings of at most maxWordBytes bytes whatever producers send,
// and needs no expiry. The strings it hands out are ordinary immutable
// strings: a complaint may keep them as long as it likes.
type words [wordSlots]string

const (
	wordSlots    = 64
	maxWordBytes = 64
)

// get returns b as a string, the one held when it was seen before.
func (w *words) get(b []byte) string {
	if len(b) == 0 || len(b) > maxWordBytes {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &w[h%wordSlots]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}
