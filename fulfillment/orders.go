package fulfillment

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaxPageSize caps every list page (API.md: at most 100 per page).
const MaxPageSize = 100

// OrderRef finds an order by its id or by its number; exactly one is set.
type OrderRef struct {
	ID     int64
	Number string
}

// where narrows q to the order the reference names, by id or by number:
// exactly one of them must be given.
func (ref OrderRef) where(q *gorm.DB) (*gorm.DB, error) {
	cond, arg, err := ref.condition()
	if err != nil {
		return nil, err
	}
	return q.Where(cond, arg), nil
}

// condition is the condition on orders that where adds, with its argument.
func (ref OrderRef) condition() (string, any, error) {
	switch {
	case ref.ID != 0 && ref.Number == "":
		return "orders.id = ?", ref.ID, nil
	case ref.ID == 0 && ref.Number != "":
		return "orders.number = ?", strings.TrimSpace(ref.Number), nil
	}
	return "", nil, models.Errorf(models.CodeInvalidArgument, "give either the order's id or its number")
}

// Key names a row of a shop-owned table (an order, a line, a package)
// together with its shop, so that batched reads stay inside the shops they
// belong to.
type Key struct {
	ShopID, ID int64
}

// KeyOf returns the order's key.
func KeyOf(o models.Order) Key { return Key{ShopID: o.ShopID, ID: o.ID} }

// orderScope limits a query of orders to what the actor may see: a shop's
// staff and tokens their shop's orders, a buyer their own, the platform all.
func orderScope(a Actor) (func(*gorm.DB) *gorm.DB, error) {
	cond, args, err := orderCondition(a)
	if err != nil {
		return nil, err
	}
	if cond == "" {
		return func(db *gorm.DB) *gorm.DB { return db }, nil
	}
	return func(db *gorm.DB) *gorm.DB { return db.Where(cond, args...) }, nil
}

// orderCondition is orderScope's condition on orders, with its arguments;
// "" when the actor sees every order. A tracking link sees its one order.
func orderCondition(a Actor) (string, []any, error) {
	if err := authorize(a, OpReadOrders); err != nil {
		return "", nil, err
	}
	switch {
	case a.Kind == ActorLink:
		return "orders.shop_id = ? AND orders.id = ?", []any{a.Link.ShopID, a.Link.ID}, nil
	case a.IsShopActor():
		return "orders.shop_id = ?", []any{a.ShopID}, nil
	case a.Role == models.RoleBuyer:
		return "orders.buyer_id = ?", []any{a.UserID}, nil
	case a.Role == models.RolePlatform:
		return "", nil, nil
	}
	return "", nil, models.Errorf(models.CodeForbidden, "your role may not read orders")
}

// Order returns one order the actor may see.
//
// Errors: NOT_FOUND when there is no such order or it is not the actor's to
// see (the two are not told apart); INVALID_ARGUMENT when neither or both of
// id and number are given.
func (s *Service) Order(ctx context.Context, a Actor, ref OrderRef) (models.Order, error) {
	q, err := s.orderQuery(ctx, a, ref)
	if err != nil {
		return models.Order{}, err
	}
	var o models.Order
	if err := q.Take(&o).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.Order{}, models.Errorf(models.CodeNotFound, "no such order")
		}
		return models.Order{}, err
	}
	return o, nil
}

// OrderDetail is one order with its lines, in line order, and its packages,
// in the order they were made, with the lines of each shipment.
type OrderDetail struct {
	Order    models.Order
	Lines    []models.OrderLine
	Packages []models.Package
	// PackageLines are keyed by package; every shipment has an entry,
	// appended packages (which carry no lines) have none.
	PackageLines map[Key][]models.PackageLine
}

// OrderDetail is Order with the order's lines and packages and the
// packages' lines: for reads that show them all, such as a buyer following
// an order or a merchant's order page. On PostgreSQL it is one statement
// (orderDetailJSON); on SQLite two (the order joined with its lines, then
// its packages joined with theirs). Errors as for Order.
func (s *Service) OrderDetail(ctx context.Context, a Actor, ref OrderRef) (OrderDetail, error) {
	if database.DialectOf(s.db) == database.Postgres {
		d, found, err := s.orderDetailJSON(ctx, a, ref)
		if err == nil && !found {
			err = models.Errorf(models.CodeNotFound, "no such order")
		}
		return d, err
	}
	q, err := s.orderQuery(ctx, a, ref)
	if err != nil {
		return OrderDetail{}, err
	}
	o, lines, found, err := withLines(q)
	if err != nil {
		return OrderDetail{}, err
	}
	if !found {
		return OrderDetail{}, models.Errorf(models.CodeNotFound, "no such order")
	}
	k := KeyOf(o)
	pkgs, plines, err := s.PackagesWithLines(ctx, a, []Key{k})
	if err != nil {
		return OrderDetail{}, err
	}
	return OrderDetail{Order: o, Lines: lines, Packages: pkgs[k], PackageLines: plines}, nil
}

// withLines reads the one order q selects joined with its lines, in line
// order, and tells whether there was one.
func withLines(q *gorm.DB) (models.Order, []models.OrderLine, bool, error) {
	rs, err := q.Table("orders").Select(orderWithLineColumns.list).
		Joins("LEFT JOIN order_lines ON order_lines.shop_id = orders.shop_id AND order_lines.order_id = orders.id").
		Order("orders.id, order_lines.line_no").Rows()
	if err != nil {
		return models.Order{}, nil, false, err
	}
	rows, err := scanRows(rs, orderWithLineColumns, nil)
	if err != nil {
		return models.Order{}, nil, false, err
	}
	if len(rows) == 0 {
		return models.Order{}, nil, false, nil
	}
	// One order, as Order takes one: numbers are unique within a shop only.
	lines := make([]models.OrderLine, 0, len(rows))
	for _, r := range rows {
		if r.Line.ID != 0 && r.Order.ID == rows[0].Order.ID {
			lines = append(lines, r.Line)
		}
	}
	return rows[0].Order, lines, true, nil
}

// orderQuery selects the one order ref names among those the actor may see.
func (s *Service) orderQuery(ctx context.Context, a Actor, ref OrderRef) (*gorm.DB, error) {
	scope, err := orderScope(a)
	if err != nil {
		return nil, err
	}
	return ref.where(s.db.WithContext(ctx).Scopes(scope))
}

// OrderFilter narrows the order list. The zero value lists every order the
// actor may see; set fields combine with AND.
type OrderFilter struct {
	Statuses []models.OrderStatus
	// PromisedFrom and PromisedTo bound promisedShipBy: From ≤ t < To.
	PromisedFrom, PromisedTo *time.Time
	ProductID                int64
	// RegionCode matches orders received in that region or below it.
	RegionCode     string
	Number         string
	TrackingNumber string
	BuyerID        int64
}

func (f OrderFilter) validate() error {
	if f.RegionCode != "" && !regions.Valid(f.RegionCode) {
		return models.FieldError(models.CodeInvalidRegion, []string{"filter", "regionCode"}, "%q is not a region code", f.RegionCode)
	}
	return nil
}

func (f OrderFilter) apply(db *gorm.DB) *gorm.DB {
	if len(f.Statuses) > 0 {
		db = db.Where("orders.status IN ?", f.Statuses)
	}
	if f.PromisedFrom != nil {
		db = db.Where("orders.promised_ship_by >= ?", f.PromisedFrom.UTC())
	}
	if f.PromisedTo != nil {
		db = db.Where("orders.promised_ship_by < ?", f.PromisedTo.UTC())
	}
	if f.ProductID != 0 {
		db = db.Where("EXISTS (SELECT 1 FROM order_lines l WHERE l.shop_id = orders.shop_id AND l.order_id = orders.id AND l.product_id = ?)", f.ProductID)
	}
	if f.RegionCode != "" {
		db = db.Where(regionCondition(f.RegionCode))
	}
	if f.Number != "" {
		db = db.Where("orders.number = ?", strings.TrimSpace(f.Number))
	}
	if f.TrackingNumber != "" {
		db = db.Where("EXISTS (SELECT 1 FROM packages p WHERE p.shop_id = orders.shop_id AND p.order_id = orders.id AND p.tracking_number = ?)",
			carriers.Normalize(f.TrackingNumber))
	}
	if f.BuyerID != 0 {
		db = db.Where("orders.buyer_id = ?", f.BuyerID)
	}
	return db
}

// regionCondition matches receiving regions at or below code. GB/T 2260
// codes nest by prefix (44 province, 4403 city, 440305 district), except
// the county-level cities directly under a province (429004 仙桃市), which
// have nothing below them and match exactly.
func regionCondition(code string) clause.Expr {
	r, _ := regions.Lookup(code)
	switch {
	case r.Level == regions.Province:
		return clause.Expr{SQL: "orders.region_code LIKE ?", Vars: []any{code[:2] + "%"}}
	case r.Level == regions.City && strings.HasSuffix(code, "00"):
		return clause.Expr{SQL: "orders.region_code LIKE ?", Vars: []any{code[:4] + "%"}}
	default:
		return clause.Expr{SQL: "orders.region_code = ?", Vars: []any{code}}
	}
}

// OrderPage is one page of orders, newest placed first.
type OrderPage struct {
	Orders      []models.Order
	HasNextPage bool
}

// Orders lists the orders the actor may see, newest placed first, first at a
// time (1 to 100) after the cursor of a previous page's last order. Paging is
// by key, not offset, so a page costs the same however deep it lies and
// orders placed meanwhile neither repeat nor vanish.
//
// Errors: INVALID_ARGUMENT for a page size out of range or a cursor this
// server did not issue.
func (s *Service) Orders(ctx context.Context, a Actor, f OrderFilter, first int, after string) (OrderPage, error) {
	scope, err := orderScope(a)
	if err != nil {
		return OrderPage{}, err
	}
	if first < 1 || first > MaxPageSize {
		return OrderPage{}, models.FieldError(models.CodeInvalidArgument, []string{"first"}, "page size must be 1 to %d", MaxPageSize)
	}
	if err := f.validate(); err != nil {
		return OrderPage{}, err
	}
	q := s.db.WithContext(ctx).Scopes(scope, f.apply)
	if after != "" {
		at, id, err := DecodeCursor(after)
		if err != nil {
			return OrderPage{}, err
		}
		q = q.Where("(orders.created_at < ? OR (orders.created_at = ? AND orders.id < ?))", at, at, id)
	}
	rows, err := q.Table("orders").Select(orderColumns.list).Order("orders.created_at DESC, orders.id DESC").Limit(first + 1).Rows()
	if err != nil {
		return OrderPage{}, err
	}
	orders, err := scanRows(rows, orderColumns, nil)
	if err != nil {
		return OrderPage{}, err
	}
	page := OrderPage{Orders: orders}
	if len(orders) > first {
		page.Orders, page.HasNextPage = orders[:first], true
	}
	return page, nil
}

// CountOrders counts the orders Orders would list with the same filter.
func (s *Service) CountOrders(ctx context.Context, a Actor, f OrderFilter) (int64, error) {
	scope, err := orderScope(a)
	if err != nil {
		return 0, err
	}
	if err := f.validate(); err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithContext(ctx).Model(&models.Order{}).Scopes(scope, f.apply).Count(&n).Error
	return n, err
}

// EncodeCursor makes the opaque cursor that points after o in the order list.
func EncodeCursor(o models.Order) string {
	raw := strconv.FormatInt(o.CreatedAt.UnixMicro(), 10) + ":" + strconv.FormatInt(o.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// encodeIDCursor makes the cursor of lists ordered by id alone.
func encodeIDCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

// EncodeAuditCursor makes the cursor that points after an audit entry.
func EncodeAuditCursor(e models.AuditEntry) string { return encodeIDCursor(e.ID) }

func decodeIDCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), "id:"); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
				return id, nil
			}
		}
	}
	return 0, models.FieldError(models.CodeInvalidArgument, []string{"after"}, "not a cursor of this list")
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(c string) (time.Time, int64, error) {
	bad := models.FieldError(models.CodeInvalidArgument, []string{"after"}, "not a cursor of this list")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, bad
	}
	ts, id, ok := strings.Cut(string(raw), ":")
	if !ok {
		return time.Time{}, 0, bad
	}
	micros, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(micros).UTC(), n, nil
}

// keysInScope drops the keys the actor may not reach, so that a batched
// read can never carry another shop's rows even if a caller mixed them in.
func keysInScope(a Actor, keys []Key) (shops []int64, ids []int64) {
	seen := map[int64]bool{}
	for _, k := range keys {
		if a.IsShopActor() && k.ShopID != a.ShopID {
			continue
		}
		if !seen[k.ShopID] {
			seen[k.ShopID] = true
			shops = append(shops, k.ShopID)
		}
		ids = append(ids, k.ID)
	}
	return shops, ids
}

// OrderLines returns the lines of the given orders, keyed by order, in
// line order: one statement for the whole batch. The orders must come from
// Order or Orders, which decided that the actor may see them.
func (s *Service) OrderLines(ctx context.Context, a Actor, keys []Key) (map[Key][]models.OrderLine, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key][]models.OrderLine, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.WithContext(ctx).Table("order_lines").Select(orderLineColumns.list).
		Where("order_lines.shop_id IN ? AND order_lines.order_id IN ?", shops, ids).
		Order("order_lines.order_id, order_lines.line_no").Rows()
	if err != nil {
		return nil, err
	}
	lines, err := scanRows(rows, orderLineColumns, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		k := Key{ShopID: l.ShopID, ID: l.OrderID}
		out[k] = append(out[k], l)
	}
	return out, nil
}

// Packages returns the packages of the given orders, keyed by order,
// shipment packages first and then appended ones in the order they were
// added: one statement for the whole batch.
func (s *Service) Packages(ctx context.Context, a Actor, keys []Key) (map[Key][]models.Package, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key][]models.Package, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var pkgs []models.Package
	if err := s.db.WithContext(ctx).Where("shop_id IN ? AND order_id IN ?", shops, ids).
		Order("order_id, id").Find(&pkgs).Error; err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		k := Key{ShopID: p.ShopID, ID: p.OrderID}
		out[k] = append(out[k], p)
	}
	return out, nil
}

// PackagesWithLines returns the packages of the given orders, keyed by
// order, and the lines of those packages, keyed by package: one statement
// (packages joined with their lines) where Packages and PackageLines take
// two, for reads that want both, such as a buyer following an order.
func (s *Service) PackagesWithLines(ctx context.Context, a Actor, keys []Key) (map[Key][]models.Package, map[Key][]models.PackageLine, error) {
	if _, err := orderScope(a); err != nil {
		return nil, nil, err
	}
	shops, ids := keysInScope(a, keys)
	pkgs := make(map[Key][]models.Package, len(ids))
	lines := map[Key][]models.PackageLine{}
	if len(ids) == 0 {
		return pkgs, lines, nil
	}
	rs, err := s.db.WithContext(ctx).Table("packages").
		Select(packageWithLineColumns.list).
		Joins("LEFT JOIN package_lines ON package_lines.shop_id = packages.shop_id AND package_lines.package_id = packages.id").
		Where("packages.shop_id IN ? AND packages.order_id IN ?", shops, ids).
		Order("packages.order_id, packages.id, package_lines.id").Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("packages with lines: %w", err)
	}
	rows, err := scanRows(rs, packageWithLineColumns, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("packages with lines: %w", err)
	}
	var last int64
	for _, r := range rows {
		p := r.Package
		pk := Key{ShopID: p.ShopID, ID: p.ID}
		if p.ID != last {
			last = p.ID
			k := Key{ShopID: p.ShopID, ID: p.OrderID}
			pkgs[k] = append(pkgs[k], p)
			if p.Kind == models.PackageShipment {
				lines[pk] = []models.PackageLine{}
			}
		}
		if r.LineID != nil {
			lines[pk] = append(lines[pk], models.PackageLine{ID: *r.LineID, ShopID: p.ShopID, PackageID: p.ID,
				OrderLineID: *r.LineOrderLineID, Quantity: *r.LineQuantity})
		}
	}
	return pkgs, lines, nil
}

// PackageLines returns the lines of the given packages, keyed by package:
// one statement for the whole batch.
func (s *Service) PackageLines(ctx context.Context, a Actor, keys []Key) (map[Key][]models.PackageLine, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key][]models.PackageLine, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var lines []models.PackageLine
	if err := s.db.WithContext(ctx).Where("shop_id IN ? AND package_id IN ?", shops, ids).
		Order("package_id, id").Find(&lines).Error; err != nil {
		return nil, fmt.Errorf("package lines: %w", err)
	}
	for _, l := range lines {
		k := Key{ShopID: l.ShopID, ID: l.PackageID}
		out[k] = append(out[k], l)
	}
	return out, nil
}

// ShopsByID returns the shops of orders the actor has read, keyed by id.
func (s *Service) ShopsByID(ctx context.Context, a Actor, ids []int64) (map[int64]models.Shop, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	var shops []models.Shop
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&shops).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]models.Shop, len(shops))
	for _, sh := range shops {
		out[sh.ID] = sh
	}
	return out, nil
}

// BuyersByID returns the buyers of orders the actor has read, keyed by id.
// Only the id and name are read: a shop has no business with a buyer's
// e-mail or password hash. A tracking link sees the name masked, as it sees
// the recipient.
func (s *Service) BuyersByID(ctx context.Context, a Actor, ids []int64) (map[int64]models.User, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	rows, err := s.db.WithContext(ctx).Table("users").Select("id, name").Where("id IN ? AND role = ?", ids, models.RoleBuyer).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]models.User, len(ids))
	for rows.Next() {
		u := models.User{Role: models.RoleBuyer}
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		if a.Kind == ActorLink {
			u.Name = MaskName(u.Name)
		}
		out[u.ID] = u
	}
	return out, rows.Err()
}

// OrderLinesByID returns order lines by their keys: one statement for the
// whole batch, for the lines that packages refer to.
func (s *Service) OrderLinesByID(ctx context.Context, a Actor, keys []Key) (map[Key]models.OrderLine, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key]models.OrderLine, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var lines []models.OrderLine
	if err := s.db.WithContext(ctx).Where("shop_id IN ? AND id IN ?", shops, ids).Find(&lines).Error; err != nil {
		return nil, err
	}
	for _, l := range lines {
		out[Key{ShopID: l.ShopID, ID: l.ID}] = l
	}
	return out, nil
}
