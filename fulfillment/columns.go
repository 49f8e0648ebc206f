package fulfillment

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/fahuo/fahuo/models"
	"github.com/jackc/pgx/v5"
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
	allSafe := true
	for i, d := range dests(new(T)) {
		col := table + "." + names[i]
		list = append(list, col)
		s, ok := nullSafe(col, d)
		safe, allSafe = append(safe, s), allSafe && ok
	}
	c.list = strings.Join(list, ", ")
	if allSafe {
		c.nullSafe = strings.Join(safe, ", ")
	}
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
	list:  packageColumns.list + ", package_lines.id, package_lines.order_line_id, package_lines.quantity",
	dests: func(r *packageWithLine) []any {
		return append(packageColumns.dests(&r.Package), &r.LineID, &r.LineOrderLineID, &r.LineQuantity)
	},
}

// nullSafeList is a columns' nullSafe list, which a read that selects them
// from the missing side of an outer join needs: it stops the program at
// start when a column cannot be selected so.
func nullSafeList(list string) string {
	if list == "" {
		panic("fulfillment: a column list that an outer join needs null-safe is not")
	}
	return list
}

// linesJSON and packagesJSON are, on PostgreSQL, lateral joins of each row
// of orders with its lines (lines.lines) and with its packages and their
// lines (packages.packages) as JSON arrays, NULL for none. A line is an
// array of orderLineColumns in their order; a package an array of
// packageColumns followed by an array of its lines, each [id, order line
// id, quantity].
var (
	linesJSON = `CROSS JOIN LATERAL (SELECT json_agg(json_build_array(` + orderLineColumns.list + `) ORDER BY order_lines.line_no) AS lines
	FROM order_lines WHERE order_lines.shop_id = orders.shop_id AND order_lines.order_id = orders.id) AS lines`
	packagesJSON = `CROSS JOIN LATERAL (SELECT json_agg(json_build_array(` + packageColumns.list + `,
		(SELECT COALESCE(json_agg(json_build_array(package_lines.id, package_lines.order_line_id, package_lines.quantity)
			ORDER BY package_lines.id), '[]')
		FROM package_lines WHERE package_lines.shop_id = packages.shop_id AND package_lines.package_id = packages.id))
	ORDER BY packages.id) AS packages
	FROM packages WHERE packages.shop_id = orders.shop_id AND packages.order_id = orders.id) AS packages`
)

// detailStatements are orderDetailJSON's statements by their condition,
// with PostgreSQL's numbered placeholders: a handful, one per shape.
var detailStatements sync.Map

// detailStatement is the order-detail statement for a condition on orders
// written with ? placeholders. Its one column is the order's row as a JSON
// array (readOrderDetail).
func detailStatement(cond string) string {
	if s, ok := detailStatements.Load(cond); ok {
		return s.(string)
	}
	// One order, as Order takes one: numbers are unique within a shop only.
	s := numbered("SELECT json_build_array(" + orderColumns.list + ", lines.lines, packages.packages) FROM orders " +
		linesJSON + " " + packagesJSON + " WHERE " + cond + " ORDER BY orders.id LIMIT 1")
	detailStatements.Store(cond, s)
	return s
}

// numbered turns the ? placeholders of a statement into PostgreSQL's $1,
// $2, …. The statements it is given hold no ? in a literal.
func numbered(text string) string {
	var b strings.Builder
	n := 0
	for _, part := range strings.Split(text, "?") {
		if n > 0 {
			b.WriteString("$" + strconv.Itoa(n))
		}
		b.WriteString(part)
		n++
	}
	return b.String()
}

// rowsOf runs a statement whose text is ready, placeholders included,
// through gorm's row callbacks (so that it is logged, counted and its
// errors translated like any other) without gorm's builder, in ctx:
// gorm's WithContext would copy the session's statement once more.
func rowsOf(ctx context.Context, db *gorm.DB, text string, args ...any) (*sql.Rows, error) {
	return ready(ctx, db, text, args).Rows()
}

// queryRow is rowsOf for a statement that reads at most one row.
func queryRow(ctx context.Context, db *gorm.DB, text string, args ...any) *sql.Row {
	return ready(ctx, db, text, args).Row()
}

// ready is a statement of db with its text and arguments set.
func ready(ctx context.Context, db *gorm.DB, text string, args []any) *gorm.DB {
	tx := db.Raw("")
	tx.Statement.Context = ctx
	tx.Statement.SQL.WriteString(text)
	tx.Statement.Vars = append(tx.Statement.Vars, args...)
	return tx
}

// orderDetailJSON reads on PostgreSQL the one order a and ref select with
// its lines and its packages with theirs as one JSON value
// (detailStatement): the buyer's order in one statement, one row and one
// column, where joins would take two statements, and each statement costs
// more than the few rows it returns. The row's columns scanned one by one
// cost an allocation or two each (the driver's value, then its copy); the
// JSON is copied once into a pooled buffer and each value read from there
// straight into its field (jsonReader).
//
// The statement's text is the same for every request of one shape (the
// actor's scope, and an id or a number), so it is built once per shape
// (detailStatements) and sent as it is, through the multiplexer when the
// service has one (selectValue), else through rowsOf: gorm's builder would
// copy its two lateral joins byte by byte into every request's statement,
// a sixteenth of the whole read's CPU.
func (s *Service) orderDetailJSON(ctx context.Context, a Actor, ref OrderRef) (OrderDetail, bool, error) {
	scope, args, err := orderCondition(a)
	if err != nil {
		return OrderDetail{}, false, err
	}
	cond, arg, err := ref.condition()
	if err != nil {
		return OrderDetail{}, false, err
	}
	if scope != "" {
		cond = scope + " AND " + cond
	}
	buf := detailBuffers.Get().(*[]byte)
	defer detailBuffers.Put(buf)
	found, err := s.selectValue(ctx, detailStatement(cond), append(args, arg), buf)
	if err != nil || !found {
		return OrderDetail{}, false, err
	}
	d, err := readOrderDetail(*buf)
	if err != nil {
		return OrderDetail{}, false, fmt.Errorf("order detail: %w", err)
	}
	return d, true, nil
}

// detailBuffers hold orderDetailJSON's values while they are read; what
// is read from them is copied out.
var detailBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// readOrderDetail reads detailStatement's value: an array of orderColumns
// followed by the order's lines (linesJSON) and its packages with theirs
// (packagesJSON).
func readOrderDetail(src []byte) (OrderDetail, error) {
	d := OrderDetail{PackageLines: map[Key][]models.PackageLine{}}
	// Each package's last value is its lines, each [id, order line id,
	// quantity]; packages appended later have none.
	var pkgLines [][]models.PackageLine
	readPackageLines := func(r *jsonReader, _ int) error {
		var pl []models.PackageLine
		if err := r.begin(); err != nil {
			return err
		}
		for j := 0; ; j++ {
			more, err := r.more(j)
			if err != nil || !more {
				pkgLines = append(pkgLines, pl)
				return err
			}
			var l models.PackageLine
			if err := r.values(&l.ID, &l.OrderLineID, &l.Quantity); err != nil {
				return fmt.Errorf("package line: %w", err)
			}
			pl = append(pl, l)
		}
	}
	r := &jsonReader{src: src}
	err := readRow(r, orderColumns, &d.Order, func(r *jsonReader) (err error) {
		if d.Lines, err = readRows(r, orderLineColumns, nil); err != nil {
			return fmt.Errorf("lines: %w", err)
		}
		return nil
	}, func(r *jsonReader) (err error) {
		if d.Packages, err = readRows(r, packageColumns, readPackageLines); err != nil {
			return fmt.Errorf("packages: %w", err)
		}
		return nil
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return OrderDetail{}, err
	}
	if d.Lines == nil {
		d.Lines = []models.OrderLine{}
	}
	for i, p := range d.Packages {
		if p.Kind != models.PackageShipment {
			continue
		}
		for j := range pkgLines[i] {
			pkgLines[i][j].ShopID, pkgLines[i][j].PackageID = p.ShopID, p.ID
		}
		if pkgLines[i] == nil {
			pkgLines[i] = []models.PackageLine{}
		}
		d.PackageLines[Key{ShopID: p.ShopID, ID: p.ID}] = pkgLines[i]
	}
	return d, nil
}

// selectRow reads the one row of a read-only statement (text ready for the
// service's dialect) into dests, or returns sql.ErrNoRows. On PostgreSQL
// with a multiplexer it goes through it; otherwise through the pool, as
// queryRow.
func (s *Service) selectRow(ctx context.Context, text string, args []any, dests ...any) error {
	if s.reads == nil {
		return queryRow(ctx, s.db, text, args...).Scan(dests...)
	}
	return s.reads.Query(ctx, text, func(rows pgx.Rows) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		return rows.Scan(dests...)
	}, args...)
}

// selectValue reads into dst a copy of the first column of the first row
// of a read-only statement, and reports whether there was a row; as
// selectRow, through the multiplexer when there is one. It is for a value
// read in place afterwards (detailStatement's JSON).
func (s *Service) selectValue(ctx context.Context, text string, args []any, dst *[]byte) (bool, error) {
	found := false
	if s.reads == nil {
		rows, err := rowsOf(ctx, s.db, text, args...)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		if rows.Next() {
			var raw sql.RawBytes
			if err := rows.Scan(&raw); err != nil {
				return false, err
			}
			*dst, found = append((*dst)[:0], raw...), true
		}
		return found, rows.Close()
	}
	err := s.reads.Query(ctx, text, func(rows pgx.Rows) error {
		if rows.Next() {
			*dst, found = append((*dst)[:0], rows.RawValues()[0]...), true
		}
		return rows.Err()
	}, args...)
	return found, err
}
