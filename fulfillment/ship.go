package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// PackageInput is a package a merchant sends: a carrier (our code or any
// alias), a tracking number, and for shipments the lines it holds.
type PackageInput struct {
	Carrier        string
	TrackingNumber string
	Lines          []LineQuantity
}

// LineQuantity is how many units of an order line a package holds.
type LineQuantity struct {
	OrderLineID int64
	Quantity    int64
}

// ShipOrderInput ships an order in one or several packages.
type ShipOrderInput struct {
	Order          OrderRef
	Packages       []PackageInput
	IdempotencyKey string
}

// AppendInput appends packages to a shipped order.
type AppendInput struct {
	Order          OrderRef
	Packages       []PackageInput
	IdempotencyKey string
}

// maxPackagesPerRequest bounds one shipOrder or appendPackages call.
const maxPackagesPerRequest = 50

// lockOrder reads an order of the actor's shop and locks it for the rest of
// the transaction (order first, then its packages: the one lock order).
func lockOrder(tx *gorm.DB, a Actor, ref OrderRef) (models.Order, error) {
	q, err := lockedOrderQuery(tx, a, ref)
	if err != nil {
		return models.Order{}, err
	}
	var o models.Order
	if err := q.Take(&o).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return o, models.Errorf(models.CodeNotFound, "no such order in your shop")
		}
		return o, err
	}
	return o, nil
}

// lockOrderWithLines is lockOrder that also reads the order's lines, in the
// same statement: shipping needs them to know what remains.
func lockOrderWithLines(tx *gorm.DB, a Actor, ref OrderRef) (models.Order, []models.OrderLine, error) {
	q, err := lockedOrderQuery(tx, a, ref)
	if err != nil {
		return models.Order{}, nil, err
	}
	o, lines, found, err := withLines(q)
	if err == nil && !found {
		err = models.Errorf(models.CodeNotFound, "no such order in your shop")
	}
	return o, lines, err
}

// lockedOrderQuery selects the actor's shop's order that ref names, locking
// the order's row (and no joined table's) until the transaction ends.
func lockedOrderQuery(tx *gorm.DB, a Actor, ref OrderRef) (*gorm.DB, error) {
	return ref.where(tx.Clauses(lockOrderRows).Where("orders.shop_id = ?", a.ShopID))
}

// shippable checks S1 and S6 on an order about to ship.
func shippable(o models.Order) *models.Error {
	switch {
	case o.Status == models.OrderClosed:
		return models.Errorf(models.CodeOrderClosed, "order %s is closed", o.Number)
	case o.Status == models.OrderShipped || o.Status == models.OrderDelivered:
		return models.Errorf(models.CodeOrderAlreadyShipped, "order %s is fully shipped; append a package instead", o.Number)
	case o.RefundStatus == models.RefundRequested:
		return models.Errorf(models.CodeAfterSaleInProgress, "order %s has a refund request in progress", o.Number)
	}
	return nil
}

// appendable checks A1 and A2 on an order about to get appended packages.
func appendable(o models.Order, now time.Time) *models.Error {
	switch o.Status {
	case models.OrderPendingShipment:
		return models.Errorf(models.CodeOrderNotShipped, "order %s has not shipped; ship it first", o.Number)
	case models.OrderPartiallyShipped:
		return models.Errorf(models.CodeOrderPartiallyShipped, "order %s is partially shipped; finish shipping it first", o.Number)
	case models.OrderClosed:
		return models.Errorf(models.CodeOrderClosed, "order %s is closed", o.Number)
	}
	if o.ShippedAt == nil || now.After(o.ShippedAt.Add(models.AppendWindow)) {
		return models.Errorf(models.CodeAppendWindowExpired, "order %s shipped more than 30 days ago", o.Number)
	}
	return nil
}

// remainingUnits returns, per order line, the units not yet in a shipment
// package, for the given orders: of lines, or, when lines is nil, of the
// orders' lines read here. When none of the orders has ever been shipped
// (no first shipment, which S5 never unsets), every unit remains and the
// shipped units are not read.
func remainingUnits(tx *gorm.DB, shopID int64, orderIDs []int64, lines []models.OrderLine, everShipped bool) (map[int64][]models.OrderLine, map[int64]int64, error) {
	if lines == nil {
		if err := tx.Where("shop_id = ? AND order_id IN ?", shopID, orderIDs).Order("order_id, line_no").Find(&lines).Error; err != nil {
			return nil, nil, err
		}
	}
	var shipped []struct {
		OrderLineID int64
		Units       int64
	}
	if everShipped {
		if err := scanAll(tx.Table("package_lines").Select("package_lines.order_line_id, SUM(package_lines.quantity) AS units").
			Joins("JOIN order_lines ON order_lines.shop_id = package_lines.shop_id AND order_lines.id = package_lines.order_line_id").
			Where("order_lines.shop_id = ? AND order_lines.order_id IN ?", shopID, orderIDs).
			Group("package_lines.order_line_id"), &shipped); err != nil {
			return nil, nil, err
		}
	}
	byOrder := map[int64][]models.OrderLine{}
	remaining := map[int64]int64{}
	for _, l := range lines {
		byOrder[l.OrderID] = append(byOrder[l.OrderID], l)
		remaining[l.ID] = l.Quantity
	}
	for _, s := range shipped {
		remaining[s.OrderLineID] -= s.Units
	}
	return byOrder, remaining, nil
}

// ShipOrder ships an order in one or several packages (DOMAIN.md §3). Each
// package lists the lines and quantities it holds; one package listing none
// ships everything that remains. The order becomes PARTIALLY_SHIPPED or
// SHIPPED; firstShippedAt is set by the first shipment and never moves (S5).
// Sending the very same shipment again (the same carriers and numbers, all
// already on the order) answers with the order as it stands, because
// print-and-ship tools retry blindly; with an idempotency key, a retry
// answers with the first result.
//
// Errors: FORBIDDEN for roles other than owner and shipper; NOT_FOUND for
// an order not in the actor's shop; ORDER_CLOSED, ORDER_ALREADY_SHIPPED (S1);
// AFTER_SALE_IN_PROGRESS (S6); UNKNOWN_CARRIER, INVALID_TRACKING_NUMBER (S2);
// QUANTITY_EXCEEDS_ORDERED (S3); TRACKING_NUMBER_IN_USE (S4);
// INVALID_ARGUMENT for no packages, more than 50, a line of another order,
// a quantity under 1, or a package without lines among several.
func (s *Service) ShipOrder(ctx context.Context, a Actor, in ShipOrderInput) (models.Order, []models.Package, error) {
	return s.packageChange(ctx, a, OpShipOrder, in.Order, in.IdempotencyKey, in.Packages, models.PackageShipment,
		func(tx *gorm.DB, o *models.Order, lines []models.OrderLine, rows []*packageRow, now time.Time) (bool, bool, error) {
			if repeat, err := sameShipmentAgain(tx, *o, rows); err != nil || repeat {
				return false, repeat, err
			}
			if err := shippable(*o); err != nil {
				return false, false, err
			}
			byOrder, remaining, err := remainingUnits(tx, o.ShopID, []int64{o.ID}, lines, o.FirstShippedAt != nil)
			if err != nil {
				return false, false, err
			}
			if err := allocateLines(rows, in.Packages, byOrder[o.ID], remaining); err != nil {
				return false, false, err
			}
			if err := s.claimWaybills(tx, rows, now); err != nil {
				return false, false, err
			}
			if err := firstRefusal(rows); err != nil {
				return false, false, err
			}
			full := true
			for _, l := range byOrder[o.ID] {
				if remaining[l.ID] > 0 {
					full = false
				}
			}
			return full, false, nil
		})
}

// packageChange runs a mutation that adds packages to one order: it checks
// the idempotency key and the number of packages, locks the order, answers
// a retried key with the first result, names each package's carrier and
// number (S2), lets check judge the rules of the operation (and claim the
// numbers), then writes the packages and, for shipments, the order's new
// state. A repeat that check recognises (it returns without claiming)
// answers with the order as it stands.
func (s *Service) packageChange(ctx context.Context, a Actor, op Operation, ref OrderRef, key string, in []PackageInput,
	kind models.PackageKind, check func(tx *gorm.DB, o *models.Order, lines []models.OrderLine, rows []*packageRow, now time.Time) (full, repeat bool, err error)) (models.Order, []models.Package, error) {
	var (
		o       models.Order
		created []models.Package
	)
	e := &audit{op: op}
	if err := validIdempotencyKey(key); err != nil {
		return o, nil, s.refuse(ctx, a, e, err)
	}
	if len(in) == 0 || len(in) > maxPackagesPerRequest {
		return o, nil, s.refuse(ctx, a, e, models.FieldError(models.CodeInvalidArgument, []string{"packages"}, "1 to %d packages per request", maxPackagesPerRequest))
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		created = nil
		var err error
		// A shipment needs the order's lines; they come with the lock.
		var lines []models.OrderLine
		if kind == models.PackageShipment {
			o, lines, err = lockOrderWithLines(tx, a, ref)
		} else {
			o, err = lockOrder(tx, a, ref)
		}
		if err != nil {
			return err
		}
		e.object("Order", o.ID)
		now := s.clock.Now()
		if _, seen, err := claimIdempotencyKey(tx, a, op, key, o.ShopID, now); err != nil || seen {
			return err
		}
		rows := make([]*packageRow, len(in))
		seen := map[waybillKey]int{}
		for i, p := range in {
			if kind == models.PackageAppended && len(p.Lines) > 0 {
				return models.FieldError(models.CodeInvalidArgument, []string{"packages", fmt.Sprint(i), "lines"}, "appended packages carry no order lines")
			}
			c, n, perr := resolveCarrier(p.Carrier, p.TrackingNumber)
			if perr != nil {
				return prefixed(perr, "packages", fmt.Sprint(i))
			}
			rows[i] = &packageRow{index: i, order: &o, carrier: c, number: n, kind: kind}
			if j, dup := seen[rows[i].key()]; dup {
				return models.FieldError(models.CodeTrackingNumberInUse, []string{"packages", fmt.Sprint(i), "trackingNumber"},
					"%s %s is given twice (packages %d and %d)", c.NameZh, n, j+1, i+1)
			}
			seen[rows[i].key()] = i
		}
		full, repeat, err := check(tx, &o, lines, rows, now)
		if err != nil || repeat {
			return err
		}
		if err := insertPackages(tx, rows, a, now, &e.pending); err != nil {
			return err
		}
		for _, r := range rows {
			created = append(created, r.pkg)
		}
		if kind == models.PackageShipment {
			markShipped(&o, full, now, &e.pending)
		}
		settleIdempotencyKey(&e.pending, a, op, key, o.ID)
		return nil
	})
	if err != nil {
		return models.Order{}, nil, err
	}
	if created == nil {
		// A repeat or a replayed key: answer with the order as it stands.
		o, err = s.Order(ctx, a, OrderRef{ID: o.ID})
	}
	return o, created, err
}

// firstRefusal returns the first row's refusal, pointed at its package.
func firstRefusal(rows []*packageRow) error {
	for i, r := range rows {
		if r.err != nil {
			return prefixed(r.err, "packages", fmt.Sprint(i))
		}
	}
	return nil
}

// sameShipmentAgain tells whether every package asked for is already a
// shipment package of the order (a blind retry).
func sameShipmentAgain(tx *gorm.DB, o models.Order, rows []*packageRow) (bool, error) {
	if o.Status == models.OrderPendingShipment {
		return false, nil
	}
	var have []struct{ CarrierCode, TrackingNumber string }
	if err := tx.Model(&models.Package{}).Select("carrier_code, tracking_number").
		Where("shop_id = ? AND order_id = ? AND kind = ?", o.ShopID, o.ID, models.PackageShipment).Scan(&have).Error; err != nil {
		return false, err
	}
	for _, r := range rows {
		if !slices.ContainsFunc(have, func(h struct{ CarrierCode, TrackingNumber string }) bool {
			return h.CarrierCode == r.carrier.Code && h.TrackingNumber == r.number
		}) {
			return false, nil
		}
	}
	return true, nil
}

// allocateLines checks S3 and fills each row's lines: one package with no
// lines takes everything that remains; otherwise each package lists its
// lines, and no line may go past what remains of it.
func allocateLines(rows []*packageRow, in []PackageInput, lines []models.OrderLine, remaining map[int64]int64) error {
	if len(in) == 1 && len(in[0].Lines) == 0 {
		for _, l := range lines {
			if remaining[l.ID] > 0 {
				rows[0].lines = append(rows[0].lines, models.PackageLine{OrderLineID: l.ID, Quantity: remaining[l.ID]})
				remaining[l.ID] = 0
			}
		}
		return nil
	}
	ofOrder := map[int64]bool{}
	for _, l := range lines {
		ofOrder[l.ID] = true
	}
	for i, p := range in {
		if len(p.Lines) == 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"packages", fmt.Sprint(i), "lines"}, "when an order ships in several packages, each lists its lines")
		}
		for j, lq := range p.Lines {
			field := []string{"packages", fmt.Sprint(i), "lines", fmt.Sprint(j)}
			switch {
			case !ofOrder[lq.OrderLineID]:
				return models.FieldError(models.CodeInvalidArgument, append(field, "orderLineId"), "not a line of this order")
			case lq.Quantity < 1:
				return models.FieldError(models.CodeInvalidArgument, append(field, "quantity"), "a quantity is at least 1")
			case lq.Quantity > remaining[lq.OrderLineID]:
				return models.FieldError(models.CodeQuantityExceedsOrdered, append(field, "quantity"),
					"%d units asked, %d of the line left to ship", lq.Quantity, max(0, remaining[lq.OrderLineID]))
			}
			remaining[lq.OrderLineID] -= lq.Quantity
			rows[i].lines = append(rows[i].lines, models.PackageLine{OrderLineID: lq.OrderLineID, Quantity: lq.Quantity})
		}
	}
	return nil
}

// markShipped moves the order to PARTIALLY_SHIPPED or SHIPPED: it queues on
// w a conditional update that must change exactly the one row it read, so a
// forgotten lock could never let two shipments both win.
func markShipped(o *models.Order, full bool, now time.Time, w *writes) {
	from := o.Status
	set := "status = ?, updated_at = ?"
	o.Status = models.OrderPartiallyShipped
	args := []any{string(o.Status), now}
	if full {
		o.Status, o.ShippedAt = models.OrderShipped, &now
		args[0] = string(o.Status)
		set += ", shipped_at = ?"
		args = append(args, now)
	}
	if o.FirstShippedAt == nil {
		o.FirstShippedAt = &now
		set += ", first_shipped_at = ?"
		args = append(args, now)
	}
	o.UpdatedAt = now
	number := o.Number
	w.add(func(affected int64) error {
		if affected != 1 {
			return models.Errorf(models.CodeOrderAlreadyShipped, "order %s changed meanwhile; read it again", number)
		}
		return nil
	}, "UPDATE orders SET "+set+" WHERE shop_id = ? AND id = ? AND status = ?", append(args, o.ShopID, o.ID, string(from))...)
}

// AppendPackages adds packages to a fully shipped order (DOMAIN.md §4): a
// forgotten item, a gift, a replacement. They carry no lines and play no
// part in after-sales or timeliness (A5).
//
// Errors: FORBIDDEN for roles other than owner and shipper; NOT_FOUND;
// ORDER_NOT_SHIPPED, ORDER_PARTIALLY_SHIPPED, ORDER_CLOSED (A1);
// APPEND_WINDOW_EXPIRED past 30 days after the order became fully shipped
// (A2); APPEND_LIMIT_REACHED past 20 appended packages (A3);
// UNKNOWN_CARRIER, INVALID_TRACKING_NUMBER, TRACKING_NUMBER_IN_USE (A6);
// INVALID_ARGUMENT for no packages, more than 50, or lines on a package.
func (s *Service) AppendPackages(ctx context.Context, a Actor, in AppendInput) (models.Order, []models.Package, error) {
	return s.packageChange(ctx, a, OpAppendPackages, in.Order, in.IdempotencyKey, in.Packages, models.PackageAppended,
		func(tx *gorm.DB, o *models.Order, _ []models.OrderLine, rows []*packageRow, now time.Time) (bool, bool, error) {
			appendRows(tx, rows, now)
			if err := s.settleAppends(tx, rows, now); err != nil {
				return false, false, err
			}
			return false, false, firstRefusal(rows)
		})
}

// appendRows checks A1 and A2 for each row; appendSeqs then numbers them.
func appendRows(tx *gorm.DB, rows []*packageRow, now time.Time) {
	for _, r := range rows {
		if err := appendable(*r.order, now); err != nil {
			r.fail(err)
		}
	}
}

// settleAppends claims the rows' numbers (A6/S4) and then numbers the
// appended packages of each order in row order, refusing those past the
// 20th (A3). Numbers of rows refused for the limit are released again.
func (s *Service) settleAppends(tx *gorm.DB, rows []*packageRow, now time.Time) error {
	if err := s.claimWaybills(tx, rows, now); err != nil {
		return err
	}
	var ids []int64
	var shopID int64
	seen := map[int64]bool{}
	for _, r := range rows {
		if r.err == nil && !seen[r.order.ID] {
			seen[r.order.ID] = true
			ids = append(ids, r.order.ID)
			shopID = r.order.ShopID
		}
	}
	if len(ids) == 0 {
		return nil
	}
	next := map[int64]int64{}
	for _, chunk := range chunks(ids, 1000) {
		var counts []struct {
			OrderID int64
			Seq     int64
		}
		if err := scanAll(tx.Model(&models.Package{}).Select("order_id, MAX(append_seq) AS seq").
			Where("shop_id = ? AND order_id IN ? AND kind = ?", shopID, chunk, models.PackageAppended).
			Group("order_id"), &counts); err != nil {
			return err
		}
		for _, c := range counts {
			next[c.OrderID] = c.Seq
		}
	}
	var release []*packageRow
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		if next[r.order.ID] >= models.MaxAppendedPackages {
			r.fail(models.Errorf(models.CodeAppendLimitReached, "order %s has %d appended packages, the most allowed", r.order.Number, models.MaxAppendedPackages))
			release = append(release, r)
			continue
		}
		next[r.order.ID]++
		r.seq = next[r.order.ID]
	}
	return releaseWaybills(tx, release, rows)
}

// releaseWaybills gives back the numbers that refused rows had claimed. A
// claim that merged shipping shares belongs to another order and stays; a
// claim the refused row made first passes to a good row of the batch that
// shares it, if any, and is deleted otherwise.
func releaseWaybills(tx *gorm.DB, released, all []*packageRow) error {
	// The first good row of another order that names each number.
	heirs := map[waybillKey]int64{}
	for _, g := range all {
		if _, ok := heirs[g.key()]; !ok && g.err == nil {
			heirs[g.key()] = g.order.ID
		}
	}
	var moved, freed [][]any
	for _, r := range released {
		if heir, ok := heirs[r.key()]; ok && heir != r.order.ID {
			moved = append(moved, []any{r.carrier.Code, r.number, r.order.ID, heir})
		} else {
			freed = append(freed, []any{r.carrier.Code, r.number, r.order.ID})
		}
	}
	d := database.DialectOf(tx)
	for _, chunk := range chunks(moved, 1000) {
		v, args := valuesTable(d, []string{"text", "text", "bigint", "bigint"}, chunk)
		if err := tx.Exec("UPDATE waybills SET order_id = v.column4 FROM "+v+
			" WHERE waybills.carrier_code = v.column1 AND waybills.tracking_number = v.column2 AND waybills.order_id = v.column3", args...).Error; err != nil {
			return err
		}
	}
	for _, chunk := range chunks(freed, 1000) {
		v, args := valuesTable(d, []string{"text", "text", "bigint"}, chunk)
		sql := "DELETE FROM waybills USING " + v +
			" WHERE waybills.carrier_code = v.column1 AND waybills.tracking_number = v.column2 AND waybills.order_id = v.column3"
		if d != database.Postgres {
			// SQLite has no DELETE … USING.
			sql = "DELETE FROM waybills WHERE (carrier_code, tracking_number, order_id) IN (SELECT column1, column2, column3 FROM " + v + ")"
		}
		if err := tx.Exec(sql, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// prefixed puts a path in front of a rule's field, so that it points into
// the request (packages.2.trackingNumber).
func prefixed(err *models.Error, path ...string) *models.Error {
	out := *err
	out.Field = append(append([]string{}, path...), err.Field...)
	return &out
}
