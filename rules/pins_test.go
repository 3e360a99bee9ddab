package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr/parser"
)

var helperCall = regexp.MustCompile(`^(hasEvidence|complete|shows)\("([a-z_]+)"(?:, "([a-z]+)")?\)$`)

// envField finds the Env field a condition reads by name (evidence helpers
// through _evidence), by the expr tags the compiler uses.
func envField(t *testing.T, e *Env, name string) reflect.Value {
	t.Helper()
	path := []string{name}
	if m := helperCall.FindStringSubmatch(name); m != nil {
		prop := map[string]string{"hasEvidence": "present", "complete": "complete", "shows": m[3]}[m[1]]
		path = []string{"_evidence", m[2], prop}
	}
	v := reflect.ValueOf(e).Elem()
	for _, tag := range path {
		i := slices.IndexFunc(reflect.VisibleFields(v.Type()), func(f reflect.StructField) bool { return f.Tag.Get("expr") == tag })
		if i < 0 {
			t.Fatalf("index field %s: no field tagged %q in %s", name, tag, v.Type())
		}
		v = v.Field(i)
	}
	return v
}

// Each index field reads the Env value the condition reads by that name,
// and no other: the index sees what the conditions see.
func TestIndexFieldsReadTheirEnvField(t *testing.T) {
	if len(indexFields) > 80 {
		t.Fatalf("%d index fields", len(indexFields))
	}
	for _, f := range indexFields {
		var e Env
		v := envField(t, &e, f.name)
		switch want := map[fieldKind]reflect.Kind{kindString: reflect.String, kindBool: reflect.Bool, kindInt: reflect.Int}[f.kind]; {
		case v.Kind() != want:
			t.Fatalf("index field %s: Env has %s, the index reads %s", f.name, v.Kind(), want)
		case want == reflect.String:
			v.SetString("probe")
		case want == reflect.Bool:
			v.SetBool(true)
		default:
			v.SetInt(7)
		}
		for _, g := range indexFields {
			s, n := g.read(&e)
			if set := s != "" || n != 0; set != (g.id == f.id) {
				t.Errorf("%s set: index field %s reads %q %d", f.name, g.name, s, n)
			}
		}
		if s, n := f.read(&e); s != "probe" && n != 1 && n != 7 {
			t.Errorf("%s: read %q %d", f.name, s, n)
		}
	}
}

// pins on hand-picked conditions: for each field, which probe values the
// condition allows (x: a string no condition names), and whether the
// pins decide the condition alone.
func TestPins(t *testing.T) {
	probes := map[fieldKind][]fieldValue{
		kindString: {{s: "a"}, {s: "b"}, {s: "c"}, {s: ""}, {s: "x"}},
		kindBool:   {{n: 0}, {n: 1}},
		kindInt:    {{n: -1}, {n: 0}, {n: 1}, {n: 2}, {n: 3}, {n: 10}, {n: 11}},
	}
	type want map[string]string // field: the probes allowed
	cases := []struct {
		cond  string
		want  want
		exact bool
	}{
		{`category == "a"`, want{"category": "a"}, true},
		{`"a" == category`, want{"category": "a"}, true},
		{`category != "a"`, want{"category": "b c  x"}, true},
		{`category in ["a", "b"]`, want{"category": "a b"}, true},
		{`category not in ["a", "b"]`, want{"category": "c  x"}, true},
		{`not (category in ["a"])`, want{"category": "b c  x"}, true},
		{`!(category == "a")`, want{"category": "b c  x"}, true},
		{`category == ""`, want{"category": ""}, true},
		{`about_platform`, want{"about_platform": "1"}, true},
		{`!about_platform`, want{"about_platform": "0"}, true},
		{`not about_platform`, want{"about_platform": "0"}, true},
		{`about_platform == false`, want{"about_platform": "0"}, true},
		{`about_platform != true`, want{"about_platform": "0"}, true},
		{`amount_minor >= 10`, want{"amount_minor": "10 11"}, true},
		{`amount_minor >= params.big`, want{"amount_minor": "3 10 11"}, true},
		{`3 < evidence_count`, want{"evidence_count": "10 11"}, true},
		{`hours_since_payment >= 0 && hours_since_payment < 2`, want{"hours_since_payment": "0 1"}, true},
		{`evidence_count in [1, 3]`, want{"evidence_count": "1 3"}, true},
		{`evidence_count != -1`, want{"evidence_count": "0 1 2 3 10 11"}, true},
		{`hasEvidence("chat_log") && !complete("chat_log")`, want{`hasEvidence("chat_log")`: "1", `complete("chat_log")`: "0"}, true},
		{`shows("payment_screenshot", "amount")`, want{`shows("payment_screenshot", "amount")`: "1"}, true},
		{`category == "a" && channel == "b"`, want{"category": "a", "channel": "b"}, true},
		{`category == "a" and channel in ["b", "c"] and has_order`, want{"category": "a", "channel": "b c", "has_order": "1"}, true},
		{`category in ["a", "b"] && category != "b"`, want{"category": "a"}, true},
		{`category == "a" && category == "b"`, want{"category": ""}, true}, // never true: no value
		{`category == "a" || category == "b"`, want{"category": "a b"}, true},
		{`category == "a" || category == "b" && anonymous`, want{"category": "a b"}, false},
		{`(category == "a" && anonymous) || (category == "b" && !anonymous)`, want{"category": "a b", "anonymous": "0 1"}, false},
		{`!about_platform && (category == "a" || channel == "b")`, want{"about_platform": "0"}, false},
		{`category == "a" && !(hasEvidence("id_card_front") && hasEvidence("id_card_back"))`, want{"category": "a"}, false},
		{`amount_minor >= 10 && description_length > 1.5 && category == "a"`, want{"amount_minor": "10 11", "category": "a"}, false},
		// A term that may fail hides what follows: skipping would lose its error.
		{`1000 % evidence_count == 0 && category == "a"`, want{}, false},
		{`len(subcategory) > 3 && category == "a"`, want{}, false},
		{`subcategory[0:1] == "s" && category == "a"`, want{}, false},
		{`category == "a" && 1000 % evidence_count == 0`, want{"category": "a"}, false},
		// Not a comparison of one index field with constants.
		{`category == "a" || anonymous`, want{}, false},
		{`category == subcategory`, want{}, false},
		{`category in [subcategory, "a"]`, want{}, false},
		{`category == "a" ? true : false`, want{}, false},
		{`let c = category; c == "a"`, want{}, false},
		{`!(category == "a" && anonymous)`, want{}, false},
		{`amount_minor > 1.5`, want{}, false},
		{`amount_minor + 1 > 5`, want{}, false},
		{`amount_minor >= params.unknown`, want{}, false},
		{`about_platform == anonymous`, want{}, false},
		{`category == true`, want{}, false},
		{`anonymous == 1`, want{}, false},
		{`about_platform in [true]`, want{}, false},
		{`subcategory startsWith "a"`, want{}, false},
	}
	pr := pinReader{params: map[string]int{"big": 3}}
	for _, tc := range cases {
		tree, err := parser.Parse(tc.cond)
		if err != nil {
			t.Fatalf("%s: %v", tc.cond, err)
		}
		pins, exact := pr.pins(tree.Node)
		got := want{}
		for id, p := range pins {
			f := indexFields[slices.IndexFunc(indexFields, func(f indexField) bool { return f.id == id })]
			var allowed []string
			for _, v := range probes[f.kind] {
				v.other = f.kind == kindString && !slices.Contains(p.strs, v.s)
				if p.allows(v) {
					allowed = append(allowed, map[bool]string{true: v.s, false: fmt.Sprint(v.n)}[f.kind == kindString])
				}
			}
			got[f.name] = strings.Join(allowed, " ")
		}
		if !reflect.DeepEqual(got, tc.want) || exact != tc.exact {
			t.Errorf("%s:\n got %q exact %t\nwant %q exact %t", tc.cond, got, exact, tc.want, tc.exact)
		}
	}
}

func TestCannotFail(t *testing.T) {
	for cond, want := range map[string]bool{
		`category == "a" && amount_minor >= -100 || !anonymous`:            true,
		`hasEvidence("chat_log") && !complete("chat_log")`:                 true,
		`shows("payment_screenshot", "amount") && params.large_amount > 0`: true,
		`params["x"] > 1`:                  true, // the compiler reads it as params.x
		`demand in ["refund", "delivery"]`: true,
		`amount_minor / 2 > 1`:             false,
		`1000 % evidence_count == 0`:       false,
		`len(description) > 0`:             false,
		`unknown_name == 1`:                false,
		`$env.category == "a"`:             false,
		`params[subcategory] > 1`:          false,
		`category in subcategory`:          false,
	} {
		tree, err := parser.Parse(cond)
		if err != nil {
			t.Fatalf("%s: %v", cond, err)
		}
		if got := cannotFail(tree.Node); got != want {
			t.Errorf("cannotFail(%s) = %t", cond, got)
		}
	}
}

func TestBranches(t *testing.T) {
	for cond, want := range map[string]string{ // per branch: its pinned fields, and D if it decides the rule
		`anonymous || !phone_verified && !real_name_verified`:  "anonymous D | phone_verified real_name_verified D",
		`1000 % evidence_count == 0 || anonymous`:              "- | anonymous",
		`anonymous || 1000 % evidence_count == 0 || is_appeal`: "anonymous D | - | is_appeal",
		`category == "a" || (channel == "b" || has_order)`:     "category D | channel D | has_order D",
		`(category == "a" || anonymous) && has_order`:          "has_order",
		`category == "a" && len(subcategory) > 1`:              "category",
	} {
		tree, err := parser.Parse(cond)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range (pinReader{}).branches(tree.Node) {
			var names []string
			for _, f := range indexFields {
				if _, ok := b.pins[f.id]; ok {
					names = append(names, f.name)
				}
			}
			if len(names) == 0 {
				names = []string{"-"}
			}
			if b.decides {
				names = append(names, "D")
			}
			got = append(got, strings.Join(names, " "))
		}
		if g := strings.Join(got, " | "); g != want {
			t.Errorf("%s: got %q, want %q", cond, g, want)
		}
	}
}
