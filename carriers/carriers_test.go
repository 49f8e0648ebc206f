package carriers_test

import (
	"strings"
	"testing"

	"github.com/fahuo/fahuo/carriers"
)

// requiredCodes are the carriers the product promises to support; losing one
// would silently refuse every shipment sent with it.
var requiredCodes = []string{
	"SF", "YTO", "ZTO", "STO", "YUNDA", "JT", "EMS", "CHINA_POST", "JD", "DEPPON",
	"DHL", "FEDEX", "UPS",
}

var international = map[string]bool{"DHL": true, "FEDEX": true, "UPS": true}

func mustLookup(t *testing.T, code string) carriers.Carrier {
	t.Helper()
	c, ok := carriers.Lookup(code)
	if !ok {
		t.Fatalf("Lookup(%q): not found", code)
	}
	return c
}

func TestSamples(t *testing.T) {
	for _, c := range carriers.All() {
		t.Run(c.Code, func(t *testing.T) {
			for _, s := range c.Samples.Valid {
				t.Run("valid/"+s, func(t *testing.T) {
					if !c.Valid(s) {
						t.Errorf("%s.Valid(%q) = false (normalised %q), want true", c.Code, s, carriers.Normalize(s))
					}
				})
			}
			for _, s := range c.Samples.Invalid {
				t.Run("invalid/"+s, func(t *testing.T) {
					if c.Valid(s) {
						t.Errorf("%s.Valid(%q) = true (normalised %q), want false", c.Code, s, carriers.Normalize(s))
					}
				})
			}
		})
	}
}

func TestRequiredCarriersPresent(t *testing.T) {
	for _, code := range requiredCodes {
		c := mustLookup(t, code)
		if c.Code != code {
			t.Errorf("Lookup(%q).Code = %q", code, c.Code)
		}
	}
}

func TestDisplayOrder(t *testing.T) {
	all := carriers.All()
	if len(all) == 0 || all[0].Code != "SF" {
		t.Fatalf("first carrier should be SF, got %v", codes(all))
	}
	seenInternational := false
	for _, c := range all {
		if international[c.Code] {
			seenInternational = true
		} else if seenInternational {
			t.Errorf("domestic carrier %s listed after international ones: %v", c.Code, codes(all))
		}
	}
	// Stable: two calls give the same order.
	if a, b := strings.Join(codes(all), ","), strings.Join(codes(carriers.All()), ","); a != b {
		t.Errorf("All() order not stable: %s vs %s", a, b)
	}
}

func codes(cs []carriers.Carrier) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

func TestCarrierData(t *testing.T) {
	seenCodes := map[string]bool{}
	for _, c := range carriers.All() {
		t.Run(c.Code, func(t *testing.T) {
			if seenCodes[c.Code] {
				t.Errorf("duplicate code %s", c.Code)
			}
			seenCodes[c.Code] = true
			if c.NameZh == "" || c.NameEn == "" {
				t.Errorf("missing names: zh=%q en=%q", c.NameZh, c.NameEn)
			}
			if len(c.Aliases) == 0 {
				t.Error("no aliases")
			}
			if len(c.Sources) == 0 {
				t.Error("no sources")
			}
			if !strings.Contains(c.TrackingURLTemplate, "{number}") {
				t.Errorf("tracking URL template %q lacks {number}", c.TrackingURLTemplate)
			}
			if !strings.HasPrefix(c.TrackingURLTemplate, "https://") {
				t.Errorf("tracking URL template %q is not https", c.TrackingURLTemplate)
			}
			if n := len(c.Samples.Valid); n < 3 {
				t.Errorf("%d valid samples, want >= 3", n)
			}
			if n := len(c.Samples.Invalid); n < 3 {
				t.Errorf("%d invalid samples, want >= 3", n)
			}
			raw := false
			for _, s := range c.Samples.Valid {
				if carriers.Normalize(s) != s {
					raw = true
				}
			}
			if !raw {
				t.Error("no valid sample in non-normalised form (spaces, hyphens, lower case)")
			}
			for _, p := range c.Patterns {
				if !strings.HasPrefix(p.Regex, "^") || !strings.HasSuffix(p.Regex, "$") {
					t.Errorf("pattern %q not anchored", p.Regex)
				}
			}
		})
	}
}

func TestNoAliasCollisions(t *testing.T) {
	for _, c := range carriers.All() {
		names := append([]string{c.Code, c.NameZh, c.NameEn}, c.Aliases...)
		for _, name := range names {
			got, ok := carriers.Lookup(name)
			if !ok {
				t.Errorf("%s: Lookup(%q) found nothing", c.Code, name)
				continue
			}
			if got.Code != c.Code {
				t.Errorf("name %q is claimed by both %s and %s", name, got.Code, c.Code)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means not found
	}{
		{"SF", "SF"},
		{"sf", "SF"},
		{"  shunfeng\t", "SF"},
		{"SHUNFENG", "SF"},
		{"顺丰", "SF"},
		{"顺丰速运", "SF"},
		{"SF Express", "SF"},
		{"sf express", "SF"},
		{"ＳＦ", "SF"},
		{"yuantong", "YTO"},
		{"圆通速递", "YTO"},
		{"ZTO", "ZTO"},
		{"中通", "ZTO"},
		{"shentong", "STO"},
		{"YD", "YUNDA"},
		{"韵达快递", "YUNDA"},
		{"jtexpress", "JT"},
		{"JTSD", "JT"},
		{"J&T Express", "JT"},
		{"极兔速递", "JT"},
		{"ems", "EMS"},
		{"EMS", "EMS"},
		{"China Post", "CHINA_POST"},
		{"china_post", "CHINA_POST"},
		{"POSTB", "CHINA_POST"},
		{"youzhengguonei", "CHINA_POST"},
		{"邮政", "CHINA_POST"},
		{"jd", "JD"},
		{"京东物流", "JD"},
		{"JD Logistics", "JD"},
		{"debangkuaidi", "DEPPON"},
		{"debangwuliu", "DEPPON"},
		{"DBKD", "DEPPON"},
		{"德邦", "DEPPON"},
		{"HTKY", "BEST"},
		{"dhl", "DHL"},
		{"FedEx", "FEDEX"},
		{"联邦快递", "FEDEX"},
		{"ups", "UPS"},
		{"", ""},
		{"   ", ""},
		{"unknown-carrier", ""},
		{"顺风", ""}, // common typo for 顺丰; must not match anything by accident
		{"shunfengkuaiyun", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, ok := carriers.Lookup(tt.in)
			if tt.want == "" {
				if ok {
					t.Errorf("Lookup(%q) = %s, want not found", tt.in, c.Code)
				}
				return
			}
			if !ok || c.Code != tt.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tt.in, c.Code, ok, tt.want)
			}
		})
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	c := mustLookup(t, "SF")
	c.Aliases[0] = "tampered"
	c.Samples.Valid[0] = "tampered"
	all := carriers.All()
	all[0].Aliases = nil
	again := mustLookup(t, "SF")
	if again.Aliases[0] == "tampered" || again.Samples.Valid[0] == "tampered" || len(again.Aliases) == 0 {
		t.Fatal("mutating a returned Carrier changed the registry")
	}
	if _, ok := carriers.Lookup("tampered"); ok {
		t.Fatal("mutating a returned Carrier added an alias")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SF1234567890123", "SF1234567890123"},
		{"  sf1234567890123  ", "SF1234567890123"},
		{"sf 1234-5678 90123", "SF1234567890123"},
		{"SF\u30001234\u30005678\u300090123", "SF1234567890123"}, // ideographic spaces
		{"ＳＦ１２３４５６７８９０１２３", "SF1234567890123"},                   // full-width letters and digits
		{"jdva1140-8814-483", "JDVA11408814483"},
		{"1z_8v92.a703\t6720\n3024", "1Z8V92A70367203024"},
		{"SF\u200b1234567890123", "SF1234567890123"}, // zero-width space from copy-paste
		{"JT5091156768308－1", "JT50911567683081"},    // full-width hyphen
		{"7531—2345—6789—01", "75312345678901"},      // em dash
		{"", ""},
		{" \t\u3000 ", ""},
		{"SF123,SF456", "SF123,SF456"}, // keep commas: two numbers must not merge
		{"顺丰SF123", "顺丰SF123"},
	}
	for _, tt := range tests {
		if got := carriers.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidRejectsJunk(t *testing.T) {
	junk := []string{
		"",
		"   ",
		"\u3000",
		strings.Repeat("1", carriers.MaxNumberLen+1),
		"SF" + strings.Repeat("1", carriers.MaxNumberLen),
		"GM" + strings.Repeat("1", carriers.MaxNumberLen-1),
		"SF1234567890123!",
		"SF123456789/0123",
		"顺丰1234567890123",
		"SF1234567890123,SF1234567890124",
		"1234567890\x00",
		"ſF1234567890123", // long s would upper-case to S with unicode rules
	}
	for _, c := range carriers.All() {
		for _, s := range junk {
			if c.Valid(s) {
				t.Errorf("%s.Valid(%q) = true, want false", c.Code, s)
			}
		}
	}
}

func TestZeroCarrierAcceptsNothing(t *testing.T) {
	var c carriers.Carrier
	if c.Valid("SF1234567890123") {
		t.Error("zero Carrier accepted a number")
	}
	if got := c.TrackingURL("SF1234567890123"); got != "" {
		t.Errorf("zero Carrier TrackingURL = %q, want empty", got)
	}
}

func TestNeverGuessesCarrier(t *testing.T) {
	// The same number is judged by the carrier named, not by its shape.
	sf := mustLookup(t, "SF")
	jt := mustLookup(t, "JT")
	if !sf.Valid("SF1125346238243") || jt.Valid("SF1125346238243") {
		t.Error("SF number must be valid for SF and invalid for J&T")
	}
	ups := mustLookup(t, "UPS")
	if ups.Valid("SF1125346238243") {
		t.Error("SF number accepted as UPS")
	}
}

func TestTrackingURL(t *testing.T) {
	for _, c := range carriers.All() {
		t.Run(c.Code, func(t *testing.T) {
			for _, s := range c.Samples.Valid {
				n := carriers.Normalize(s)
				u := c.TrackingURL(s)
				if !strings.Contains(u, n) {
					t.Errorf("TrackingURL(%q) = %q, does not contain %q", s, u, n)
				}
				if strings.Contains(u, "{number}") {
					t.Errorf("TrackingURL(%q) = %q still has the placeholder", s, u)
				}
			}
			if got := c.TrackingURL("  "); got != "" {
				t.Errorf("TrackingURL of blank = %q, want empty", got)
			}
		})
	}

	sf := mustLookup(t, "SF")
	if got, want := sf.TrackingURL("sf 1234-5678 90123"), "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890123"; got != want {
		t.Errorf("SF TrackingURL = %q, want %q", got, want)
	}
	yto := mustLookup(t, "YTO")
	if got, want := yto.TrackingURL("YT7512345678901"), "https://www.kuaidi100.com/chaxun?com=yuantong&nu=YT7512345678901"; got != want {
		t.Errorf("YTO TrackingURL = %q, want %q", got, want)
	}
	// Whatever a caller passes, it must not be able to add query parameters
	// or path segments.
	if got, want := yto.TrackingURL("yt1&com=x/y#z?%"), "https://www.kuaidi100.com/chaxun?com=yuantong&nu=YT1%26COM%3DX%2FY%23Z%3F%25"; got != want {
		t.Errorf("TrackingURL not escaped: got %q, want %q", got, want)
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range carriers.All() {
		for _, s := range c.Samples.Valid {
			f.Add(c.Code, s)
		}
		for _, s := range c.Samples.Invalid {
			f.Add(c.Code, s)
		}
	}
	f.Add("SF", "\u3000ｓｆ\u200b１２３")
	f.Add("顺丰", strings.Repeat("9", 100))
	f.Fuzz(func(t *testing.T, name, number string) {
		c, _ := carriers.Lookup(name) // the zero Carrier must be safe too
		n := carriers.Normalize(number)
		if carriers.Normalize(n) != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", number, n, carriers.Normalize(n))
		}
		u := c.TrackingURL(number)
		if c.Valid(number) && !strings.Contains(u, n) {
			t.Fatalf("%s.TrackingURL(%q) = %q lacks %q", c.Code, number, u, n)
		}
		for _, other := range carriers.All() {
			if !other.Valid(number) {
				continue
			}
			if len(n) == 0 || len(n) > carriers.MaxNumberLen {
				t.Fatalf("%s accepted %q with normalised length %d", other.Code, number, len(n))
			}
			for i := 0; i < len(n); i++ {
				if (n[i] < '0' || n[i] > '9') && (n[i] < 'A' || n[i] > 'Z') {
					t.Fatalf("%s accepted %q, normalised %q has %q", other.Code, number, n, n[i])
				}
			}
		}
	})
}
