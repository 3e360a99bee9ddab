package rules

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr/parser"
)

// Each index field reads the Env field whose expr name it carries, and no
// other: the index sees what the conditions see.
func TestIndexFieldsReadTheirEnvField(t *testing.T) {
	envType := reflect.TypeFor[Env]()
	for f := range numIndexFields {
		sf, ok := func() (reflect.StructField, bool) {
			for i := range envType.NumField() {
				if envType.Field(i).Tag.Get("expr") == f.String() {
					return envType.Field(i), true
				}
			}
			return reflect.StructField{}, false
		}()
		if !ok {
			t.Fatalf("index field %s: Env has no field with that expr name", f)
		}
		want := reflect.String
		if f.isBool() {
			want = reflect.Bool
		}
		if sf.Type.Kind() != want {
			t.Fatalf("index field %s: Env.%s is %s, the index reads it as %s", f, sf.Name, sf.Type.Kind(), want)
		}
		var e Env
		v := reflect.ValueOf(&e).Elem().FieldByIndex(sf.Index)
		if f.isBool() {
			v.SetBool(true)
		} else {
			v.SetString("probe")
		}
		for g := range numIndexFields {
			gotBool, gotStr := g.boolean(&e), g.str(&e)
			set := gotBool || gotStr != ""
			if set != (g == f) {
				t.Errorf("Env.%s set: index field %s reads %v %q", sf.Name, g, gotBool, gotStr)
			}
		}
	}
}

// pinsOf on hand-picked conditions: for each field, which values (x stands
// for any value that is none of the constants) the condition allows.
func TestPinsOf(t *testing.T) {
	probe := []string{"a", "b", "c", "", "x"}
	bools := []string{"false", "true"}
	type want map[string]string // field: allowed probe values, space-separated
	cases := []struct {
		cond string
		want want
	}{
		{`category == "a"`, want{"category": "a"}},
		{`"a" == category`, want{"category": "a"}},
		{`category != "a"`, want{"category": "b c  x"}},
		{`category in ["a", "b"]`, want{"category": "a b"}},
		{`category not in ["a", "b"]`, want{"category": "c  x"}},
		{`not (category in ["a"])`, want{"category": "b c  x"}},
		{`!(category == "a")`, want{"category": "b c  x"}},
		{`category == ""`, want{"category": ""}},
		{`about_platform`, want{"about_platform": "true"}},
		{`!about_platform`, want{"about_platform": "false"}},
		{`not about_platform`, want{"about_platform": "false"}},
		{`about_platform == false`, want{"about_platform": "false"}},
		{`about_platform != true`, want{"about_platform": "false"}},
		{`category == "a" && channel == "b"`, want{"category": "a", "channel": "b"}},
		{`category == "a" and channel in ["b", "c"] and has_order`, want{"category": "a", "channel": "b c", "has_order": "true"}},
		{`category in ["a", "b"] && category != "b"`, want{"category": "a"}},
		{`category == "a" && category == "b"`, want{"category": ""}}, // never true: no value
		{`amount_minor >= 10 && hasEvidence("chat_log") && params.x > 1 && category == "a"`, want{"category": "a"}},
		{`category == "a" || category == "b" && anonymous`, want{"category": "a b"}},
		{`(category == "a" && anonymous) || (category == "b" && !anonymous)`, want{"category": "a b", "anonymous": "false true"}},
		{`!about_platform && (category == "a" || channel == "b")`, want{"about_platform": "false"}},
		// A term that may fail hides what follows: skipping would lose its error.
		{`1000 % evidence_count == 0 && category == "a"`, want{}},
		{`len(subcategory) > 3 && category == "a"`, want{}},
		{`subcategory[0:1] == "s" && category == "a"`, want{}},
		{`category == "a" && 1000 % evidence_count == 0`, want{"category": "a"}},
		// Not a comparison of one index field with constants.
		{`category == "a" || anonymous`, want{}},
		{`category == subcategory`, want{}},
		{`category in [subcategory, "a"]`, want{}},
		{`category == "a" ? true : false`, want{}},
		{`let c = category; c == "a"`, want{}},
		{`!(category == "a" && anonymous)`, want{}},
		{`amount_minor == 5`, want{}},
		{`about_platform == anonymous`, want{}},
		{`category == true`, want{}},
		{`about_platform in [true]`, want{}},
	}
	for _, tc := range cases {
		tree, err := parser.Parse(tc.cond)
		if err != nil {
			t.Fatalf("%s: %v", tc.cond, err)
		}
		pins := pinsOf(tree.Node)
		got := want{}
		for f, p := range pins {
			values := probe
			if f.isBool() {
				values = bools
			}
			var allowed []string
			for _, v := range values {
				// A value the condition does not name is in the dimension's last slot.
				other := !f.isBool() && !slices.Contains(p.consts, v)
				if p.allows(v, other) {
					allowed = append(allowed, v)
				}
			}
			got[f.String()] = strings.Join(allowed, " ")
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.cond, got, tc.want)
		}
	}
}

func TestCannotFail(t *testing.T) {
	for cond, want := range map[string]bool{
		`category == "a" && amount_minor >= 100 || !anonymous`:             true,
		`hasEvidence("chat_log") && !complete("chat_log")`:                 true,
		`shows("payment_screenshot", "amount") && params.large_amount > 0`: true,
		`demand in ["refund", "delivery"]`:                                 true,
		`amount_minor / 2 > 1`:                                             false,
		`1000 % evidence_count == 0`:                                       false,
		`len(description_length) > 0`:                                      false,
		`unknown_name == 1`:                                                false,
		`$env.category == "a"`:                                             false,
		`params[subcategory] > 1`:                                          false,
		`category in subcategory`:                                          false,
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
