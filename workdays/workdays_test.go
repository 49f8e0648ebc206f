package workdays_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fahuo/fahuo/workdays"
)

// wantLastYear is the last year of the embedded schedule (chinese-days
// 1.5.7). It is exact on purpose: whoever refreshes data.json checks the new
// year against the State Council's notice and then updates it.
const wantLastYear = 2026

var cst = time.FixedZone("CST", 8*3600)

func day(s string) workdays.Day {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return workdays.Day{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// at is a China-time instant, "2026-09-30 15:00".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLastConfirmedYear(t *testing.T) {
	if got := workdays.LastConfirmedYear(); got != wantLastYear {
		t.Errorf("LastConfirmedYear() = %d, want %d", got, wantLastYear)
	}
}

// The State Council's 2026 schedule (国办发明电〔2025〕7号,
// www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm), typed in from
// the notice rather than copied from data.json, so that this test checks the
// data and not only the code:
//
//	元旦   1月1日(周四)至3日(周六)，1月4日(周日)上班
//	春节   2月15日(周日)至23日(周一)，2月14日(周六)、2月28日(周六)上班
//	清明节 4月4日(周六)至6日(周一)
//	劳动节 5月1日(周五)至5日(周二)，5月9日(周六)上班
//	端午节 6月19日(周五)至21日(周日)
//	中秋节 9月25日(周五)至27日(周日)
//	国庆节 10月1日(周四)至7日(周三)，9月20日(周日)、10月10日(周六)上班
var (
	off2026 = []struct {
		from, to string
		zh, en   string
	}{
		{"2026-01-01", "2026-01-03", "元旦", "New Year's Day"},
		{"2026-02-15", "2026-02-23", "春节", "Spring Festival"},
		{"2026-04-04", "2026-04-06", "清明", "Tomb-sweeping Day"},
		{"2026-05-01", "2026-05-05", "劳动节", "Labour Day"},
		{"2026-06-19", "2026-06-21", "端午", "Dragon Boat Festival"},
		{"2026-09-25", "2026-09-27", "中秋", "Mid-autumn Festival"},
		{"2026-10-01", "2026-10-07", "国庆节", "National Day"},
	}
	makeup2026 = []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}
)

// TestCalendar2026 checks every day of 2026 against the notice.
func TestCalendar2026(t *testing.T) {
	type name struct{ zh, en string }
	off := map[workdays.Day]name{}
	for _, p := range off2026 {
		for d := day(p.from); d != day(p.to); d = next(d) {
			off[d] = name{p.zh, p.en}
		}
		off[day(p.to)] = name{p.zh, p.en}
	}
	if len(off) != 33 {
		t.Fatalf("test table has %d days off, the notice 33", len(off))
	}
	makeup := map[workdays.Day]bool{}
	for _, s := range makeup2026 {
		d := day(s)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			t.Errorf("test table: make-up day %v is a %v", d, wd)
		}
		makeup[d] = true
	}

	workingDays := 0
	for d := day("2026-01-01"); d.Year == 2026; d = next(d) {
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		n, isOff := off[d]
		want := makeup[d] || !isOff && !weekend
		got, confirmed := workdays.IsWorkday(d)
		if got != want || !confirmed {
			t.Errorf("IsWorkday(%v %v) = %v, %v; want %v, true", d, d.Weekday(), got, confirmed, want)
		}
		zh, en, ok := workdays.HolidayName(d)
		if ok != isOff || zh != n.zh || en != n.en {
			t.Errorf("HolidayName(%v) = %q, %q, %v; want %q, %q, %v", d, zh, en, ok, n.zh, n.en, isOff)
		}
		if got {
			workingDays++
		}
	}
	// 365 days - 104 weekend days - 19 weekday days off + 6 make-up days.
	if workingDays != 248 {
		t.Errorf("2026 has %d working days, want 248", workingDays)
	}
}

func next(d workdays.Day) workdays.Day {
	return workdays.Day{Year: d.Year, Month: d.Month, Day: d.Day + 1}.Norm()
}

func TestIsWorkday(t *testing.T) {
	tests := []struct {
		day  string
		want bool
		why  string
	}{
		{"2026-10-05", false, "holiday on a Monday (国庆节)"},
		{"2026-02-17", false, "holiday on a Tuesday (春节)"},
		{"2026-10-10", true, "make-up working Saturday (国庆节)"},
		{"2026-09-20", true, "make-up working Sunday (国庆节)"},
		{"2026-03-14", false, "ordinary Saturday"},
		{"2026-03-15", false, "ordinary Sunday"},
		{"2026-03-16", true, "ordinary Monday"},
		{"2026-10-08", true, "first working day after the Golden Week (Thursday)"},
		// Older years, for the source's special cases.
		{"2020-02-01", false, "Saturday first scheduled as make-up day, then cancelled by the 2020 Spring Festival extension"},
		{"2020-01-31", false, "2020 Spring Festival extension (Friday)"},
		{"2020-02-03", true, "first working day after the 2020 extension"},
		{"2018-12-29", true, "make-up Saturday for New Year 2019, announced in the 2019 notice"},
		{"2018-12-31", false, "New Year 2019 day off in 2018"},
		{"2015-09-03", false, "70th anniversary of the victory (one-off holiday)"},
		{"2015-09-06", true, "make-up Sunday for the 2015 anniversary"},
	}
	for _, tt := range tests {
		got, confirmed := workdays.IsWorkday(day(tt.day))
		if got != tt.want || !confirmed {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v, true (%s)", tt.day, got, confirmed, tt.want, tt.why)
		}
	}
}

// TestUnconfirmedYears checks that days past the data count weekends only
// and say so.
func TestUnconfirmedYears(t *testing.T) {
	tests := []struct {
		d    workdays.Day
		want bool
	}{
		// 1 January is certainly a holiday, but without the year's
		// notice the package does not guess (see IsWorkday).
		{day("2027-01-01"), true},  // Friday
		{day("2027-01-02"), false}, // Saturday
		{day("2027-01-04"), true},  // Monday
		{day("2003-10-01"), true},  // before the data: a Wednesday
	}
	for _, tt := range tests {
		got, confirmed := workdays.IsWorkday(tt.d)
		if got != tt.want || confirmed {
			t.Errorf("IsWorkday(%v) = %v, %v; want %v, false", tt.d, got, confirmed, tt.want)
		}
		if _, _, ok := workdays.HolidayName(tt.d); ok {
			t.Errorf("HolidayName(%v): ok outside the data", tt.d)
		}
	}
}

func TestAddWorkdays(t *testing.T) {
	tests := []struct {
		from      string
		n         int
		want      string
		confirmed bool
		why       string
	}{
		// Plain weeks.
		{"2026-03-09 10:00", 3, "2026-03-12 10:00", true, "Monday + 3 = Thursday"},
		{"2026-03-13 15:00", 3, "2026-03-18 15:00", true, "Friday + 3 = next Wednesday"},
		{"2026-03-14 15:00", 3, "2026-03-18 15:00", true, "Saturday + 3: counting starts Monday"},
		{"2026-03-09 00:00", 1, "2026-03-10 00:00", true, "own day never counts, even from midnight"},
		{"2026-03-09 23:59", 1, "2026-03-10 23:59", true, "same clock time, late in the day"},
		// National Day Golden Week 2026 (1-7 October, make-up days Sun 20
		// September and Sat 10 October).
		{"2026-09-30 15:00", 3, "2026-10-10 15:00", true, "skips 1-7 October; make-up Saturday 10 October is the 3rd"},
		{"2026-09-30 15:00", 1, "2026-10-08 15:00", true, "first working day after the Golden Week"},
		{"2026-09-30 15:00", 4, "2026-10-12 15:00", true, "Sunday 11 October is an ordinary day off"},
		{"2026-10-03 09:00", 3, "2026-10-10 09:00", true, "approved during the holiday"},
		{"2026-09-18 15:00", 3, "2026-09-22 15:00", true, "make-up Sunday 20 September counts"},
		{"2026-09-25 15:00", 3, "2026-09-30 15:00", true, "approved on a 中秋 day off (Friday)"},
		{"2026-09-24 15:00", 4, "2026-10-08 15:00", true, "中秋 and 国庆 in one walk"},
		// Spring Festival 2026: 15-23 February, make-up Sat 14 and Sat 28.
		{"2026-02-13 12:00", 1, "2026-02-14 12:00", true, "make-up Saturday before the Spring Festival"},
		{"2026-02-14 12:00", 1, "2026-02-24 12:00", true, "over the nine days off"},
		{"2026-02-26 12:00", 2, "2026-02-28 12:00", true, "make-up Saturday after the Spring Festival"},
		// The end of the data.
		{"2026-12-28 10:00", 3, "2026-12-31 10:00", true, "last confirmed days"},
		{"2026-12-30 10:00", 3, "2027-01-04 10:00", false, "crosses into 2027: weekends only (1 January counted as a working day!)"},
		{"2026-12-31 10:00", 1, "2027-01-01 10:00", false, "one day into 2027"},
		{"2027-03-01 10:00", 0, "2027-03-01 10:00", false, "n = 0 in an unconfirmed year"},
		{"2026-10-01 10:00", 0, "2026-10-01 10:00", true, "n = 0 on a holiday returns t itself"},
	}
	for _, tt := range tests {
		got, confirmed := workdays.AddWorkdays(at(tt.from), tt.n)
		if !got.Equal(at(tt.want)) || confirmed != tt.confirmed {
			t.Errorf("AddWorkdays(%s, %d) = %s, %v; want %s, %v (%s)",
				tt.from, tt.n, got.In(cst).Format("2006-01-02 15:04 Mon"), confirmed, tt.want, tt.confirmed, tt.why)
		}
	}
}

// TestAddWorkdaysZones checks that the day is the China calendar day,
// whatever zone the instant carries, and that the result keeps t's zone.
func TestAddWorkdaysZones(t *testing.T) {
	// 2026-09-30T16:00:00Z is midnight, 1 October, in China: a 国庆节 day.
	approved := time.Date(2026, time.September, 30, 16, 0, 0, 0, time.UTC)
	got, confirmed := workdays.AddWorkdays(approved, 1)
	want := time.Date(2026, time.October, 7, 16, 0, 0, 0, time.UTC) // 8 October 00:00 in China
	if !got.Equal(want) || !confirmed {
		t.Errorf("AddWorkdays(%v, 1) = %v, %v; want %v, true", approved, got, confirmed, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("result in %v, want UTC like the input", got.Location())
	}

	// One second earlier it is still 30 September in China.
	got, _ = workdays.AddWorkdays(approved.Add(-time.Second), 1)
	want = time.Date(2026, time.October, 8, 15, 59, 59, 0, time.UTC) // 9 October 23:59:59 in China
	if !got.Equal(want) {
		t.Errorf("AddWorkdays(%v, 1) = %v, want %v", approved.Add(-time.Second), got, want)
	}

	// Another zone: counted on the China day, at the China clock time.
	ny := time.FixedZone("EDT", -4*3600)
	from := time.Date(2026, time.March, 9, 22, 30, 0, 0, ny) // Tue 10 March 10:30 in China
	got, _ = workdays.AddWorkdays(from, 3)
	if w := at("2026-03-13 10:30"); !got.Equal(w) {
		t.Errorf("AddWorkdays(%v, 3) = %v, want %v", from, got.In(cst), w)
	}

	now := time.Now()
	if got, _ := workdays.AddWorkdays(now, 0); got != now {
		t.Error("AddWorkdays(t, 0) did not return t unchanged")
	}
}

// TestAddWorkdaysProperties checks, for every start day of the covered
// years and small n, that the result is a working day at the same clock
// time, with exactly n working days after t's day up to and including it.
func TestAddWorkdaysProperties(t *testing.T) {
	for d := day("2004-01-01"); d.Year <= wantLastYear; d = next(d) {
		from := time.Date(d.Year, d.Month, d.Day, 13, 45, 7, 123, cst)
		for n := 1; n <= 10; n++ {
			got, confirmed := workdays.AddWorkdays(from, n)
			end := workdays.DayOf(got)
			if got.In(cst).Format("15:04:05.000000000") != "13:45:07.000000123" {
				t.Fatalf("AddWorkdays(%v, %d) = %v: clock time changed", d, n, got)
			}
			if w, _ := workdays.IsWorkday(end); !w {
				t.Fatalf("AddWorkdays(%v, %d) = %v: not a working day", d, n, end)
			}
			count := 0
			for x := next(d); x != next(end); x = next(x) {
				if w, _ := workdays.IsWorkday(x); w {
					count++
				}
			}
			if count != n {
				t.Fatalf("AddWorkdays(%v, %d) = %v: %d working days in between", d, n, end, count)
			}
			if confirmed != (end.Year <= wantLastYear) {
				t.Fatalf("AddWorkdays(%v, %d) = %v: confirmed = %v", d, n, end, confirmed)
			}
		}
	}
}

func TestAddWorkdaysNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AddWorkdays(t, -1) did not panic")
		}
	}()
	workdays.AddWorkdays(at("2026-03-09 10:00"), -1)
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, time.September, 30, 16, 0, 0, 0, time.UTC), "2026-10-01"},
		{time.Date(2026, time.September, 30, 15, 59, 59, 999999999, time.UTC), "2026-09-30"},
		{time.Date(2026, time.December, 31, 16, 0, 0, 0, time.UTC), "2027-01-01"},
		{at("2026-10-01 00:00"), "2026-10-01"},
		{time.Date(2026, time.October, 1, 0, 0, 0, 0, time.FixedZone("UTC+9", 9*3600)), "2026-09-30"},
	}
	for _, tt := range tests {
		if got := workdays.DayOf(tt.t); got.String() != tt.want || got != day(tt.want) {
			t.Errorf("DayOf(%v) = %v, want %s", tt.t, got, tt.want)
		}
	}
}

func TestDayNormalises(t *testing.T) {
	d := workdays.Day{Year: 2026, Month: time.February, Day: 30} // 2026-03-02, a Monday
	if got := d.Norm(); got != day("2026-03-02") {
		t.Errorf("Norm() = %v", got)
	}
	if d.String() != "2026-03-02" || d.Weekday() != time.Monday {
		t.Errorf("String, Weekday = %v, %v", d.String(), d.Weekday())
	}
	// 2026-09-32 is 2 October, a 国庆节 day off.
	if w, _ := workdays.IsWorkday(workdays.Day{Year: 2026, Month: time.September, Day: 32}); w {
		t.Error("IsWorkday(2026-09-32) = true")
	}
	if zh, _, ok := workdays.HolidayName(workdays.Day{Year: 2026, Month: time.September, Day: 32}); !ok || zh != "国庆节" {
		t.Errorf("HolidayName(2026-09-32) = %q, %v", zh, ok)
	}
}

func ExampleAddWorkdays() {
	cst := time.FixedZone("CST", 8*3600)
	approved := time.Date(2026, time.September, 30, 15, 0, 0, 0, cst)
	effective, confirmed := workdays.AddWorkdays(approved, 3)
	fmt.Println(effective.Format("2006-01-02 15:04 Mon"), confirmed)
	// Output: 2026-10-10 15:00 Sat true
}

func ExampleHolidayName() {
	zh, en, ok := workdays.HolidayName(workdays.Day{Year: 2026, Month: time.October, Day: 3})
	fmt.Println(zh, en, ok)
	// Output: 国庆节 National Day true
}

func BenchmarkAddWorkdays(b *testing.B) {
	from := at("2026-09-30 15:00")
	for b.Loop() {
		workdays.AddWorkdays(from, 3)
	}
}
