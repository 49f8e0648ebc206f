package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile is p ms.
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(lat, 3, 2*time.Second)
	for _, c := range []struct {
		name string
		got  time.Duration
		want int
	}{{"p50", s.P50, 50}, {"p90", s.P90, 90}, {"p95", s.P95, 95}, {"p99", s.P99, 99}, {"min", s.Min, 1}, {"max", s.Max, 100}} {
		if c.got != time.Duration(c.want)*time.Millisecond {
			t.Errorf("%s = %v, want %d ms", c.name, c.got, c.want)
		}
	}
	if s.Requests != 100 || s.Errors != 3 {
		t.Errorf("counts %d/%d", s.Requests, s.Errors)
	}
	// 97 of the 100 requests succeeded, in 2 s.
	if s.RPS() != 48.5 {
		t.Errorf("rps = %v, want 48.5", s.RPS())
	}
	if s.Mean != 50500*time.Microsecond {
		t.Errorf("mean = %v", s.Mean)
	}
}

func TestPercentileSmallSets(t *testing.T) {
	if Percentile(nil, 50) != 0 {
		t.Error("empty set should give 0")
	}
	one := durations(7)
	for _, p := range []float64{0, 1, 50, 99, 100} {
		if Percentile(one, p) != 7*time.Millisecond {
			t.Errorf("p%v of one value", p)
		}
	}
	// Nearest rank on 4 values: p50 is the 2nd, p51 the 3rd, p99 the 4th.
	four := durations(10, 20, 30, 40)
	if got := Percentile(four, 50); got != 20*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := Percentile(four, 51); got != 30*time.Millisecond {
		t.Errorf("p51 = %v", got)
	}
	if got := Percentile(four, 99); got != 40*time.Millisecond {
		t.Errorf("p99 = %v", got)
	}
	if got := Percentile(four, 100); got != 40*time.Millisecond {
		t.Errorf("p100 = %v", got)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	s := Summarize(nil, 0, 0)
	if s.Requests != 0 || s.P99 != 0 || s.RPS() != 0 {
		t.Errorf("empty summary: %+v", s)
	}
}

func TestMedian(t *testing.T) {
	in := durations(5, 1, 3)
	if Median(in) != 3*time.Millisecond {
		t.Errorf("odd median = %v", Median(in))
	}
	if in[0] != 5*time.Millisecond {
		t.Error("Median changed its input")
	}
	if m := Median(durations(4, 1, 3, 2)); m != 2500*time.Microsecond {
		t.Errorf("even median = %v", m)
	}
}

func TestHistogram(t *testing.T) {
	// Buckets ≤1, ≤2, ≤4 ms and > 4 ms.
	h := NewHistogram(durations(0, 1, 2, 3, 4, 5, 100), time.Millisecond, 4)
	want := []int{2, 1, 2, 2}
	for i, c := range want {
		if h.Counts[i] != c {
			t.Fatalf("counts = %v, want %v", h.Counts, want)
		}
	}
	if !strings.Contains(h.String(), "> 4.00 ms") {
		t.Errorf("histogram text:\n%s", h)
	}
}

func TestTableRendering(t *testing.T) {
	tb := Table{Title: "W1", Header: []string{"conns", "req/s"}, Notes: []string{"n"}}
	tb.Add("16", "1000")
	var txt, md bytes.Buffer
	tb.Text(&txt)
	tb.Markdown(&md)
	if !strings.Contains(txt.String(), "16") || !strings.Contains(txt.String(), "note: n") {
		t.Errorf("text:\n%s", txt.String())
	}
	if !strings.Contains(md.String(), "| 16 | 1000 |") || !strings.Contains(md.String(), "|---:|---:|") {
		t.Errorf("markdown:\n%s", md.String())
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0"}, {1500 * time.Microsecond, "1.50"}, {25 * time.Millisecond, "25.0"}, {2500 * time.Millisecond, "2500"}} {
		if got := ms(c.d); got != c.want {
			t.Errorf("ms(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if ratio(1, 0) != "–" || ratio(1, 4) != "0.25" || ratio(1, 40) != "0.025" {
		t.Error("ratio formatting")
	}
}

// Rounds combine into one result: every latency, the errors and the
// measured time added up, the CPU use weighted by each round's time.
func TestCombineRounds(t *testing.T) {
	run := func(elapsed time.Duration, errs int, cpu cpuUse, kinds map[string]int, ms ...int) runResult {
		lat := durations(ms...)
		return runResult{Summary: Summarize(lat, errs, elapsed), cpu: cpu, kinds: kinds, samples: map[string]string{}, lat: lat}
	}
	a := run(time.Second, 0, cpuUse{self: 1, db: 1}, map[string]int{}, 1, 2, 3)
	b := run(3*time.Second, 1, cpuUse{self: 0.6, db: 1.2, other: 0.2}, map[string]int{"HTTP 500": 1}, 4, 5, 6, 7, 8)
	got := combine([]runResult{a, b})
	if got.Requests != 8 || got.Errors != 1 || got.Elapsed != 4*time.Second || got.RPS() != 7.0/4 {
		t.Errorf("combined %d requests, %d errors in %s (%.2f/s)", got.Requests, got.Errors, got.Elapsed, got.RPS())
	}
	if got.P50 != 4*time.Millisecond || got.Max != 8*time.Millisecond || got.kinds["HTTP 500"] != 1 {
		t.Errorf("combined p50 %s, max %s, kinds %v", got.P50, got.Max, got.kinds)
	}
	if want := (cpuUse{self: 0.7, db: 1.15, other: 0.15}); got.cpu.String() != want.String() {
		t.Errorf("combined CPU %s, want %s", got.cpu, want)
	}
	if r := roundRatios([]runResult{a, b}, []runResult{b, a}); r != "2.25 0.44" {
		t.Errorf("round ratios %q", r)
	}
	if one := combine([]runResult{a}); one.Requests != 3 || one.Elapsed != time.Second {
		t.Errorf("one round: %+v", one.Summary)
	}
}
