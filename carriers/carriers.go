// Package carriers knows the express carriers our merchants ship with and
// decides whether a (carrier, tracking number) pair is plausible before we
// accept it from a merchant or a print-and-ship tool.
//
// The check always runs against the carrier the sender names; it never guesses
// a carrier from the number, because Chinese waybill formats overlap (a
// 12-digit number can be SF, ZTO, STO, YTO or Best). Patterns are permissive on
// purpose: refusing a real number blocks a shipment, while letting a typo
// through only costs a failed tracking lookup later.
//
// All data lives in carriers.json, embedded into the binary, so that adding a
// carrier or widening a format is a data change reviewed together with its
// sources and samples.
package carriers

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// MaxNumberLen bounds a normalised tracking number. No format we know comes
// close; the bound stops pasted addresses or whole messages from reaching the
// regexes and the database.
const MaxNumberLen = 40

// Carrier is one express carrier. Values returned by All and Lookup are copies,
// so callers may keep or modify them without affecting the registry.
type Carrier struct {
	// Code is our own stable identifier (SCREAMING_SNAKE_CASE); store this,
	// not a third-party code, because partners rename theirs.
	Code string `json:"code"`
	// NameZh is shown to merchants and buyers.
	NameZh string `json:"nameZh"`
	// NameEn is used in English UIs and logs.
	NameEn string `json:"nameEn"`
	// Aliases are the codes and names other systems send us for this carrier
	// (kuaidi100, Cainiao, kdniao, WeChat, short Chinese names...).
	Aliases []string `json:"aliases"`
	// Patterns are the accepted formats, kept exported so that tooling and
	// documentation can show merchants what a number should look like.
	Patterns []Pattern `json:"patterns"`
	// TrackingURLTemplate is the buyer-facing tracking page with a {number}
	// placeholder.
	TrackingURLTemplate string `json:"trackingURL"`
	// Sources says where the formats come from, so the next person can
	// re-check them instead of trusting folklore.
	Sources []string `json:"sources"`
	// Samples pin the behaviour of the patterns; the tests run every one.
	Samples Samples `json:"samples"`

	rules []rule
}

// Pattern is one accepted number format of a carrier.
type Pattern struct {
	// Regex is anchored (^...$) and applied to the normalised number.
	Regex string `json:"regex"`
	// Checksum names a check-digit algorithm that must also hold ("ups" or
	// "s10"); empty when the format has none we trust.
	Checksum string `json:"checksum,omitempty"`
	// Note explains the format and why it is accepted.
	Note string `json:"note,omitempty"`
}

// Samples are example numbers that must be accepted (Valid) or refused
// (Invalid), written as people actually type them where useful.
type Samples struct {
	Valid   []string `json:"valid"`
	Invalid []string `json:"invalid"`
}

type rule struct {
	re    *regexp.Regexp
	check func(string) bool
}

//go:embed carriers.json
var carriersJSON []byte

type registry struct {
	list  []Carrier
	byKey map[string]int
	// shared holds a detached copy of every carrier by its code, for Shared.
	shared map[string]*Carrier
}

// The registry is built on first use rather than in init so that programs that
// import the package without using it pay nothing, and so that a broken data
// file fails loudly in the first test that touches it.
var load = sync.OnceValue(func() *registry {
	r, err := parse(carriersJSON)
	if err != nil {
		panic("carriers: invalid embedded carriers.json: " + err.Error())
	}
	return r
})

var codeRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func parse(data []byte) (*registry, error) {
	var file struct {
		About    string    `json:"about"`
		Carriers []Carrier `json:"carriers"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, err
	}
	r := &registry{byKey: make(map[string]int)}
	for i := range file.Carriers {
		c := file.Carriers[i]
		if !codeRE.MatchString(c.Code) {
			return nil, fmt.Errorf("carrier %q: code must be SCREAMING_SNAKE_CASE", c.Code)
		}
		if c.NameZh == "" || c.NameEn == "" {
			return nil, fmt.Errorf("carrier %s: nameZh and nameEn are required", c.Code)
		}
		if !strings.Contains(c.TrackingURLTemplate, "{number}") {
			return nil, fmt.Errorf("carrier %s: trackingURL must contain {number}", c.Code)
		}
		if len(c.Patterns) == 0 {
			return nil, fmt.Errorf("carrier %s: no patterns", c.Code)
		}
		for _, p := range c.Patterns {
			if !strings.HasPrefix(p.Regex, "^") || !strings.HasSuffix(p.Regex, "$") {
				return nil, fmt.Errorf("carrier %s: pattern %q must be written anchored (^...$)", c.Code, p.Regex)
			}
			// Wrapping guards against a top-level alternation such as
			// "^a|b$", which looks anchored but is not.
			re, err := regexp.Compile(`^(?:` + p.Regex + `)$`)
			if err != nil {
				return nil, fmt.Errorf("carrier %s: pattern %q: %w", c.Code, p.Regex, err)
			}
			var check func(string) bool
			switch p.Checksum {
			case "":
			case "ups":
				check = upsCheckDigitOK
			case "s10":
				check = s10CheckDigitOK
			default:
				return nil, fmt.Errorf("carrier %s: unknown checksum %q", c.Code, p.Checksum)
			}
			c.rules = append(c.rules, rule{re: re, check: check})
		}
		// The first carrier to claim a key keeps it. Collisions are a data
		// bug; the tests look every name up and report which carriers clash,
		// which is more useful than a panic naming only the first clash.
		for _, name := range c.names() {
			k := lookupKey(name)
			if k == "" {
				return nil, fmt.Errorf("carrier %s: empty name or alias", c.Code)
			}
			if _, taken := r.byKey[k]; !taken {
				r.byKey[k] = len(r.list)
			}
		}
		r.list = append(r.list, c)
	}
	r.shared = make(map[string]*Carrier, len(r.list))
	for _, c := range r.list {
		r.shared[c.Code] = new(c.clone())
	}
	return r, nil
}

func (c Carrier) names() []string {
	return append([]string{c.Code, c.NameZh, c.NameEn}, c.Aliases...)
}

// clone detaches the slices so that callers cannot edit the registry through
// a returned value.
func (c Carrier) clone() Carrier {
	c.Aliases = slices.Clone(c.Aliases)
	c.Patterns = slices.Clone(c.Patterns)
	c.Sources = slices.Clone(c.Sources)
	c.Samples.Valid = slices.Clone(c.Samples.Valid)
	c.Samples.Invalid = slices.Clone(c.Samples.Invalid)
	return c
}

// All returns every carrier in display order: Chinese majors first, then
// international carriers, so that pickers can show the list as is.
func All() []Carrier {
	r := load()
	out := make([]Carrier, len(r.list))
	for i, c := range r.list {
		out[i] = c.clone()
	}
	return out
}

// Lookup finds a carrier by our code, a partner code, or a Chinese or English
// name, because each upstream system sends its own spelling. Matching ignores
// case, surrounding space, full-width letters and the separators people put in
// names (space, "-", "_", "."), so "China Post", "china_post" and "CHINA_POST"
// are the same.
func Lookup(codeOrAlias string) (Carrier, bool) {
	k := lookupKey(codeOrAlias)
	if k == "" {
		return Carrier{}, false
	}
	r := load()
	i, ok := r.byKey[k]
	if !ok {
		return Carrier{}, false
	}
	return r.list[i].clone(), true
}

// Shared returns the carrier whose code (not alias or name) is code, as one
// value shared by every caller: for hot read paths, such as a page of
// packages, that would otherwise copy the carrier for each package. Read it;
// never modify it. Use Lookup for a copy of your own.
func Shared(code string) (*Carrier, bool) {
	c, ok := load().shared[code]
	return c, ok
}

// Valid reports whether number, once normalised, has a format this carrier
// issues. A zero Carrier accepts nothing, so a failed Lookup cannot turn into
// an accepted number.
func (c Carrier) Valid(number string) bool {
	n := Normalize(number)
	if n == "" || len(n) > MaxNumberLen || !isUpperAlnum(n) {
		return false
	}
	for _, r := range c.rules {
		if r.re.MatchString(n) && (r.check == nil || r.check(n)) {
			return true
		}
	}
	return false
}

// TrackingURL returns the buyer-facing tracking page for number, or "" when
// the number normalises to nothing. It does not call Valid: the caller decides
// whether to show a link for a number it has already accepted. The number is
// escaped so that a stray character can never change the URL's meaning.
func (c Carrier) TrackingURL(number string) string {
	n := Normalize(number)
	if n == "" || c.TrackingURLTemplate == "" {
		return ""
	}
	// QueryEscape is safe in both path and query positions (templates use
	// both). Normalize already drops spaces, so its "+" for space cannot
	// appear today; mapping it to %20 keeps path templates correct if that
	// ever changes (a literal "+" is escaped as %2B either way).
	esc := strings.ReplaceAll(url.QueryEscape(n), "+", "%20")
	return strings.ReplaceAll(c.TrackingURLTemplate, "{number}", esc)
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < '0' || b > '9') && (b < 'A' || b > 'Z') {
			return false
		}
	}
	return true
}
