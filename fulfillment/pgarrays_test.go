package fulfillment

import (
	"reflect"
	"testing"
	"time"

	"github.com/fahuo/fahuo/models"
	"github.com/jackc/pgx/v5/pgtype"
)

// Each column's array and type come from its values; NULLs make an array
// of pointers, and a column whose type cannot be told sends the rows as
// VALUES instead.
func TestColumnArrays(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	seven := int64(7)
	rows := [][]any{
		{int64(1), "a", models.PackageAppended, at, &seven, true},
		{2, "b", models.PackageShipment, &at, (*int64)(nil), false},
	}
	arrays, types, ok := columnArrays(rows, 6)
	if !ok || !reflect.DeepEqual(types, []string{"bigint", "text", "text", "timestamptz", "bigint", "boolean"}) {
		t.Fatalf("types %v, %v", types, ok)
	}
	want := []any{
		pgArray[int64]{pgtype.FlatArray[int64]{1, 2}},
		pgArray[string]{pgtype.FlatArray[string]{"a", "b"}},
		pgArray[string]{pgtype.FlatArray[string]{"APPENDED", "SHIPMENT"}},
		pgArray[time.Time]{pgtype.FlatArray[time.Time]{at, at}},
		pgArray[*int64]{pgtype.FlatArray[*int64]{&seven, nil}},
		pgArray[bool]{pgtype.FlatArray[bool]{true, false}},
	}
	if !reflect.DeepEqual(arrays, want) {
		t.Errorf("arrays %#v", arrays)
	}
	for _, bad := range [][][]any{{{nil}, {nil}}, {{int64(1)}, {"x"}}, {{1.5}}, {{"x"}, {3}}} {
		if arrays, _, ok := columnArrays(bad, 1); ok {
			t.Errorf("%v: %#v", bad, arrays)
		}
	}
}
