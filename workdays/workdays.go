// Package workdays counts working days on the Chinese calendar, where
// weekends and statutory holidays (法定节假日) are off but some Saturdays
// and Sundays are make-up working days (调休上班). Platform rules such as
// "a delay report takes effect 3 working days after approval" are counted
// this way, so plain weekday arithmetic would be wrong around every Golden
// Week.
//
// The schedule is not computable: the State Council announces it each
// year (国务院办公厅关于YYYY年部分节假日安排的通知, usually in November or
// December for the next year). It is embedded from the npm package
// chinese-days, converted by workdays/internal/gen; see workdays/README.md
// for the source, licence, years covered and how to refresh it.
//
// Days outside the covered years (2004 to LastConfirmedYear) are counted
// with weekends as the only days off, and every function that can meet such
// a day says so with confirmed=false, so that a caller can flag the result
// as provisional instead of silently trusting it.
//
// All days are calendar days in China (Asia/Shanghai, which has had no
// daylight saving since 1991, so a fixed UTC+8 zone is exact for the
// covered years and avoids depending on the host's tzdata).
package workdays

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// rawData is written by workdays/internal/gen; plain JSON because it is
// small (under 50 KB) and a refresh should be reviewable as a line diff.
//
//go:embed data.json
var rawData []byte

// china is the zone every Day is reckoned in. It is fixed rather than
// loaded with time.LoadLocation so that results do not depend on the tzdata
// installed on the host (or its absence in a scratch container).
var china = time.FixedZone("CST", 8*3600)

// Day is a calendar day in China. It is a plain comparable value so that it
// can be used as a map key and compared with ==. Functions taking a Day
// normalise out-of-range fields the way time.Date does, so Day{2026, 2, 30}
// means 2026-03-02.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// DayOf returns the China calendar day of an instant, so that an approval
// at 2026-09-30T16:00:00Z is counted from 1 October, the day it was in
// China, whatever zone t carries.
func DayOf(t time.Time) Day {
	y, m, d := t.In(china).Date()
	return Day{y, m, d}
}

// String formats d as YYYY-MM-DD, the form used in data.json and in the
// State Council's notices once translated to ISO.
func (d Day) String() string {
	return d.start().Format(time.DateOnly)
}

// Weekday reports d's day of the week; it is here so that callers do not
// have to build a time.Time, and pick a zone, just to ask.
func (d Day) Weekday() time.Weekday {
	return d.start().Weekday()
}

// start is midnight at the start of d in China; it also normalises d.
func (d Day) start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, china)
}

// Norm returns d with out-of-range fields carried over the way time.Date
// does (2026-02-30 becomes 2026-03-02), so that two Days naming the same
// date compare equal with == and hit the same map key.
func (d Day) Norm() Day { return DayOf(d.start()) }

// next is the day after d.
func (d Day) next() Day { return Day{d.Year, d.Month, d.Day + 1}.Norm() }

// kind says why a listed day is special.
type kind uint8

const (
	dayOff kind = iota + 1 // a day off of a holiday period
	makeup                 // a weekend day worked in exchange (调休上班)
)

// entry is one listed day.
type entry struct {
	kind   kind
	zh, en string
}

// calendar is the parsed data.
type calendar struct {
	first, last int
	days        map[Day]entry
}

// load parses the embedded data on first use, so that importing the package
// costs nothing for binaries that never count a working day. Malformed data
// is a build defect (the tests check it), hence the panic.
var load = sync.OnceValue(func() *calendar {
	c, err := parse(rawData)
	if err != nil {
		panic("workdays: embedded data.json: " + err.Error())
	}
	return c
})

// fileEntry, fileYear and fileData mirror data.json (see internal/gen).
type fileEntry struct {
	Date string `json:"date"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

type fileYear struct {
	Year     int         `json:"year"`
	Holidays []fileEntry `json:"holidays"`
	Workdays []fileEntry `json:"workdays"`
}

type fileData struct {
	FirstYear int        `json:"firstYear"`
	LastYear  int        `json:"lastYear"`
	Years     []fileYear `json:"years"`
}

// parse re-checks the invariants the lookups rely on (every covered year
// present once, each date in its own year and listed once), so that a
// hand-edited data.json fails the tests instead of giving wrong answers.
func parse(src []byte) (*calendar, error) {
	var f fileData
	if err := json.Unmarshal(src, &f); err != nil {
		return nil, err
	}
	if len(f.Years) == 0 || f.FirstYear > f.LastYear || len(f.Years) != f.LastYear-f.FirstYear+1 {
		return nil, fmt.Errorf("years %d-%d do not match the %d years listed", f.FirstYear, f.LastYear, len(f.Years))
	}
	c := &calendar{first: f.FirstYear, last: f.LastYear, days: make(map[Day]entry, 1024)}
	for i, y := range f.Years {
		if y.Year != f.FirstYear+i {
			return nil, fmt.Errorf("year %d listed where %d was expected", y.Year, f.FirstYear+i)
		}
		for _, l := range []struct {
			kind kind
			list []fileEntry
		}{{dayOff, y.Holidays}, {makeup, y.Workdays}} {
			for _, e := range l.list {
				t, err := time.Parse(time.DateOnly, e.Date)
				if err != nil {
					return nil, err
				}
				d := Day{t.Year(), t.Month(), t.Day()}
				if d.Year != y.Year {
					return nil, fmt.Errorf("%s listed under %d", e.Date, y.Year)
				}
				if _, dup := c.days[d]; dup {
					return nil, fmt.Errorf("%s listed twice", e.Date)
				}
				if e.Zh == "" || e.En == "" {
					return nil, fmt.Errorf("%s has no name", e.Date)
				}
				c.days[d] = entry{l.kind, e.Zh, e.En}
			}
		}
	}
	if len(c.days) == 0 {
		return nil, errors.New("no days listed")
	}
	return c, nil
}

func (c *calendar) covers(year int) bool { return c.first <= year && year <= c.last }

// isWorkday is IsWorkday for a normalised day, without the coverage flag.
func (c *calendar) isWorkday(d Day) bool {
	if e, ok := c.days[d]; ok {
		return e.kind == makeup
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// LastConfirmedYear is the last year whose official schedule is embedded.
// Callers can compare it with the current year to alert well before counts
// start running into unconfirmed days (in practice: refresh every December).
func LastConfirmedYear() int {
	return load().last
}

// IsWorkday reports whether d is a working day in China: a make-up working
// day, or a Monday to Friday that is not a holiday day off.
//
// confirmed is false when d's year is outside the embedded schedule (after
// LastConfirmedYear, or before 2004); workday is then a guess that only
// treats weekends as off, since the holidays of a year are unknown until the
// State Council publishes them. One more caveat: the last days of December
// can be changed by the following year's notice (the 2019 notice made
// 2018-12-29 a working day and 2018-12-30/31 days off), so late December of
// LastConfirmedYear is only final once the next year has been embedded.
func IsWorkday(d Day) (workday, confirmed bool) {
	c := load()
	d = d.Norm()
	return c.isWorkday(d), c.covers(d.Year)
}

// HolidayName names the holiday period d is a day off in, in Chinese (as in
// the State Council's notice: 春节, 国庆节, ...) and English, so that a
// delay or deadline can be explained to a merchant ("顺延: 国庆节").
//
// ok is true for every listed day off of a holiday period, including the
// weekend days and the days off in lieu inside it, not only the statutory
// days; it is false for make-up working days, ordinary weekends, working
// days and days outside the covered years. A few weekend days inside
// holiday periods of 2011-2015 are not listed by the source (see
// README.md); they are off as weekends all the same.
func HolidayName(d Day) (zh, en string, ok bool) {
	e, found := load().days[d.Norm()]
	if !found || e.kind != dayOff {
		return "", "", false
	}
	return e.zh, e.en, true
}

// AddWorkdays returns the instant n working days after t: the same China
// clock time on the n-th working day after t's China calendar day. This is
// how "takes effect 3 working days after approval" is applied:
//
//   - t's own day never counts, even if it is a working day, so an approval
//     at 09:00 and one at 23:59 on the same day get the same effective day;
//     and an approval on a holiday or weekend starts counting from the next
//     working day without any special case.
//   - Keeping the clock time, rather than rounding to the start or end of
//     the day, gives every approval the same length of notice whatever the
//     time it was made, and lands on a working day (for n ≥ 1) that a
//     merchant can find on a calendar.
//
// For example, on the 2026 schedule:
//
//   - approved Fri 2026-09-18 15:00: Sat 19 is off, Sun 20 is a make-up
//     working day (1), Mon 21 (2), Tue 22 (3): effective 2026-09-22 15:00;
//   - approved Fri 2026-09-25 15:00, itself a 中秋 day off: Mon 28 (1),
//     Tue 29 (2), Wed 30 (3): effective 2026-09-30 15:00;
//   - approved Wed 2026-09-30 15:00: 1-7 October are off (国庆节), Thu 8 (1),
//     Fri 9 (2), Sat 10 is a make-up working day (3): effective
//     2026-10-10 15:00.
//
// The result is in t's location, so that it prints the way t does; being a
// new instant, it carries no monotonic clock reading.
//
// confirmed is false if t's day or any day counted lies outside the embedded
// schedule (see IsWorkday): those days are counted with weekends as the only
// days off, so the result may be too early once that year's holidays are
// published. n = 0 returns t itself, confirmed if t's day is covered.
//
// AddWorkdays panics if n < 0: counting backwards has no use in the
// fulfilment rules and a negative n is a caller bug.
func AddWorkdays(t time.Time, n int) (time.Time, bool) {
	if n < 0 {
		panic(fmt.Sprintf("workdays: AddWorkdays with n = %d < 0", n))
	}
	c := load()
	d := DayOf(t)
	confirmed := c.covers(d.Year)
	if n == 0 {
		return t, confirmed
	}
	for n > 0 {
		d = d.next()
		if c.isWorkday(d) {
			n--
		}
	}
	confirmed = confirmed && c.covers(d.Year)
	ct := t.In(china)
	out := time.Date(d.Year, d.Month, d.Day, ct.Hour(), ct.Minute(), ct.Second(), ct.Nanosecond(), china)
	return out.In(t.Location()), confirmed
}
