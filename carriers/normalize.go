package carriers

import (
	"strings"
	"unicode"
)

// Normalize turns a tracking number as typed, pasted or printed into the form
// we store and check: full-width characters folded to ASCII, ASCII letters
// upper-cased, and whitespace, dashes, underscores, dots and invisible
// formatting characters removed. Labels print numbers in groups ("SF 1234
// 5678 90123") and Chinese input methods produce full-width characters, but
// the carrier's systems only know the bare form.
//
// Commas, slashes and other punctuation are kept, so that two numbers pasted
// together do not silently merge into one that might look valid. Non-ASCII
// letters are kept as they are (and then fail Valid) rather than being
// upper-cased into ASCII look-alikes.
func Normalize(number string) string {
	var b strings.Builder
	b.Grow(len(number))
	for _, r := range number {
		// Full-width forms (U+FF01..U+FF5E) mirror ASCII 0x21..0x7E.
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case isSeparator(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSeparator reports runes that people and label printers put between the
// groups of a number but that are never part of it.
func isSeparator(r rune) bool {
	switch r {
	case '_', '.', '·', '・', '\u2212': // underscore, dot, middle dots, minus sign
		return true
	}
	return unicode.IsSpace(r) || // includes U+3000 ideographic space and NBSP
		unicode.Is(unicode.Pd, r) || // '-' and every other dash
		unicode.Is(unicode.Cf, r) // zero-width space, BOM, bidi marks, soft hyphen
}

// lookupKey folds a carrier code or name for Lookup. It reuses Normalize so
// that names and numbers follow the same rules about case, width and
// separators.
func lookupKey(s string) string {
	return Normalize(s)
}
