package rules

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

// fill sets every field of v (a struct, recursively) to a value drawn from
// r: strings from the dictionary or not, ints of every sign, bools both
// ways.
func fill(v reflect.Value, r *rand.Rand, skip ...string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if slices.Contains(skip, v.Type().Field(i).Tag.Get("expr")) {
				continue
			}
			fill(v.Field(i), r)
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<20) - 1<<19)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(r.Uint64N(1 << 20))
	case reflect.Float64:
		v.SetFloat(r.Float64())
	case reflect.String:
		switch r.IntN(3) {
		case 0:
			v.SetString(plan.dict[r.IntN(len(plan.dict))])
		case 1:
			v.SetString(fmt.Sprintf("value-%d", r.IntN(1000)))
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), r.IntN(3), 3)
		for i := range s.Len() {
			fill(s.Index(i), r)
		}
		v.Set(s)
	default:
		panic("fill: " + v.Kind().String())
	}
}

// Every field of Env but the history facts, and the read account, come
// back from the packed rule input: a field added to Env that the codec
// does not carry fails here, named.
func TestPackRoundTripsEveryEnvField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("", 8*3600)
	for trial := range 200 {
		var in input
		fill(reflect.ValueOf(&in.env).Elem(), r, "_meter")
		in.env.Meter = nil
		in.submitted = time.Unix(1793534400+int64(trial), int64(r.IntN(1e9))).In(zone)
		in.read = readAccount{lossy: r.IntN(2) == 0, implausible: r.IntN(2) == 0}
		for k := range r.IntN(4) {
			in.read.notes = append(in.read.notes, schema.LenientRead{Path: fmt.Sprintf("/order/x%d", k), Action: schema.ActImplausibleTime})
		}
		b := packInput(nil, &in)
		got, err := unpackInput(b, in.submitted.Unix())
		if err != nil {
			t.Fatal(err)
		}
		if !got.submitted.Equal(in.submitted) || got.submitted.Format(time.RFC3339Nano) != in.submitted.Format(time.RFC3339Nano) {
			t.Errorf("submitted_at %s, want %s", got.submitted.Format(time.RFC3339Nano), in.submitted.Format(time.RFC3339Nano))
		}
		if !reflect.DeepEqual(got.read, in.read) {
			t.Errorf("read account %+v, want %+v", got.read, in.read)
		}
		want := in.env
		want.setFacts(history.Facts{})
		if !reflect.DeepEqual(got.env, want) {
			ev, gv := reflect.ValueOf(want), reflect.ValueOf(got.env)
			for _, f := range append(plan.bools, plan.others...) {
				if !reflect.DeepEqual(ev.FieldByIndex(f.index).Interface(), gv.FieldByIndex(f.index).Interface()) {
					t.Errorf("Env.%s: packed %v, unpacked %v", f.name, ev.FieldByIndex(f.index), gv.FieldByIndex(f.index))
				}
			}
			t.Fatalf("Env does not round-trip")
		}
	}
}

// The history facts are left out of the rule input and put back by
// setFacts exactly as NewEnv puts them: every Facts field has its Env
// field.
func TestSetFactsIsNewEnvs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := sampleComplaints(t)[0]
	if len(plan.facts) != reflect.TypeFor[history.Facts]().NumField() {
		t.Fatalf("%d of the %d history facts have an Env field", len(plan.facts), reflect.TypeFor[history.Facts]().NumField())
	}
	for range 100 {
		var f history.Facts
		fill(reflect.ValueOf(&f).Elem(), r)
		env := NewEnv(c, history.Facts{})
		env.setFacts(f)
		if want := NewEnv(c, f); !reflect.DeepEqual(env, want) {
			t.Fatalf("setFacts %+v, NewEnv %+v", env, want)
		}
	}
}

// A revision decided from the packed rule input is the decision made from
// the complaint, for every complaint of the sample and every decided
// message of the hostile and producers' corpora (read leniently, with
// implausible payment times).
func TestDecisionFromPackedInputIsTheComplaints(t *testing.T) {
	rs, err := LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := history.Facts{MerchantComplainants30d: 3, MerchantComplainants24h: 5, SeenOrder: true, ComplainantComplaints24h: 5}
	sizes, lenient := 0, 0
	check := func(c *schema.Complaint, now time.Time) {
		t.Helper()
		if !rs.EventTimePlausible(c, now) {
			return // never kept in the history
		}
		want, _ := rs.Evaluate(c, f, now)
		b := rs.PackInput(nil, c, now)
		sizes += len(b)
		in, err := unpackInput(b, c.SubmittedAt.Unix())
		if err != nil {
			t.Fatal(err)
		}
		in.id = c.ComplaintID
		in.env.setFacts(f)
		got, _ := rs.evaluate(&in, now)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Fatalf("%s:\n packed %s\ncomplaint %s", c.ComplaintID, gj, wj)
		}
		if len(want.Lenient) > 0 {
			lenient++
		}
	}
	for _, c := range sampleComplaints(t) {
		check(c, now)
	}
	t.Logf("%.1f bytes a rule input on average", float64(sizes)/float64(len(sampleComplaints(t))))
	at, cases, err := schematest.LoadHostile("../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		opts, err := tc.Options()
		if err != nil {
			t.Fatal(err)
		}
		var c schema.Complaint
		if schema.NewDecoder(opts).Complaint(tc.Doc, &c) == nil {
			check(&c, at)
		}
	}
	at, habits, err := schematest.LoadProducers("../testdata/producers")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range habits {
		opts, err := h.Options()
		if err != nil {
			t.Fatal(err)
		}
		var c schema.Complaint
		if schema.NewDecoder(opts).Complaint(h.Doc, &c) == nil {
			check(&c, at)
		}
	}
	if lenient < 20 {
		t.Fatalf("only %d decisions read leniently: the corpora no longer exercise the read account", lenient)
	}
}

func TestUnpackRefusesOtherLayoutsAndGarbage(t *testing.T) {
	c := sampleComplaints(t)[0]
	rs, err := LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	b := rs.PackInput(nil, c, c.SubmittedAt)
	b[0] ^= 0xff
	if _, err := unpackInput(b, 0); err != ErrInputLayout {
		t.Errorf("another layout: %v", err)
	}
	b[0] ^= 0xff
	for n := range len(b) {
		if _, err := unpackInput(b[:n], 0); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

func FuzzUnpackInput(f *testing.F) {
	f.Add(packInput(nil, &input{env: Env{Channel: "in_app", Category: "unknown"}, read: readAccount{lossy: true, notes: []schema.LenientRead{{Path: "/x", Action: "ignored"}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		unpackInput(b, 0)
	})
}

var sample []*schema.Complaint

func sampleComplaints(t testing.TB) []*schema.Complaint {
	t.Helper()
	if sample != nil {
		return sample
	}
	f, err := os.Open("../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, schema.MaxDocumentBytes)
	for sc.Scan() {
		c, err := schema.DecodeComplaint(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		sample = append(sample, c)
	}
	return sample
}
