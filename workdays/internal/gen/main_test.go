package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from testdata/chinese-days.json")

// The fixture is chinese-days 1.5.7's 元旦, 春节, 中秋 and 国庆节 entries of
// 2018 and 2019, in the source's own (unsorted) order. It has the cases
// that matter: make-up Saturdays and Sundays, a 中秋 day off on a Monday,
// and 2018-12-29/30/31, which belong to the 2019 notice but to the year
// 2018.
func readFixture(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "chinese-days.json"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestGolden compares the generator's output on the fixture with a reviewed
// golden file, so that a change in the conversion shows up as a golden
// diff.
func TestGolden(t *testing.T) {
	data, err := Convert(readFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	got := Encode(data)
	golden := filepath.Join("testdata", "golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after reviewing):\n%s", golden, got)
	}
	if data.FirstYear != 2018 || data.LastYear != 2019 || len(data.Years) != 2 {
		t.Errorf("years %d-%d (%d listed), want 2018-2019", data.FirstYear, data.LastYear, len(data.Years))
	}
	if !json.Valid(got) {
		t.Error("output is not valid JSON")
	}
}

// TestDeterministic checks that the output depends neither on map order nor
// on the order of the input's keys.
func TestDeterministic(t *testing.T) {
	src := readFixture(t)
	first := mustGen(t, src)
	for range 20 {
		if !bytes.Equal(first, mustGen(t, src)) {
			t.Fatal("two runs on the same input differ")
		}
	}
	sections, err := readSections(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		var b strings.Builder
		b.WriteString("{")
		for i, sec := range []string{"inLieuDays", "workdays", "holidays"} {
			if i > 0 {
				b.WriteString(",")
			}
			keys := slices.Sorted(maps.Keys(sections[sec]))
			if reverse {
				slices.Reverse(keys)
			}
			b.WriteString(quote(sec) + ":{")
			for j, k := range keys {
				if j > 0 {
					b.WriteString(",")
				}
				b.WriteString(quote(k) + ":" + quote(sections[sec][k]))
			}
			b.WriteString("}")
		}
		b.WriteString("}")
		if !bytes.Equal(first, mustGen(t, []byte(b.String()))) {
			t.Errorf("output depends on input order (reverse=%v)", reverse)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mustGen(t *testing.T, src []byte) []byte {
	t.Helper()
	data, err := Convert(src)
	if err != nil {
		t.Fatal(err)
	}
	return Encode(data)
}

// TestEmbeddedFileIsCanonical checks that the committed workdays/data.json
// is byte for byte what Encode writes for its own content, i.e. that nobody
// hand-edited or reformatted it; its content is checked by the workdays
// tests.
func TestEmbeddedFileIsCanonical(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Decode(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Encode(data), src) {
		t.Error("workdays/data.json is not in the generator's canonical form; regenerate it (see main.go)")
	}
}

func TestRejectsUnexpectedInput(t *testing.T) {
	// A minimal valid year, to which each case adds one fault.
	const year = `"2019-01-01":"New Year's Day,元旦,1","2019-02-05":"Spring Festival,春节,3","2019-10-01":"National Day,国庆节,3"`
	input := func(holidays, workdays, inLieu string) string {
		return `{"holidays":{` + year + holidays + `},"workdays":{` + workdays + `},"inLieuDays":{` + inLieu + `}}`
	}
	if _, err := Convert([]byte(input("", "", ""))); err != nil {
		t.Fatalf("minimal input rejected: %v", err)
	}
	tests := map[string]string{
		"not an object":               `[]`,
		"trailing data":               input("", "", "") + `{}`,
		"unknown member":              `{"holidays":{` + year + `},"workdays":{},"inLieuDays":{},"extra":{}}`,
		"missing member":              `{"holidays":{` + year + `},"workdays":{}}`,
		"duplicate member":            `{"holidays":{` + year + `},"workdays":{},"workdays":{},"inLieuDays":{}}`,
		"duplicate date":              input(`,"2019-10-02":"National Day,国庆节,3","2019-10-02":"National Day,国庆节,3"`, "", ""),
		"non-string value":            input(`,"2019-10-02":3`, "", ""),
		"bad date":                    input(`,"2019-02-30":"Spring Festival,春节,3"`, "", ""),
		"non-canonical date":          input(`,"2019-2-6":"Spring Festival,春节,3"`, "", ""),
		"two-part name":               input(`,"2019-10-02":"National Day,国庆节"`, "", ""),
		"no days count":               input(`,"2019-10-02":"National Day,国庆节,x"`, "", ""),
		"padded English":              input(`,"2019-10-02":" National Day,国庆节,3"`, "", ""),
		"Chinese in English":          input(`,"2019-10-02":"国庆节,国庆节,3"`, "", ""),
		"English in Chinese":          input(`,"2019-10-02":"National Day,National Day,3"`, "", ""),
		"inconsistent names":          input(`,"2019-10-02":"National Day,国庆,3"`, "", ""),
		"both off and worked":         input(`,"2019-10-05":"National Day,国庆节,3"`, `"2019-10-05":"National Day,国庆节,3"`, ""),
		"make-up on a weekday":        input("", `"2019-09-30":"National Day,国庆节,3"`, ""),
		"make-up far from holiday":    input("", `"2019-08-31":"National Day,国庆节,3"`, ""),
		"make-up for unknown holiday": input("", `"2019-09-29":"Labour Day,劳动节,1"`, ""),
		"in-lieu not a day off":       input("", "", `"2019-10-04":"National Day,国庆节,3"`),
		"in-lieu other holiday":       input(`,"2019-02-04":"Spring Festival,春节,3"`, "", `"2019-02-04":"National Day,国庆节,3"`),
		"in-lieu on a weekend":        input(`,"2019-10-05":"National Day,国庆节,3"`, "", `"2019-10-05":"National Day,国庆节,3"`),
		"no 国庆节 on 1 October":         `{"holidays":{"2019-01-01":"New Year's Day,元旦,1","2019-02-05":"Spring Festival,春节,3"},"workdays":{},"inLieuDays":{}}`,
		"no 春节":                       `{"holidays":{"2019-01-01":"New Year's Day,元旦,1","2019-10-01":"National Day,国庆节,3"},"workdays":{},"inLieuDays":{}}`,
		"partial next year":           input(`,"2020-01-01":"New Year's Day,元旦,1"`, "", ""),
		"gap year":                    input(`,"2021-01-01":"New Year's Day,元旦,1","2021-02-12":"Spring Festival,春节,3","2021-10-01":"National Day,国庆节,3"`, "", ""),
		"empty":                       `{"holidays":{},"workdays":{},"inLieuDays":{}}`,
	}
	for name, src := range tests {
		if _, err := Convert([]byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
