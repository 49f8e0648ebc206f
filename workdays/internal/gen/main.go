// Command gen rebuilds workdays/data.json, the holiday calendar that package
// workdays embeds, from "dist/chinese-days.json" of the npm package
// chinese-days (github.com/vsme/chinese-days, MIT), which transcribes the
// State Council's yearly 国务院办公厅关于YYYY年部分节假日安排的通知.
//
// It is deliberately not wired to go:generate: its input is a downloaded
// npm tarball that is not kept in this repository. The State Council
// publishes the next year's schedule around November or December; once
// chinese-days has a release with it, refresh by hand, from the repository
// root:
//
//	tmp=$(mktemp -d)
//	(cd "$tmp" && npm pack chinese-days@1.5.7 && tar xzf chinese-days-1.5.7.tgz)
//	go run ./workdays/internal/gen -in "$tmp/package" -out workdays/data.json
//	git diff workdays/data.json
//	go test ./workdays/...
//
// Replace 1.5.7 with the new version. -in takes the extracted package
// directory or the JSON file itself. Then check the diff against the
// notice on gov.cn (every holiday and 上班 day of the new year, and that
// older years did not change), update wantLastYear in
// workdays/workdays_test.go and the source version and years in
// workdays/README.md.
//
// The output is deterministic: dates are sorted, written one per line with a
// fixed field order, so the same input always yields the same bytes and a
// refresh shows up in git as a line diff of the dates added or changed.
//
// The generator refuses input it does not understand rather than guessing:
// see Convert for the checks.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Entry is one dated line of data.json. The field order here is the order
// in the file. Make-up working days carry the name of the holiday they pay
// for, so that a reviewer can read the diff without the notice at hand.
type Entry struct {
	Date string `json:"date"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// Year groups a calendar year's entries. Dates are grouped by their own
// year, not by the notice that announced them: 2018-12-29 (worked) and
// 2018-12-30/31 (off) came with the 2019 notice but are listed under 2018.
type Year struct {
	Year     int     `json:"year"`
	Holidays []Entry `json:"holidays"`
	Workdays []Entry `json:"workdays"`
}

// Data is the whole of data.json. FirstYear and LastYear are stored even
// though they follow from Years, so that the covered range is visible at the
// top of the file and checked on load.
type Data struct {
	FirstYear int    `json:"firstYear"`
	LastYear  int    `json:"lastYear"`
	Years     []Year `json:"years"`
}

// maxMakeupGap is how far (in days) a make-up working day may lie from the
// nearest day off of the same holiday. The largest gap so far is 11 days
// (2026-09-20 for National Day); anything much larger is more likely a typo
// in the month than a real schedule. If a real notice exceeds it, check the
// notice and raise the limit.
const maxMakeupGap = 21

// dataFile is where chinese-days keeps its all-years JSON inside the
// extracted package.
const dataFile = "dist/chinese-days.json"

func main() {
	in := flag.String("in", "", "chinese-days package directory, or its "+dataFile+" (required)")
	out := flag.String("out", "workdays/data.json", "file to write")
	flag.Parse()
	if *in == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./workdays/internal/gen -in path/to/package [-out workdays/data.json]")
		os.Exit(2)
	}
	path := *in
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, filepath.FromSlash(dataFile))
	}
	src, err := os.ReadFile(path)
	if err != nil {
		fatal(err)
	}
	data, err := Convert(src)
	if err != nil {
		fatal(err)
	}
	enc := Encode(data)
	if err := os.WriteFile(*out, enc, 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %s: %d bytes, years %d-%d\n", *out, len(enc), data.FirstYear, data.LastYear)
	for _, y := range data.Years {
		fmt.Fprintf(os.Stderr, "gen:   %d: %2d days off, %2d make-up working days\n", y.Year, len(y.Holidays), len(y.Workdays))
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// name is a parsed chinese-days description, "National Day,国庆节,3".
type name struct {
	en, zh string
}

// day is one parsed date of the input.
type day struct {
	t    time.Time
	name name
}

// Convert turns chinese-days.json into Data. It is separate from main so
// that it can be tested on a small fixture without the npm tarball.
//
// The input is an object with exactly three members, each mapping
// "YYYY-MM-DD" to "English,中文,N" (N is the number of statutory days of
// that holiday, which we do not need and drop):
//
//   - holidays: every day off of a holiday period, weekends inside it
//     included;
//   - workdays: the make-up working days (调休上班);
//   - inLieuDays: the weekdays inside a holiday period that are off in
//     exchange for a make-up day. They are a subset of holidays and
//     change nothing for counting working days, so they are only checked.
//
// Convert rejects: unknown or missing members, duplicate keys (which
// encoding/json would silently collapse), dates not in canonical
// YYYY-MM-DD form, malformed names, an English name used with two Chinese
// names or the reverse, a date that is both off and a make-up working day,
// a make-up day that is not a Saturday or Sunday or lies more than
// maxMakeupGap days from that holiday's days off, an in-lieu day that is
// not a weekday day off of the same holiday, and a year in the covered
// range without 元旦 on 1 January, some 春节 days off or 国庆节 on 1 October
// (which would mean the year's schedule is missing or partial).
func Convert(src []byte) (Data, error) {
	sections, err := readSections(src)
	if err != nil {
		return Data{}, fmt.Errorf("parse input: %w", err)
	}
	parsed := map[string]map[string]day{}
	zhOf, enOf := map[string]string{}, map[string]string{}
	for _, sec := range []string{"holidays", "workdays", "inLieuDays"} {
		parsed[sec] = map[string]day{}
		for date, desc := range sections[sec] {
			t, err := parseDate(date)
			if err != nil {
				return Data{}, fmt.Errorf("%s: %w", sec, err)
			}
			n, err := parseName(desc)
			if err != nil {
				return Data{}, fmt.Errorf("%s %s: %w", sec, date, err)
			}
			if zh, ok := zhOf[n.en]; ok && zh != n.zh {
				return Data{}, fmt.Errorf("%s %s: %q is called %q elsewhere", sec, date, n.en, zh)
			}
			if en, ok := enOf[n.zh]; ok && en != n.en {
				return Data{}, fmt.Errorf("%s %s: %q is called %q elsewhere", sec, date, n.zh, en)
			}
			zhOf[n.en], enOf[n.zh] = n.zh, n.en
			parsed[sec][date] = day{t, n}
		}
	}
	holidays, workdays := parsed["holidays"], parsed["workdays"]

	offByName := map[string][]time.Time{}
	for _, h := range holidays {
		offByName[h.name.zh] = append(offByName[h.name.zh], h.t)
	}
	for date, w := range workdays {
		if _, ok := holidays[date]; ok {
			return Data{}, fmt.Errorf("%s is both a day off and a make-up working day", date)
		}
		if wd := w.t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return Data{}, fmt.Errorf("make-up working day %s is a %s; only weekend days are made up", date, wd)
		}
		gap := -1
		for _, h := range offByName[w.name.zh] {
			d := int(h.Sub(w.t).Abs().Hours() / 24)
			if gap < 0 || d < gap {
				gap = d
			}
		}
		if gap < 0 || gap > maxMakeupGap {
			return Data{}, fmt.Errorf("make-up working day %s (%s) is not within %d days of a %s day off", date, w.name.zh, maxMakeupGap, w.name.zh)
		}
	}
	for date, l := range parsed["inLieuDays"] {
		h, ok := holidays[date]
		if !ok || h.name != l.name {
			return Data{}, fmt.Errorf("in-lieu day %s (%s) is not a %s day off", date, l.name.zh, l.name.zh)
		}
		if wd := l.t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return Data{}, fmt.Errorf("in-lieu day %s is a %s; only weekdays are given in lieu", date, wd)
		}
	}
	if len(holidays) == 0 {
		return Data{}, errors.New("no holidays in input")
	}

	byYear := map[int]*Year{}
	add := func(list func(*Year) *[]Entry, date string, d day) {
		y := d.t.Year()
		if byYear[y] == nil {
			byYear[y] = &Year{Year: y, Holidays: []Entry{}, Workdays: []Entry{}}
		}
		l := list(byYear[y])
		*l = append(*l, Entry{Date: date, Zh: d.name.zh, En: d.name.en})
	}
	for date, d := range holidays {
		add(func(y *Year) *[]Entry { return &y.Holidays }, date, d)
	}
	for date, d := range workdays {
		add(func(y *Year) *[]Entry { return &y.Workdays }, date, d)
	}

	var data Data
	years := slices.Sorted(maps.Keys(byYear))
	data.FirstYear, data.LastYear = years[0], years[len(years)-1]
	for y := data.FirstYear; y <= data.LastYear; y++ {
		yr := byYear[y]
		if yr == nil {
			return Data{}, fmt.Errorf("%d: no dates at all, but years %d-%d are covered", y, data.FirstYear, data.LastYear)
		}
		byDate := func(a, b Entry) int { return strings.Compare(a.Date, b.Date) }
		slices.SortFunc(yr.Holidays, byDate)
		slices.SortFunc(yr.Workdays, byDate)
		if err := checkComplete(*yr, holidays); err != nil {
			return Data{}, err
		}
		data.Years = append(data.Years, *yr)
	}
	return data, nil
}

// checkComplete rejects a year whose schedule is evidently missing or
// partial, so that a half-transcribed new year cannot be marked confirmed.
func checkComplete(y Year, holidays map[string]day) error {
	if h, ok := holidays[fmt.Sprintf("%d-01-01", y.Year)]; !ok || h.name.zh != "元旦" {
		return fmt.Errorf("%d: 1 January is not a 元旦 day off; is the year's schedule missing?", y.Year)
	}
	if h, ok := holidays[fmt.Sprintf("%d-10-01", y.Year)]; !ok || h.name.zh != "国庆节" {
		return fmt.Errorf("%d: 1 October is not a 国庆节 day off; is the year's schedule missing?", y.Year)
	}
	if !slices.ContainsFunc(y.Holidays, func(e Entry) bool { return e.Zh == "春节" }) {
		return fmt.Errorf("%d: no 春节 days off; is the year's schedule missing?", y.Year)
	}
	return nil
}

// readSections decodes the top-level object by tokens rather than into a
// map, because encoding/json keeps the last of two duplicate keys without
// a word, and a duplicated date in a hand-maintained source is exactly the
// kind of mistake this generator is there to catch.
func readSections(src []byte) (map[string]map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "holidays", "workdays", "inLieuDays":
		default:
			return nil, fmt.Errorf("unknown member %q", key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("duplicate member %q", key)
		}
		m, err := readStringObject(dec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = m
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the object")
	}
	for _, key := range []string{"holidays", "workdays", "inLieuDays"} {
		if _, ok := out[key]; !ok {
			return nil, fmt.Errorf("missing member %q", key)
		}
	}
	return out, nil
}

// readStringObject reads one {"key": "value", ...} object, rejecting
// duplicate keys and non-string values.
func readStringObject(dec *json.Decoder) (map[string]string, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		val, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%s: value %v is not a string", key, tok)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("duplicate date %s", key)
		}
		m[key] = val
	}
	return m, expectDelim(dec, '}')
}

func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("unexpected %v", tok)
	}
	return key, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("got %v, want %v", tok, want)
	}
	return nil
}

// parseDate accepts only the canonical form, so that "2026-1-1" or
// "2026-02-30" is reported instead of being normalised into some other day.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return time.Time{}, fmt.Errorf("bad date %q", s)
	}
	return t, nil
}

// parseName splits "National Day,国庆节,3".
func parseName(desc string) (name, error) {
	parts := strings.Split(desc, ",")
	if len(parts) != 3 {
		return name{}, fmt.Errorf("description %q: want \"English,中文,days\"", desc)
	}
	en, zh, days := parts[0], parts[1], parts[2]
	if en == "" || strings.TrimSpace(en) != en || strings.ContainsFunc(en, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) {
		return name{}, fmt.Errorf("description %q: bad English name", desc)
	}
	if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) ||
		strings.ContainsFunc(zh, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsLetter(r) && r <= unicode.MaxASCII }) {
		return name{}, fmt.Errorf("description %q: bad Chinese name", desc)
	}
	if n, err := strconv.Atoi(days); err != nil || n < 1 || n > 9 || strconv.Itoa(n) != days {
		return name{}, fmt.Errorf("description %q: bad number of statutory days", desc)
	}
	return name{en: en, zh: zh}, nil
}

// Encode writes data with one date per line, so that a refresh is
// reviewable as a line diff. Its output depends only on data.
func Encode(data Data) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n\"firstYear\":%d,\n\"lastYear\":%d,\n\"years\":[\n", data.FirstYear, data.LastYear)
	for i, y := range data.Years {
		fmt.Fprintf(&b, "{\"year\":%d,\n", y.Year)
		writeList(&b, "holidays", y.Holidays)
		b.WriteString(",\n")
		writeList(&b, "workdays", y.Workdays)
		b.WriteString("}")
		if i < len(data.Years)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n}\n")
	return b.Bytes()
}

func writeList(b *bytes.Buffer, key string, list []Entry) {
	fmt.Fprintf(b, "%q:[", key)
	if len(list) == 0 {
		b.WriteString("]")
		return
	}
	b.WriteByte('\n')
	for i, e := range list {
		line, err := json.Marshal(e)
		if err != nil {
			// Entry has only strings: Marshal cannot fail.
			panic(err)
		}
		b.Write(line)
		if i < len(list)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]")
}

// Decode reads a file written by Encode. It exists for the test that checks
// the committed data.json is exactly what Encode would write.
func Decode(src []byte) (Data, error) {
	var data Data
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil {
		return Data{}, err
	}
	if dec.More() {
		return Data{}, errors.New("trailing data after the object")
	}
	return data, nil
}
