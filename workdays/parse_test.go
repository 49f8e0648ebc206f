package workdays

import (
	"strings"
	"testing"
)

// TestParseRejectsBrokenData checks the load-time guards that the lookups
// rely on: a covered year with no entry would be silently weekends-only yet
// reported as confirmed.
func TestParseRejectsBrokenData(t *testing.T) {
	const ok = `{"year":2026,"holidays":[{"date":"2026-10-01","zh":"国庆节","en":"National Day"}],"workdays":[]}`
	tests := map[string]string{
		"not json":         `{`,
		"no years":         `{"firstYear":2026,"lastYear":2026,"years":[]}`,
		"missing year":     `{"firstYear":2025,"lastYear":2026,"years":[` + ok + `]}`,
		"wrong year":       `{"firstYear":2025,"lastYear":2025,"years":[` + ok + `]}`,
		"reversed range":   `{"firstYear":2027,"lastYear":2026,"years":[` + ok + `]}`,
		"date in the year": `{"firstYear":2026,"lastYear":2026,"years":[{"year":2026,"holidays":[{"date":"2027-01-01","zh":"元旦","en":"New Year's Day"}],"workdays":[]}]}`,
		"bad date":         `{"firstYear":2026,"lastYear":2026,"years":[{"year":2026,"holidays":[{"date":"2026-13-01","zh":"x","en":"x"}],"workdays":[]}]}`,
		"off and worked":   `{"firstYear":2026,"lastYear":2026,"years":[{"year":2026,"holidays":[{"date":"2026-10-10","zh":"国庆节","en":"National Day"}],"workdays":[{"date":"2026-10-10","zh":"国庆节","en":"National Day"}]}]}`,
		"no name":          `{"firstYear":2026,"lastYear":2026,"years":[{"year":2026,"holidays":[{"date":"2026-10-01","zh":"","en":""}],"workdays":[]}]}`,
	}
	if _, err := parse([]byte(`{"firstYear":2026,"lastYear":2026,"years":[` + ok + `]}`)); err != nil {
		t.Fatalf("minimal data rejected: %v", err)
	}
	for name, data := range tests {
		if _, err := parse([]byte(data)); err == nil {
			t.Errorf("%s: parse succeeded", name)
		}
	}
}

func TestEmbeddedParses(t *testing.T) {
	c, err := parse(rawData)
	if err != nil {
		t.Fatal(err)
	}
	if c.first != 2004 {
		t.Errorf("first year %d, want 2004", c.first)
	}
	if !strings.HasPrefix(string(rawData), "{\n\"firstYear\":") {
		t.Error("data.json was not written by workdays/internal/gen")
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
