package regions

import (
	"strings"
	"testing"
)

// TestParseRejectsBrokenTables checks the load-time guards that let Covers
// and Path walk parent chains without a depth limit.
func TestParseRejectsBrokenTables(t *testing.T) {
	tests := map[string]string{
		"duplicate":      `[{"code":"110000","name":"a","level":1,"parent":""},{"code":"110000","name":"b","level":1,"parent":""}]`,
		"missing parent": `[{"code":"110100","name":"a","level":2,"parent":"110000"}]`,
		"wrong level":    `[{"code":"110000","name":"a","level":1,"parent":""},{"code":"110101","name":"b","level":3,"parent":"110000"}]`,
		"self parent":    `[{"code":"110000","name":"a","level":2,"parent":"110000"}]`,
		"not json":       `{`,
	}
	for name, data := range tests {
		if _, err := parse([]byte(data)); err == nil {
			t.Errorf("%s: parse succeeded", name)
		}
	}
}

func TestEmbeddedParses(t *testing.T) {
	tb, err := parse(rawData)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.all) == 0 || len(tb.children[""]) == 0 {
		t.Fatal("empty table")
	}
	if !strings.HasPrefix(string(rawData), "[\n") {
		t.Error("data.json was not written by regions/internal/gen")
	}
}

// BenchmarkParse measures the one-off cost paid by the first lookup.
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := parse(rawData); err != nil {
			b.Fatal(err)
		}
	}
}
