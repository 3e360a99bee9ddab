package rules

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// fill sets every field of v (a struct, recursively) to a value drawn from
// r: strings from the dictionary or not, ints of every sign, bools both
// ways.
func fill(v reflect.Value, r *rand.Rand) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
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

// Every field of Env but the history facts comes back from the packed rule
// input: a field added to Env that the codec does not carry fails here,
// named.
func TestPackRoundTripsEveryEnvField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("", 8*3600)
	for trial := range 200 {
		var env Env
		fill(reflect.ValueOf(&env).Elem(), r)
		submitted := time.Unix(1793534400+int64(trial), int64(r.IntN(1e9))).In(zone)
		b := packEnv(nil, &env, submitted)
		got, at, err := unpackInput(b, submitted.Unix())
		if err != nil {
			t.Fatal(err)
		}
		if !at.Equal(submitted) || at.Format(time.RFC3339Nano) != submitted.Format(time.RFC3339Nano) {
			t.Errorf("submitted_at %s, want %s", at.Format(time.RFC3339Nano), submitted.Format(time.RFC3339Nano))
		}
		want := env
		want.setFacts(history.Facts{})
		if !reflect.DeepEqual(got, want) {
			ev, gv := reflect.ValueOf(want), reflect.ValueOf(got)
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
// the complaint, for every complaint of the sample.
func TestDecisionFromPackedInputIsTheComplaints(t *testing.T) {
	rs, err := LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := history.Facts{MerchantComplainants30d: 3, MerchantComplainants24h: 5, SeenOrder: true, ComplainantComplaints24h: 5}
	sizes := 0
	for _, c := range sampleComplaints(t) {
		want, _ := rs.Evaluate(c, f, now)
		b := PackInput(nil, c)
		sizes += len(b)
		env, submitted, err := unpackInput(b, c.SubmittedAt.Unix())
		if err != nil {
			t.Fatal(err)
		}
		env.setFacts(f)
		got, _ := rs.evaluate(c.ComplaintID, submitted, env, now)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Fatalf("%s:\n packed %s\ncomplaint %s", c.ComplaintID, gj, wj)
		}
	}
	t.Logf("%.1f bytes a rule input on average", float64(sizes)/float64(len(sampleComplaints(t))))
}

func TestUnpackRefusesOtherLayoutsAndGarbage(t *testing.T) {
	c := sampleComplaints(t)[0]
	b := PackInput(nil, c)
	b[0] ^= 0xff
	if _, _, err := unpackInput(b, 0); err != ErrInputLayout {
		t.Errorf("another layout: %v", err)
	}
	b[0] ^= 0xff
	for n := range len(b) {
		if _, _, err := unpackInput(b[:n], 0); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

func FuzzUnpackInput(f *testing.F) {
	f.Add(PackInput(nil, &schema.Complaint{ComplaintID: "c", Channel: "in_app", Category: "unknown"}))
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
