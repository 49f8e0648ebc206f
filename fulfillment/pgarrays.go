package fulfillment

import (
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// A batch's rows go to PostgreSQL as one array per column, which the
// statement turns back into rows with unnest(CAST(? AS bigint[]), …). A
// multi-row VALUES list of a thousand rows had a placeholder and a boxed
// value per cell (11,000 for a thousand packages), a statement text of
// that length for gorm to build and PostgreSQL to parse anew for every
// chunk size, and the driver encoding each cell on its own; arrays make it
// a parameter per column and the same short text for every chunk.

// pgArray is one column's values. It is a struct, not a slice, so that
// gorm binds it as one parameter instead of spreading it into a list; pgx
// encodes it as an array (it is a pgtype.ArrayGetter through FlatArray).
type pgArray[T any] struct {
	pgtype.FlatArray[T]
}

// columnArrays turns rows of ncols values into one array per column and
// each column's PostgreSQL type. It fails (ok false) when a column's type
// cannot be told from its values: all of them untyped nils, or a type not
// listed here. A typed nil pointer ((*int64)(nil)) tells its type.
func columnArrays(rows [][]any, ncols int) (arrays []any, types []string, ok bool) {
	arrays, types = make([]any, ncols), make([]string, ncols)
	for j := range ncols {
		if arrays[j], types[j], ok = columnArray(rows, j); !ok {
			return nil, nil, false
		}
	}
	return arrays, types, true
}

func columnArray(rows [][]any, j int) (any, string, bool) {
	var first any
	for _, r := range rows {
		if r[j] != nil {
			first = r[j]
			break
		}
	}
	switch first.(type) {
	case int64, int, *int64:
		a, ok := fill(rows, j, func(v any) (int64, bool, bool) {
			switch v := v.(type) {
			case int64:
				return v, false, true
			case int:
				return int64(v), false, true
			case *int64:
				if v == nil {
					return 0, true, true
				}
				return *v, false, true
			}
			return 0, v == nil, v == nil
		})
		return a, "bigint", ok
	case time.Time, *time.Time:
		a, ok := fill(rows, j, func(v any) (time.Time, bool, bool) {
			switch v := v.(type) {
			case time.Time:
				return v, false, true
			case *time.Time:
				if v == nil {
					return time.Time{}, true, true
				}
				return *v, false, true
			}
			return time.Time{}, v == nil, v == nil
		})
		return a, "timestamptz", ok
	case bool:
		a, ok := fill(rows, j, func(v any) (bool, bool, bool) {
			b, isBool := v.(bool)
			return b, v == nil, isBool || v == nil
		})
		return a, "boolean", ok
	}
	if first == nil {
		return nil, "", false
	}
	if _, isPtr := first.(*string); isPtr || reflect.TypeOf(first).Kind() == reflect.String {
		// Strings, pointers to them, and the models' string types.
		a, ok := fill(rows, j, func(v any) (string, bool, bool) {
			switch v := v.(type) {
			case nil:
				return "", true, true
			case string:
				return v, false, true
			case *string:
				if v == nil {
					return "", true, true
				}
				return *v, false, true
			}
			rv := reflect.ValueOf(v)
			if rv.Kind() != reflect.String {
				return "", false, false
			}
			return rv.String(), false, true
		})
		return a, "text", ok
	}
	return nil, "", false
}

// fill makes column j's array with conv, which gives each value, whether it
// is NULL, and whether it fits. A column with a NULL becomes an array of
// pointers, nil for NULL.
func fill[T any](rows [][]any, j int, conv func(any) (T, bool, bool)) (any, bool) {
	vals := make([]T, len(rows))
	var nulls []bool
	for i, r := range rows {
		v, null, ok := conv(r[j])
		if !ok {
			return nil, false
		}
		if null && nulls == nil {
			nulls = make([]bool, len(rows))
		}
		if null {
			nulls[i] = true
		}
		vals[i] = v
	}
	if nulls == nil {
		return pgArray[T]{vals}, true
	}
	ptrs := make([]*T, len(rows))
	for i := range vals {
		if !nulls[i] {
			ptrs[i] = &vals[i]
		}
	}
	return pgArray[*T]{ptrs}, true
}

// unnestSQL is unnest(CAST(? AS t1[]), CAST(? AS t2[]), …) over types.
func unnestSQL(types []string) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("CAST(? AS " + t + "[])")
	}
	b.WriteString(")")
	return b.String()
}
