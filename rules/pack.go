package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// The rule input: what the history keeps of a complaint to decide it
// again when a late complaint changes its facts, instead of its JSON. It
// is the complaint's Env without the history facts, and the zone and
// fraction of its submitted_at (the history keeps the second). About 30
// bytes:
//
//	layout (2 bytes) | uvarint nanoseconds | varint zone offset |
//	bool fields as uvarint bit sets of 63 | the other fields in order:
//	ints as varints, strings as a dictionary index or a literal.
//
// The codec is derived from Env by reflection, so a field added to Env is
// packed without a change here (TestPackRoundTripsEveryEnvField fills every
// field and fails on one that does not come back). The layout names the
// field list and the dictionary: an input packed by another layout is not
// misread, it is refused (that complaint keeps its last decision).

// ErrInputLayout is a rule input packed by another version of Env.
var ErrInputLayout = errors.New("rule input packed by another version")

type packField struct {
	index  []int
	offset uintptr // from the start of Env
	name   string
	kind   reflect.Kind
}

type packPlan struct {
	bools, others []packField
	facts         []factField // the history facts in Env
	dict          []string
	dictIndex     map[string]int
	layout        uint16
}

// factField is a history fact's field in Env and in history.Facts.
type factField struct {
	env, facts []int   // field indexes
	envOff     uintptr // offsets, when the two fields have one type, an int or a bool
	factsOff   uintptr
	kind       reflect.Kind // reflect.Invalid: set by reflection
}

var plan = newPackPlan()

func newPackPlan() *packPlan {
	p := &packPlan{dictIndex: map[string]int{}}
	factTags := map[string]reflect.StructField{}
	ft := reflect.TypeFor[history.Facts]()
	for i := range ft.NumField() {
		factTags[tagName(ft.Field(i).Tag.Get("json"))] = ft.Field(i)
	}
	var walk func(t reflect.Type, index []int, base uintptr, prefix string)
	walk = func(t reflect.Type, index []int, base uintptr, prefix string) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(slices.Clone(index), i)
			off := base + sf.Offset
			name := prefix + sf.Name
			if len(index) == 0 {
				if fs, ok := factTags[tagName(sf.Tag.Get("expr"))]; ok {
					f := factField{env: idx, facts: fs.Index, envOff: off, factsOff: fs.Offset}
					if k := sf.Type.Kind(); sf.Type == fs.Type && (k == reflect.Int || k == reflect.Bool) {
						f.kind = k
					}
					p.facts = append(p.facts, f)
					continue
				}
			}
			if sf.Tag.Get("expr") == "_meter" {
				continue // set by the engine for each rule
			}
			switch k := sf.Type.Kind(); k {
			case reflect.Struct:
				walk(sf.Type, idx, off, name+".")
			case reflect.Bool:
				p.bools = append(p.bools, packField{idx, off, name, k})
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
				reflect.String, reflect.Float64:
				p.others = append(p.others, packField{idx, off, name, k})
			case reflect.Slice:
				if sf.Type.Elem().Kind() != reflect.String {
					panic(fmt.Sprintf("rules: Env.%s: the rule input packs slices of strings only", name))
				}
				p.others = append(p.others, packField{idx, off, name, k})
			default:
				panic(fmt.Sprintf("rules: Env.%s: the rule input cannot pack a %s", name, k))
			}
		}
	}
	walk(reflect.TypeFor[Env](), nil, 0, "")
	for _, list := range [][]string{schema.Channels, schema.Categories, schema.Demands, schema.ProductTypes, packedStrings} {
		for _, s := range list {
			if _, ok := p.dictIndex[s]; !ok && s != "" {
				p.dictIndex[s] = len(p.dict)
				p.dict = append(p.dict, s)
			}
		}
	}
	h := history.Fingerprint(nil)
	mix := func(s string) { h = history.Fingerprint(append(binary.LittleEndian.AppendUint64(nil, h), s...)) }
	for _, f := range append(slices.Clone(p.bools), p.others...) {
		mix(f.name + "/" + f.kind.String())
	}
	for _, s := range p.dict {
		mix(s)
	}
	mix("read account v1") // packInput's trailer
	p.layout = uint16(h ^ h>>16 ^ h>>32 ^ h>>48)
	return p
}

// packedStrings are frequent values of the free-text enumerations, packed
// as one byte. Appending keeps old inputs readable only in the sense that
// the layout changes: keep the list short and stable.
var packedStrings = []string{"CNY", "not_delivered", "amount_mismatch", "repeat_charge_not_refunded",
	"no_response", "false_advertising", "unfair_fee", "stolen_account", "stolen_recharge",
	"abnormal_login", "binding_changed", "password_reset"}

func tagName(tag string) string {
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

// PackInput appends c's rule input to dst: its environment without the
// history facts and how it was read, with its time stamps judged at now as
// Evaluate judges them.
func (rs *Ruleset) PackInput(dst []byte, c *schema.Complaint, now time.Time) []byte {
	in := rs.prepare(c, history.Facts{}, now)
	return packInput(dst, &in)
}

// packInput appends in (but its id and facts) to dst: the environment,
// then the read account (flags, then each lenient note's path and
// action).
func packInput(dst []byte, in *input) []byte {
	dst = packEnv(dst, &in.env, in.submitted)
	var flags uint64
	if in.read.lossy {
		flags |= 1
	}
	if in.read.implausible {
		flags |= 2
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(in.read.notes)))
	for _, n := range in.read.notes {
		dst = plan.appendString(dst, n.Path)
		dst = plan.appendString(dst, string(n.Action))
	}
	return dst
}

func packEnv(dst []byte, env *Env, submitted time.Time) []byte {
	p := plan
	dst = binary.LittleEndian.AppendUint16(dst, p.layout)
	dst = binary.AppendUvarint(dst, uint64(submitted.Nanosecond()))
	_, off := submitted.Zone()
	if off%60 == 0 {
		dst = binary.AppendVarint(dst, int64(off/60)*2)
	} else {
		dst = binary.AppendVarint(dst, int64(off)*2+1)
	}
	// Fields are read at their offsets (the plan is Env's, derived by
	// reflection above): packing is on every complaint's path.
	base := unsafe.Pointer(env)
	for i := 0; i < len(p.bools); i += 63 {
		var bits uint64
		for k, f := range p.bools[i:min(i+63, len(p.bools))] {
			if *(*bool)(unsafe.Add(base, f.offset)) {
				bits |= 1 << k
			}
		}
		dst = binary.AppendUvarint(dst, bits)
	}
	for i := range p.others {
		f := &p.others[i]
		at := unsafe.Add(base, f.offset)
		switch f.kind {
		case reflect.String:
			dst = p.appendString(dst, *(*string)(at))
		case reflect.Int:
			dst = binary.AppendVarint(dst, int64(*(*int)(at)))
		case reflect.Int64:
			dst = binary.AppendVarint(dst, *(*int64)(at))
		default:
			fv := reflect.ValueOf(env).Elem().FieldByIndex(f.index)
			switch f.kind {
			case reflect.Slice:
				dst = binary.AppendUvarint(dst, uint64(fv.Len()))
				for i := range fv.Len() {
					dst = p.appendString(dst, fv.Index(i).String())
				}
			case reflect.Float64:
				dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(fv.Float()))
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				dst = binary.AppendUvarint(dst, fv.Uint())
			default:
				dst = binary.AppendVarint(dst, fv.Int())
			}
		}
	}
	return dst
}

func (p *packPlan) appendString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, 0)
	}
	if i, ok := p.dictIndex[s]; ok {
		return binary.AppendUvarint(dst, uint64(1+i))
	}
	dst = binary.AppendUvarint(dst, uint64(1+len(p.dict)+len(s)))
	return append(dst, s...)
}

// unpackInput reads a rule input back; at is the submitted_at second.
func unpackInput(b []byte, at int64) (input, error) {
	p := plan
	var in input
	r := inputReader{b: b}
	if len(b) < 2 || binary.LittleEndian.Uint16(b) != p.layout {
		return in, ErrInputLayout
	}
	r.b = b[2:]
	nanos := r.uvarint()
	zone := r.varint()
	off := int(zone / 2)
	if zone%2 == 0 {
		off *= 60
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off)
	}
	in.submitted = time.Unix(at, int64(nanos)).In(loc)
	in.eventOK = true // the history keeps only plausible event times
	// Fields are set at their offsets, as packEnv reads them, but for the
	// kinds packEnv reads by reflection: a revision unpacks its input.
	base := unsafe.Pointer(&in.env)
	v := reflect.ValueOf(&in.env).Elem()
	for i := 0; i < len(p.bools); i += 63 {
		bits := r.uvarint()
		for k, f := range p.bools[i:min(i+63, len(p.bools))] {
			*(*bool)(unsafe.Add(base, f.offset)) = bits&(1<<k) != 0
		}
	}
	for i := range p.others {
		f := &p.others[i]
		at := unsafe.Add(base, f.offset)
		switch f.kind {
		case reflect.String:
			*(*string)(at) = r.str(p)
			continue
		case reflect.Int:
			*(*int)(at) = int(r.varint())
			continue
		case reflect.Int64:
			*(*int64)(at) = r.varint()
			continue
		}
		fv := v.FieldByIndex(f.index)
		switch f.kind {
		case reflect.Slice:
			n := r.uvarint()
			if n > uint64(len(r.b)) {
				r.err = true
				break
			}
			s := make([]string, n)
			for i := range s {
				s[i] = r.str(p)
			}
			fv.Set(reflect.ValueOf(s).Convert(fv.Type()))
		case reflect.Float64:
			fv.SetFloat(math.Float64frombits(r.u64()))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			fv.SetUint(r.uvarint())
		default:
			fv.SetInt(r.varint())
		}
	}
	flags := r.uvarint()
	in.read.lossy, in.read.implausible = flags&1 != 0, flags&2 != 0
	if n := r.uvarint(); n > 0 && n <= schema.MaxNotes && n <= uint64(len(r.b)) {
		in.read.notes = make([]schema.LenientRead, n)
		for i := range in.read.notes {
			in.read.notes[i] = schema.LenientRead{Path: r.str(p), Action: schema.Action(r.str(p))}
		}
	} else if n > 0 {
		r.err = true
	}
	if r.err || flags > 3 || len(r.b) != 0 {
		return input{}, fmt.Errorf("rule input: %w", history.ErrCorrupt)
	}
	return in, nil
}

// setFacts puts a complaint's history facts in its environment, as NewEnv
// does.
func (e *Env) setFacts(f history.Facts) {
	base, from := unsafe.Pointer(e), unsafe.Pointer(&f)
	for i := range plan.facts {
		m := &plan.facts[i]
		switch m.kind {
		case reflect.Int:
			*(*int)(unsafe.Add(base, m.envOff)) = *(*int)(unsafe.Add(from, m.factsOff))
		case reflect.Bool:
			*(*bool)(unsafe.Add(base, m.envOff)) = *(*bool)(unsafe.Add(from, m.factsOff))
		default:
			reflect.ValueOf(e).Elem().FieldByIndex(m.env).Set(reflect.ValueOf(f).FieldByIndex(m.facts))
		}
	}
}

type inputReader struct {
	b   []byte
	err bool
}

func (r *inputReader) uvarint() uint64 {
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *inputReader) varint() int64 {
	x, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *inputReader) u64() uint64 {
	if len(r.b) < 8 {
		r.err, r.b = true, nil
		return 0
	}
	x := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return x
}

func (r *inputReader) str(p *packPlan) string {
	tag := r.uvarint()
	switch {
	case tag == 0:
		return ""
	case tag <= uint64(len(p.dict)):
		return p.dict[tag-1]
	}
	n := tag - 1 - uint64(len(p.dict))
	if n > uint64(len(r.b)) {
		r.err, r.b = true, nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
