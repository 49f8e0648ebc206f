package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from testdata/pca-code.json")

// TestGolden runs the generator's core on a small fixture that has one
// example of every special case, and compares with a reviewed golden file,
// so that a change in the normalisation rules shows up as a golden diff.
func TestGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "pca-code.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, stats, err := Convert(src)
	if err != nil {
		t.Fatal(err)
	}
	got := Encode(recs)
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
	want2 := Stats{Provinces: 10, Cities: 11, Districts: 8, DroppedTowns: 3}
	if stats != want2 {
		t.Errorf("stats = %+v, want %+v", stats, want2)
	}
	if err := CheckComplete(stats); err == nil {
		t.Error("CheckComplete accepted a 10-province fixture")
	}
}

// TestDeterministic checks that the output does not depend on map order or
// input order: a shuffled copy of the fixture gives the same bytes.
func TestDeterministic(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "pca-code.json"))
	if err != nil {
		t.Fatal(err)
	}
	first := mustGen(t, src)
	for range 20 {
		if !bytes.Equal(first, mustGen(t, src)) {
			t.Fatal("two runs on the same input differ")
		}
	}
	// Reverse the province order of the fixture (one province per line).
	lines := strings.Split(strings.TrimSpace(string(src)), "\n")
	body := lines[1 : len(lines)-1]
	for i, j := 0, len(body)-1; i < j; i, j = i+1, j-1 {
		body[i], body[j] = body[j], body[i]
	}
	for i := range body {
		body[i] = strings.TrimSuffix(body[i], ",")
	}
	reversed := "[\n" + strings.Join(body, ",\n") + "\n]\n"
	if !bytes.Equal(first, mustGen(t, []byte(reversed))) {
		t.Error("output depends on input order")
	}
}

func mustGen(t *testing.T, src []byte) []byte {
	t.Helper()
	recs, _, err := Convert(src)
	if err != nil {
		t.Fatal(err)
	}
	return Encode(recs)
}

// TestEmbeddedFileIsCanonical checks that the committed regions/data.json is
// byte for byte what Encode writes for its own records, i.e. that nobody
// hand-edited or reformatted it; its content is checked by the regions tests.
func TestEmbeddedFileIsCanonical(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Encode(recs), data) {
		t.Error("regions/data.json is not in the generator's canonical form; regenerate it (see main.go)")
	}
}

func TestRejectsUnexpectedInput(t *testing.T) {
	tests := map[string]string{
		"placeholder outside municipality": `[{"code":"13","name":"河北省","children":[{"code":"1301","name":"市辖区","children":[{"code":"130102","name":"长安区"}]}]}]`,
		"district not under its city":      `[{"code":"13","name":"河北省","children":[{"code":"1301","name":"石家庄市","children":[{"code":"130202","name":"路南区"}]}]}]`,
		"city not under its province":      `[{"code":"13","name":"河北省","children":[{"code":"1401","name":"太原市"}]}]`,
		"short code":                       `[{"code":"1","name":"x"}]`,
		"non-digit code":                   `[{"code":"1a","name":"x"}]`,
		"padded name":                      `[{"code":"13","name":" 河北省"}]`,
		"empty name":                       `[{"code":"13","name":""}]`,
		"duplicate district":               `[{"code":"13","name":"河北省","children":[{"code":"1301","name":"石家庄市","children":[{"code":"130102","name":"长安区"},{"code":"130102","name":"长安区"}]}]}]`,
		"duplicate province":               `[{"code":"13","name":"河北省"},{"code":"13","name":"河北省"}]`,
		"unknown field":                    `[{"code":"13","name":"河北省","pinyin":"hebei"}]`,
		"empty direct-county group":        `[{"code":"42","name":"湖北省","children":[{"code":"4290","name":"省直辖县级行政区划"}]}]`,
		"children under a district":        `[{"code":"13","name":"河北省","children":[{"code":"1301","name":"石家庄市","children":[{"code":"130102","name":"长安区","children":[{"code":"130102001","name":"x"}]}]}]}]`,
		"not an array":                     `{}`,
	}
	for name, src := range tests {
		if _, _, err := Convert([]byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
