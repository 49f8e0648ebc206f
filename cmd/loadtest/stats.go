package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary describes one measured run: how many requests finished, how many
// of them failed, how long the measured window lasted, and the latency
// distribution of every request in it (failed ones included).
type Summary struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	Min      time.Duration
	Mean     time.Duration
	P50      time.Duration
	P90      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
}

// RPS is the rate of successful requests over the measured window: a
// failed answer, however fast, is no work done.
func (s Summary) RPS() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(max(s.Requests-s.Errors, 0)) / s.Elapsed.Seconds()
}

// Summarize computes the distribution of the given latencies. It sorts
// lat in place. errors is the number of failed requests among them and
// elapsed the length of the window they were measured in.
func Summarize(lat []time.Duration, errors int, elapsed time.Duration) Summary {
	s := Summary{Requests: len(lat), Errors: errors, Elapsed: elapsed}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	s.Min, s.Max = lat[0], lat[len(lat)-1]
	s.Mean = sum / time.Duration(len(lat))
	s.P50 = Percentile(lat, 50)
	s.P90 = Percentile(lat, 90)
	s.P95 = Percentile(lat, 95)
	s.P99 = Percentile(lat, 99)
	return s
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value such that at least p % of the
// values are at or below it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

// Median returns the median of ds (the mean of the two middle values for an
// even count) without changing ds.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	c := slices.Clone(ds)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// Histogram counts latencies into buckets whose upper bounds grow by a
// factor of two from first; the last bucket is open. It is printed under a
// run when -v is given.
type Histogram struct {
	Bounds []time.Duration
	Counts []int
}

// NewHistogram buckets lat into n buckets: ≤ first, ≤ 2·first, … and one
// open bucket for the rest.
func NewHistogram(lat []time.Duration, first time.Duration, n int) Histogram {
	h := Histogram{Counts: make([]int, n)}
	b := first
	for i := 0; i < n-1; i++ {
		h.Bounds = append(h.Bounds, b)
		b *= 2
	}
	for _, d := range lat {
		i := sort.Search(len(h.Bounds), func(i int) bool { return d <= h.Bounds[i] })
		h.Counts[i]++
	}
	return h
}

// String draws the histogram as text, one bucket a line.
func (h Histogram) String() string {
	total := 0
	for _, c := range h.Counts {
		total += c
	}
	var sb strings.Builder
	for i, c := range h.Counts {
		label := "> " + ms(h.Bounds[len(h.Bounds)-1])
		if i < len(h.Bounds) {
			label = "≤ " + ms(h.Bounds[i])
		}
		bar := 0
		if total > 0 {
			bar = c * 50 / total
		}
		fmt.Fprintf(&sb, "  %10s ms %8d %s\n", label, c, strings.Repeat("#", bar))
	}
	return sb.String()
}

// ms formats a duration in milliseconds with precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 1000:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// rate formats a rate per second.
func rate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// ratio formats a quotient, or "–" when the divisor is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	r := a / b
	if r < 0.1 {
		return fmt.Sprintf("%.3f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// Table is one result table, rendered as aligned text or as Markdown.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// Text writes the table as aligned plain text.
func (t *Table) Text(w io.Writer) {
	fmt.Fprintf(w, "\n== %s\n", t.Title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t")+"\t")
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	_ = tw.Flush()
	for _, n := range t.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// Markdown writes the table as a GitHub Markdown table.
func (t *Table) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### %s\n\n", t.Title)
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.Header, " | "))
	seps := make([]string, len(t.Header))
	for i := range seps {
		seps[i] = "---:"
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
	for _, r := range t.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

// cpuSample is a reading of CPU time used so far, in seconds: by the whole
// machine, by this process, and by the database server's processes
// (PostgreSQL's; SQLite runs inside this process).
type cpuSample struct {
	at                time.Time
	machine, self, db float64
}

// clockTicks is Linux's USER_HZ, the unit of /proc's CPU times.
const clockTicks = 100

// sampleCPU reads /proc. On a system without it every figure is zero.
func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal …
		for i, v := range f {
			if i == 0 || i == 4 || i == 5 || i > 8 {
				continue
			}
			n, _ := strconv.ParseFloat(v, 64)
			s.machine += n / clockTicks
		}
	}
	s.self = procCPU("/proc/self/stat")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		if strings.TrimSpace(string(comm)) == "postgres" {
			s.db += procCPU("/proc/" + e.Name() + "/stat")
		}
	}
	return s
}

// procCPU returns a process's user + system CPU seconds from its stat file.
func procCPU(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / clockTicks
}

// cpuUse is the CPU used between two samples, in cores: this process (the
// server, when in-process, and the load generator), the database's
// processes, and everything else on the machine (other programs share it).
type cpuUse struct{ self, db, other float64 }

func cpuBetween(a, b cpuSample) cpuUse {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return cpuUse{}
	}
	u := cpuUse{self: (b.self - a.self) / secs, db: (b.db - a.db) / secs}
	u.other = max(0, (b.machine-a.machine)/secs-u.self-u.db)
	return u
}

// String formats the use as "self/db/other".
func (u cpuUse) String() string { return fmt.Sprintf("%.2f/%.2f/%.2f", u.self, u.db, u.other) }
