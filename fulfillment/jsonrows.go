package fulfillment

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// jsonReader reads the JSON that PostgreSQL's json_agg(json_build_array(…))
// writes for the order-detail statement (linesJSON, packagesJSON): arrays
// of rows, each an array of scalars and at most nested arrays of the same.
// It stores each scalar straight into the field its column scans into.
// encoding/json would first build a []any of json.Number and strings for
// every value, and that decoding was a fifteenth of the buyer's read.
//
// Strings without escapes are taken as they are; a string with escapes is
// decoded by encoding/json, which also checks it. Anything that is not
// JSON, or does not fit its field, is an error.
type jsonReader struct {
	src []byte
	pos int
}

// jsonScalar is one scalar value: its kind ('n' null, '"' string, '0'
// number, 't' or 'f' a boolean) and its text, a string's without its
// quotes and still escaped when escaped is set.
type jsonScalar struct {
	kind    byte
	raw     []byte
	escaped bool
}

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at byte %d: %s", r.pos, fmt.Sprintf(format, args...))
}

func (r *jsonReader) space() {
	for r.pos < len(r.src) {
		switch r.src[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// null reads a null if one comes next, and reports whether it did.
func (r *jsonReader) null() bool {
	r.space()
	if len(r.src)-r.pos >= 4 && string(r.src[r.pos:r.pos+4]) == "null" {
		r.pos += 4
		return true
	}
	return false
}

// begin reads the bracket that opens an array.
func (r *jsonReader) begin() error {
	r.space()
	if r.pos >= len(r.src) || r.src[r.pos] != '[' {
		return r.errorf("an array expected")
	}
	r.pos++
	return nil
}

// more reports whether the array being read holds an element i, reading
// the comma before it (none before element 0) or the closing bracket.
func (r *jsonReader) more(i int) (bool, error) {
	r.space()
	if r.pos >= len(r.src) {
		return false, r.errorf("the text ends inside an array")
	}
	switch c := r.src[r.pos]; {
	case c == ']':
		r.pos++
		return false, nil
	case i > 0 && c != ',':
		return false, r.errorf("%q where a comma or a bracket belongs", c)
	case i > 0:
		r.pos++
	}
	return true, nil
}

// end checks that nothing but space follows the value read.
func (r *jsonReader) end() error {
	r.space()
	if r.pos != len(r.src) {
		return r.errorf("text after the value")
	}
	return nil
}

// scalar reads one scalar value.
func (r *jsonReader) scalar() (jsonScalar, error) {
	r.space()
	if r.pos >= len(r.src) {
		return jsonScalar{}, r.errorf("a value expected")
	}
	start := r.pos
	switch c := r.src[r.pos]; {
	case c == '"':
		escaped := false
		for i := start + 1; i < len(r.src); i++ {
			switch r.src[i] {
			case '\\':
				escaped = true
				i++
			case '"':
				r.pos = i + 1
				return jsonScalar{kind: '"', raw: r.src[start+1 : i], escaped: escaped}, nil
			}
		}
		return jsonScalar{}, r.errorf("a string that does not end")
	case c == '-' || c >= '0' && c <= '9':
		i := start + 1
		for i < len(r.src) && isNumberByte(r.src[i]) {
			i++
		}
		r.pos = i
		return jsonScalar{kind: '0', raw: r.src[start:i]}, nil
	}
	for _, lit := range [...]string{"null", "true", "false"} {
		if len(r.src)-start >= len(lit) && string(r.src[start:start+len(lit)]) == lit {
			r.pos += len(lit)
			return jsonScalar{kind: lit[0], raw: r.src[start:r.pos]}, nil
		}
	}
	return jsonScalar{}, r.errorf("%q does not begin a value", r.src[start])
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// set reads one scalar into dest, as the driver would scan the column:
// times in the local zone, null as a nil pointer.
func (r *jsonReader) set(dest any) error {
	v, err := r.scalar()
	if err != nil {
		return err
	}
	return v.into(dest)
}

// values reads an array of exactly len(dests) scalars into dests.
func (r *jsonReader) values(dests ...any) error {
	return r.array(len(dests), func(i int) error { return r.set(dests[i]) })
}

// array reads an array of exactly n values, value(i) reading value i.
func (r *jsonReader) array(n int, value func(i int) error) error {
	if err := r.begin(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := r.more(i)
		if err != nil {
			return err
		}
		if more != (i < n) {
			return r.errorf("more or fewer values than the %d that belong", n)
		}
		if !more {
			return nil
		}
		if err := value(i); err != nil {
			return err
		}
	}
}

func (v jsonScalar) String() string {
	if v.kind == '"' {
		return `"` + string(v.raw) + `"`
	}
	return string(v.raw)
}

func (v jsonScalar) into(dest any) error {
	switch d := dest.(type) {
	case *int64:
		n, err := v.int64()
		*d = n
		return err
	case *string:
		s, err := v.string()
		*d = s
		return err
	case *time.Time:
		if v.kind != '"' || v.escaped {
			return fmt.Errorf("%s is not a time", v)
		}
		t, err := time.Parse(time.RFC3339Nano, string(v.raw))
		*d = t.Local()
		return err
	case **int64:
		if v.kind == 'n' {
			*d = nil
			return nil
		}
		*d = new(int64)
		return v.into(*d)
	case **time.Time:
		if v.kind == 'n' {
			*d = nil
			return nil
		}
		*d = new(time.Time)
		return v.into(*d)
	}
	// The models' string types.
	rv := reflect.ValueOf(dest).Elem()
	if rv.Kind() != reflect.String {
		return fmt.Errorf("%s does not go into a %s", v, rv.Type())
	}
	s, err := v.string()
	rv.SetString(s)
	return err
}

// int64 is an integer's value. Integers of up to 18 digits, all that the
// statement's ids and amounts reach, are added up by hand, without
// strconv's string.
func (v jsonScalar) int64() (int64, error) {
	if v.kind != '0' {
		return 0, fmt.Errorf("%s is not a number", v)
	}
	digits, neg := v.raw, false
	if digits[0] == '-' {
		digits, neg = digits[1:], true
	}
	if len(digits) == 0 || len(digits) > 18 {
		return strconv.ParseInt(string(v.raw), 10, 64)
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%s is not an integer", v)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

func (v jsonScalar) string() (string, error) {
	if v.kind != '"' {
		return "", fmt.Errorf("%s is not a string", v)
	}
	if !v.escaped {
		return string(v.raw), nil
	}
	var s string
	err := json.Unmarshal([]byte(v.String()), &s)
	return s, err
}

// readRows reads a JSON array of rows, or a JSON null for none: each row
// an array of c's columns in order followed by extra values; extra, when
// not nil, reads the one value that follows row i's columns.
func readRows[T any](r *jsonReader, c columns[T], extra func(r *jsonReader, i int) error) ([]T, error) {
	if r.null() {
		return nil, nil
	}
	if err := r.begin(); err != nil {
		return nil, err
	}
	var out []T
	for i := 0; ; i++ {
		more, err := r.more(i)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		out = append(out, *new(T))
		if extra == nil {
			err = readRow(r, c, &out[i])
		} else {
			err = readRow(r, c, &out[i], func(r *jsonReader) error { return extra(r, i) })
		}
		if err != nil {
			return nil, err
		}
	}
}

// readRow reads one row into t: an array of c's columns in order followed
// by one value for each of extras, which reads it.
func readRow[T any](r *jsonReader, c columns[T], t *T, extras ...func(r *jsonReader) error) error {
	dests := c.dests(t)
	return r.array(len(dests)+len(extras), func(j int) error {
		if j >= len(dests) {
			return extras[j-len(dests)](r)
		}
		if err := r.set(dests[j]); err != nil {
			return fmt.Errorf("%s.%s: %w", c.table, c.names[j], err)
		}
		return nil
	})
}
