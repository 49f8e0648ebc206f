package fulfillment

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
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

// packagesJSON is, on PostgreSQL, a lateral join of each row of orders
// with its packages and their lines as one JSON array, packages.packages
// (NULL for none): a package is an array of packageColumns in their order
// followed by an array of its lines, each [id, order line id, quantity].
// Joined to the order before its lines, it is built once an order, not
// once a line.
var packagesJSON = `CROSS JOIN LATERAL (SELECT json_agg(json_build_array(` + packageColumns.list + `,
		(SELECT COALESCE(json_agg(json_build_array(package_lines.id, package_lines.order_line_id, package_lines.quantity)
			ORDER BY package_lines.id), '[]')
		FROM package_lines WHERE package_lines.shop_id = packages.shop_id AND package_lines.package_id = packages.id))
	ORDER BY packages.id) AS packages
	FROM packages WHERE packages.shop_id = orders.shop_id AND packages.order_id = orders.id) AS packages`

// orderDetailJSON reads on PostgreSQL the one order q selects joined with
// its lines, and its packages with theirs as JSON in the same rows
// (packagesJSON): the buyer's order in one statement, where the lines'
// join and the packages' join would take two, and each statement costs
// more than the few rows it returns.
func orderDetailJSON(q *gorm.DB) (OrderDetail, bool, error) {
	rs, err := q.Table("orders").Select(orderWithLineColumns.list + ", packages.packages").Joins(packagesJSON).
		Joins("LEFT JOIN order_lines ON order_lines.shop_id = orders.shop_id AND order_lines.order_id = orders.id").
		Order("orders.id, order_lines.line_no").Rows()
	if err != nil {
		return OrderDetail{}, false, err
	}
	var pkgs []*[]byte // each row's
	rows, err := scanRows(rs, orderWithLineColumns, func(*orderWithLine) []any {
		p := new([]byte)
		pkgs = append(pkgs, p)
		return []any{p}
	})
	if err != nil || len(rows) == 0 {
		return OrderDetail{}, false, err
	}
	// One order, as Order takes one: numbers are unique within a shop only.
	d := OrderDetail{Order: rows[0].Order, Lines: make([]models.OrderLine, 0, len(rows)), PackageLines: map[Key][]models.PackageLine{}}
	for _, r := range rows {
		if r.Line.ID != 0 && r.Order.ID == d.Order.ID {
			d.Lines = append(d.Lines, r.Line)
		}
	}
	if err := decodePackages(*pkgs[0], &d); err != nil {
		return OrderDetail{}, false, fmt.Errorf("order detail: packages: %w", err)
	}
	return d, true, nil
}

// decodePackages decodes packagesJSON into d's packages and package lines,
// as PackagesWithLines returns them.
func decodePackages(src []byte, d *OrderDetail) error {
	if len(src) == 0 {
		return nil // no packages: NULL
	}
	var raw [][]json.RawMessage
	if err := json.Unmarshal(src, &raw); err != nil {
		return err
	}
	for _, cols := range raw {
		var p models.Package
		dests := packageColumns.dests(&p)
		if len(cols) != len(dests)+1 {
			return fmt.Errorf("%d values for %d columns and the lines", len(cols), len(dests))
		}
		for i, dest := range dests {
			if err := json.Unmarshal(cols[i], dest); err != nil {
				return fmt.Errorf("%s: %w", packageColumns.names[i], err)
			}
			localTime(dest)
		}
		var lines [][3]int64
		if err := json.Unmarshal(cols[len(dests)], &lines); err != nil {
			return fmt.Errorf("lines: %w", err)
		}
		d.Packages = append(d.Packages, p)
		if p.Kind == models.PackageShipment {
			pk := Key{ShopID: p.ShopID, ID: p.ID}
			pl := make([]models.PackageLine, len(lines))
			for i, l := range lines {
				pl[i] = models.PackageLine{ID: l[0], ShopID: p.ShopID, PackageID: p.ID, OrderLineID: l[1], Quantity: l[2]}
			}
			d.PackageLines[pk] = pl
		}
	}
	return nil
}

// localTime puts a time decoded from JSON into the local zone, as the
// driver gives the times it scans.
func localTime(dest any) {
	switch t := dest.(type) {
	case *time.Time:
		*t = t.Local()
	case **time.Time:
		if *t != nil {
			local := (*t).Local()
			*t = &local
		}
	}
}
