package fulfillment

import (
	"database/sql"
	"reflect"
	"strings"

	"github.com/fahuo/fahuo/models"
)

// The reads that every buyer's order and every page of the order list make
// scan their rows by hand. gorm's scanning allocates a value for every
// column of every row and sets the field through reflection: a fifth of
// the server's CPU on a page of 50 orders. A columns value pairs each column
// such a read selects with the field of the model it fills, in one list;
// TestColumnsReadWhatGormReads checks every list against the model and
// against gorm's own read of the same rows.
type columns[T any] struct {
	table string
	names []string
	dests func(*T) []any
	// list selects the columns; nullSafe selects them so that they scan
	// from the missing side of an outer join, and is empty when one of
	// them cannot (see nullSafe).
	list, nullSafe string
}

// newColumns makes the column list of table, whose column names[i] scans
// into dests(t)[i].
func newColumns[T any](table string, names []string, dests func(*T) []any) columns[T] {
	c := columns[T]{table: table, names: names, dests: dests}
	var list, safe []string
	for i, d := range dests(new(T)) {
		col := table + "." + names[i]
		list = append(list, col)
		if safe != nil || i == 0 {
			if s, ok := nullSafe(col, d); ok {
				safe = append(safe, s)
			} else {
				safe = nil
			}
		}
	}
	c.list, c.nullSafe = strings.Join(list, ", "), strings.Join(safe, ", ")
	return c
}

// nullSafe selects col so that it scans into dest even from the missing
// side of an outer join: a field that cannot hold NULL gets its zero. It
// fails for a type without a zero in SQL (a time that is not a pointer).
func nullSafe(col string, dest any) (string, bool) {
	switch reflect.TypeOf(dest).Elem().Kind() {
	case reflect.Pointer:
		return col, true
	case reflect.String:
		return "COALESCE(" + col + ", '')", true
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "COALESCE(" + col + ", 0)", true
	case reflect.Bool:
		return "COALESCE(" + col + ", FALSE)", true
	}
	return "", false
}

// scanRows scans every row of rows into a T, with extra destinations
// after the columns' own (extra(t) is called for each row, may be nil), and
// closes rows.
func scanRows[T any](rows *sql.Rows, c columns[T], extra func(*T) []any) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var t T
		dests := c.dests(&t)
		if extra != nil {
			dests = append(dests, extra(&t)...)
		}
		if err := rows.Scan(dests...); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

var orderColumns = newColumns("orders", []string{
	"id", "shop_id", "number", "buyer_id", "status", "recipient_name", "recipient_phone", "region_code", "region_name",
	"address_detail", "ship_from_region", "currency", "freight_cents", "total_cents", "paid_at", "promised_ship_by",
	"first_shipped_at", "shipped_at", "delivered_at", "closed_at", "refund_status", "refund_reason", "refund_requested_at",
	"created_at", "updated_at",
}, func(o *models.Order) []any {
	return []any{&o.ID, &o.ShopID, &o.Number, &o.BuyerID, &o.Status, &o.RecipientName, &o.RecipientPhone, &o.RegionCode, &o.RegionName,
		&o.AddressDetail, &o.ShipFromRegion, &o.Currency, &o.FreightCents, &o.TotalCents, &o.PaidAt, &o.PromisedShipBy,
		&o.FirstShippedAt, &o.ShippedAt, &o.DeliveredAt, &o.ClosedAt, &o.RefundStatus, &o.RefundReason, &o.RefundRequestedAt,
		&o.CreatedAt, &o.UpdatedAt}
})

var orderLineColumns = newColumns("order_lines", []string{
	"id", "shop_id", "order_id", "line_no", "product_id", "sku", "title", "quantity", "unit_price_cents", "spot_quantity",
	"promised_ship_by",
}, func(l *models.OrderLine) []any {
	return []any{&l.ID, &l.ShopID, &l.OrderID, &l.LineNo, &l.ProductID, &l.SKU, &l.Title, &l.Quantity, &l.UnitPriceCents, &l.SpotQuantity,
		&l.PromisedShipBy}
})

var packageColumns = newColumns("packages", []string{
	"id", "shop_id", "order_id", "kind", "append_seq", "carrier_code", "tracking_number", "status", "shipped_at",
	"delivered_at", "intercept_status", "picked_up_at", "status_at", "created_at",
}, func(p *models.Package) []any {
	return []any{&p.ID, &p.ShopID, &p.OrderID, &p.Kind, &p.AppendSeq, &p.CarrierCode, &p.TrackingNumber, &p.Status, &p.ShippedAt,
		&p.DeliveredAt, &p.InterceptStatus, &p.PickedUpAt, &p.StatusAt, &p.CreatedAt}
})

// orderWithLine is a row of an order joined with one of its lines.
type orderWithLine struct {
	models.Order
	Line models.OrderLine
}

// orderWithLineColumns select an order and, null-safe, one of its lines
// (a line of zero id where the order has none).
var orderWithLineColumns = columns[orderWithLine]{
	table: "orders",
	list:  orderColumns.list + ", " + nullSafeList(orderLineColumns.nullSafe),
	dests: func(r *orderWithLine) []any {
		return append(orderColumns.dests(&r.Order), orderLineColumns.dests(&r.Line)...)
	},
}

// packageWithLine is a row of a package joined with one of its lines, whose
// columns are NULL for a package without lines.
type packageWithLine struct {
	models.Package
	LineID, LineOrderLineID, LineQuantity *int64
}

var packageWithLineColumns = columns[packageWithLine]{
	table: "packages",
	dests: func(r *packageWithLine) []any {
		return append(packageColumns.dests(&r.Package), &r.LineID, &r.LineOrderLineID, &r.LineQuantity)
	},
}

func nullSafeList(list string) string {
	if list == "" {
		panic("fulfillment: a column list that an outer join needs null-safe is not")
	}
	return list
}
