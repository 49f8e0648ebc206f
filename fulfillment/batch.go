package fulfillment

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// BatchRow is one row of a batch: an order number, a carrier and a tracking
// number, from a GraphQL list or a line of an uploaded file.
type BatchRow struct {
	OrderNumber    string
	Carrier        string
	TrackingNumber string
	// Line is the row's line in the uploaded file (0 for GraphQL lists).
	Line int
	// Err refuses the row before it is judged (a cell the file reader
	// could not read).
	Err *models.Error
}

// BatchRowsOf turns the rows of an uploaded batch file (read with
// batchfile.ShipmentSpec) into batch rows; a row the file could not read
// keeps its error and its line.
func BatchRowsOf(f *batchfile.File) []BatchRow {
	rows := make([]BatchRow, len(f.Rows))
	for i, r := range f.Rows {
		rows[i] = BatchRow{OrderNumber: r.Values[batchfile.KeyOrderNumber], Carrier: r.Values[batchfile.KeyCarrier],
			TrackingNumber: r.Values[batchfile.KeyTrackingNumber], Line: r.Line, Err: r.Err}
	}
	return rows
}

// BatchRowResult says what became of one row.
type BatchRowResult struct {
	Index       int             `json:"index"`
	Line        int             `json:"line,omitempty"`
	OrderNumber string          `json:"orderNumber"`
	OrderID     int64           `json:"orderId,omitempty"`
	PackageID   int64           `json:"packageId,omitempty"`
	Err         *models.Error   `json:"error,omitempty"`
	Package     *models.Package `json:"-"`
}

// OK tells whether the row was carried out.
func (r BatchRowResult) OK() bool { return r.Err == nil }

// BatchResult is a batch's answer, row by row, with counts.
type BatchResult struct {
	Rows      []BatchRowResult `json:"rows"`
	Succeeded int              `json:"succeeded"`
	Failed    int              `json:"failed"`
}

// BatchShipOrders ships many orders at once, one package each holding
// everything that remains (S7). Each row is judged on its own, in order,
// with the same rules as ShipOrder; the answer says row by row what was
// shipped and why a row was refused. A row that repeats a shipment already
// on the order answers ok with that package.
//
// Errors (the whole batch, nothing done): BATCH_TOO_LARGE past 5000 rows;
// INVALID_ARGUMENT for no rows; FORBIDDEN as for ShipOrder.
func (s *Service) BatchShipOrders(ctx context.Context, a Actor, rows []BatchRow, key string) (BatchResult, error) {
	return s.batch(ctx, a, OpBatchShipOrders, rows, key, s.shipBatch)
}

// BatchAppendPackages appends one package to each row's order (A4), with the
// rules of AppendPackages; rows for one order are judged in order, so the
// 21st append to an order in one file is refused.
//
// Errors: as BatchShipOrders.
func (s *Service) BatchAppendPackages(ctx context.Context, a Actor, rows []BatchRow, key string) (BatchResult, error) {
	return s.batch(ctx, a, OpBatchAppendPackages, rows, key, s.appendBatch)
}

type batchFunc func(tx *gorm.DB, a Actor, rows []*packageRow, results []BatchRowResult) error

// batch runs a batch in one transaction: every order it names is locked in
// id order (so two batches never deadlock), rows are judged in memory in
// order, and writes go out a chunk at a time.
func (s *Service) batch(ctx context.Context, a Actor, op Operation, in []BatchRow, key string, run batchFunc) (BatchResult, error) {
	var res BatchResult
	e := &audit{op: op}
	if err := validIdempotencyKey(key); err != nil {
		return res, s.refuse(ctx, a, e, err)
	}
	switch {
	case len(in) > models.MaxBatchRows:
		return res, s.refuse(ctx, a, e, models.Errorf(models.CodeBatchTooLarge, "%d rows; a batch has at most %d", len(in), models.MaxBatchRows))
	case len(in) == 0:
		return res, s.refuse(ctx, a, e, models.FieldError(models.CodeInvalidArgument, []string{"rows"}, "the batch has no rows"))
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		now := s.clock.Now()
		res = BatchResult{}
		if _, replay, seen, err := claimIdempotencyKeyResponse(tx, a, op, key, a.ShopID, now); err != nil || seen {
			if err == nil {
				err = json.Unmarshal([]byte(replay), &res)
			}
			return err
		}
		results := make([]BatchRowResult, len(in))
		orders, err := lockOrdersByNumber(tx, a.ShopID, in)
		if err != nil {
			return err
		}
		rows := make([]*packageRow, len(in))
		for i, r := range in {
			results[i] = BatchRowResult{Index: i, Line: r.Line, OrderNumber: strings.TrimSpace(r.OrderNumber)}
			row := &packageRow{index: i}
			rows[i] = row
			if r.Err != nil {
				row.fail(r.Err)
				continue
			}
			o, ok := orders[results[i].OrderNumber]
			if !ok {
				row.fail(models.FieldError(models.CodeNotFound, []string{"orderNumber"}, "no order %q in your shop", results[i].OrderNumber))
				continue
			}
			row.order = o
			results[i].OrderID = o.ID
			c, n, perr := resolveCarrier(r.Carrier, r.TrackingNumber)
			row.carrier, row.number = c, n
			if perr != nil {
				row.fail(perr)
			}
		}
		if err := run(tx, a, rows, results); err != nil {
			return err
		}
		for i, r := range rows {
			if r.err != nil {
				results[i].Err = r.err
				res.Failed++
				continue
			}
			res.Succeeded++
			if results[i].Package == nil {
				p := r.pkg
				results[i].Package = &p
			}
			results[i].PackageID = results[i].Package.ID
			e.object("Order", r.order.ID)
		}
		res.Rows = results
		if key != "" {
			body, err := json.Marshal(res)
			if err != nil {
				return err
			}
			if err := settleIdempotencyResponse(tx, a, op, key, string(body)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return BatchResult{}, err
	}
	return res, s.fillReplayedPackages(ctx, a, &res)
}

// fillReplayedPackages reads the packages of a replayed answer, which keeps
// only their ids.
func (s *Service) fillReplayedPackages(ctx context.Context, a Actor, res *BatchResult) error {
	var ids []int64
	for _, r := range res.Rows {
		if r.Package == nil && r.PackageID != 0 {
			ids = append(ids, r.PackageID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var pkgs []models.Package
	if err := s.db.WithContext(ctx).Where("shop_id = ? AND id IN ?", a.ShopID, ids).Find(&pkgs).Error; err != nil {
		return err
	}
	byID := map[int64]models.Package{}
	for _, p := range pkgs {
		byID[p.ID] = p
	}
	for i, r := range res.Rows {
		if p, ok := byID[r.PackageID]; ok && r.Package == nil {
			res.Rows[i].Package = &p
		}
	}
	return nil
}

// lockOrdersByNumber reads and locks the orders the rows name, in id order.
func lockOrdersByNumber(tx *gorm.DB, shopID int64, rows []BatchRow) (map[string]*models.Order, error) {
	var numbers []string
	seen := map[string]bool{}
	for _, r := range rows {
		n := strings.TrimSpace(r.OrderNumber)
		if n != "" && !seen[n] {
			seen[n] = true
			numbers = append(numbers, n)
		}
	}
	var ids []int64
	for _, chunk := range chunks(numbers, 1000) {
		var found []int64
		if err := tx.Model(&models.Order{}).Where("shop_id = ? AND number IN ?", shopID, chunk).Pluck("id", &found).Error; err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	slices.Sort(ids)
	out := make(map[string]*models.Order, len(ids))
	for _, chunk := range chunks(ids, 1000) {
		// Scanned by hand (orderColumns): through gorm's reflection the
		// orders of a batch of 5000 were a fifth of what it allocated.
		rs, err := tx.Clauses(lockForUpdate).Table("orders").Select(orderColumns.list).
			Where("orders.shop_id = ? AND orders.id IN ?", shopID, chunk).Order("orders.id").Rows()
		if err != nil {
			return nil, err
		}
		os, err := scanRows(rs, orderColumns, nil)
		if err != nil {
			return nil, err
		}
		for i := range os {
			out[os[i].Number] = &os[i]
		}
	}
	return out, nil
}

// appendBatch judges and writes a batch of appends.
func (s *Service) appendBatch(tx *gorm.DB, a Actor, rows []*packageRow, _ []BatchRowResult) error {
	now := s.clock.Now()
	for _, r := range rows {
		r.kind = models.PackageAppended
	}
	appendRows(tx, good(rows), now)
	if err := s.settleAppends(tx, rows, now); err != nil {
		return err
	}
	var w writes
	if err := insertPackages(tx, rows, a, now, &w); err != nil {
		return err
	}
	return w.flush(tx)
}

// shipBatch judges and writes a batch of shipments: each row ships all that
// remains of its order in one package.
func (s *Service) shipBatch(tx *gorm.DB, a Actor, rows []*packageRow, results []BatchRowResult) error {
	now := s.clock.Now()
	// ids are the batch's orders; shippedBefore, those of them ever shipped
	// (S5: a first shipment is never undone), the only ones that can hold a
	// shipment already.
	var ids, shippedBefore []int64
	wasShipped := map[int64]bool{}
	seen := map[int64]bool{}
	for _, r := range rows {
		r.kind = models.PackageShipment
		if r.order != nil && !seen[r.order.ID] {
			seen[r.order.ID] = true
			ids = append(ids, r.order.ID)
			if r.order.FirstShippedAt != nil {
				shippedBefore = append(shippedBefore, r.order.ID)
				wasShipped[r.order.ID] = true
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// Repeats of shipments already on an order answer with that package.
	existing := map[waybillKey]models.Package{}
	for _, chunk := range chunks(shippedBefore, 1000) {
		var pkgs []models.Package
		if err := tx.Where("shop_id = ? AND order_id IN ? AND kind = ?", a.ShopID, chunk, models.PackageShipment).Find(&pkgs).Error; err != nil {
			return err
		}
		for _, p := range pkgs {
			existing[waybillKey{fmt.Sprint(p.OrderID) + "|" + p.CarrierCode, p.TrackingNumber}] = p
		}
	}
	lines := map[int64][]models.OrderLine{}
	remaining := map[int64]int64{}
	for _, chunk := range chunks(ids, 1000) {
		everShipped := slices.ContainsFunc(chunk, func(id int64) bool { return wasShipped[id] })
		l, rem, err := remainingUnits(tx, a.ShopID, chunk, nil, everShipped)
		if err != nil {
			return err
		}
		for k, v := range l {
			lines[k] = v
		}
		for k, v := range rem {
			remaining[k] = v
		}
	}
	var fresh []*packageRow
	for i, r := range rows {
		if r.err != nil {
			continue
		}
		if p, ok := existing[waybillKey{fmt.Sprint(r.order.ID) + "|" + r.carrier.Code, r.number}]; ok {
			pkg := p
			results[i].Package = &pkg
			continue
		}
		if err := shippable(*r.order); err != nil {
			r.fail(err)
			continue
		}
		fresh = append(fresh, r)
	}
	if err := s.claimWaybills(tx, fresh, now); err != nil {
		return err
	}
	// In row order: the first good row of an order ships all that remains;
	// a later row for the same order finds it shipped.
	var release []*packageRow
	var shipped []int64
	for _, r := range fresh {
		if r.err != nil {
			continue
		}
		if r.order.Status == models.OrderShipped {
			r.fail(models.Errorf(models.CodeOrderAlreadyShipped, "order %s is shipped by an earlier row", r.order.Number))
			release = append(release, r)
			continue
		}
		for _, l := range lines[r.order.ID] {
			if remaining[l.ID] > 0 {
				r.lines = append(r.lines, models.PackageLine{OrderLineID: l.ID, Quantity: remaining[l.ID]})
			}
		}
		r.order.Status = models.OrderShipped
		shipped = append(shipped, r.order.ID)
	}
	if err := releaseWaybills(tx, release, fresh); err != nil {
		return err
	}
	var w writes
	if err := insertPackages(tx, fresh, a, now, &w); err != nil {
		return err
	}
	if err := w.flush(tx); err != nil {
		return err
	}
	return markBatchShipped(tx, a.ShopID, shipped, now)
}

// markBatchShipped marks the orders fully shipped, a chunk per statement,
// and checks that each changed exactly the orders it meant to.
func markBatchShipped(tx *gorm.DB, shopID int64, ids []int64, now time.Time) error {
	for _, chunk := range chunks(ids, 1000) {
		res := tx.Model(&models.Order{}).
			Where("shop_id = ? AND id IN ? AND status IN ?", shopID, chunk, []models.OrderStatus{models.OrderPendingShipment, models.OrderPartiallyShipped}).
			Updates(map[string]any{"status": models.OrderShipped, "shipped_at": now, "updated_at": now,
				"first_shipped_at": gorm.Expr("COALESCE(first_shipped_at, ?)", now)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(chunk)) {
			return fmt.Errorf("batch ship: %d of %d orders changed state", res.RowsAffected, len(chunk))
		}
	}
	return nil
}

func good(rows []*packageRow) []*packageRow {
	var out []*packageRow
	for _, r := range rows {
		if r.err == nil {
			out = append(out, r)
		}
	}
	return out
}
