package fulfillment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// This file holds what shipping and appending share: naming a carrier and a
// number (S2), claiming the number (S4), and writing packages and history in
// bulk, so that a batch of 5,000 rows costs a few statements per chunk, not
// a few per row.

// packageRow is one package a request asks for: a shipment or an appended
// package, alone or as a row of a batch.
type packageRow struct {
	index   int
	order   *models.Order
	carrier carriers.Carrier
	number  string
	kind    models.PackageKind
	lines   []models.PackageLine
	seq     int64
	pkg     models.Package
	err     *models.Error
}

// waybillKey is a carrier + tracking number.
type waybillKey struct{ carrier, number string }

func (r *packageRow) key() waybillKey { return waybillKey{r.carrier.Code, r.number} }

func (r *packageRow) fail(err *models.Error) {
	if r.err == nil {
		r.err = err
	}
}

// resolveCarrier checks S2: the carrier is known (by our code or any alias
// other systems use) and the number, normalised, fits its formats. The
// carrier is never guessed from the number.
func resolveCarrier(name, number string) (carriers.Carrier, string, *models.Error) {
	c, ok := carriers.Lookup(name)
	if !ok {
		return c, "", models.FieldError(models.CodeUnknownCarrier, []string{"carrier"}, "%q is not a carrier we know", name)
	}
	n := carriers.Normalize(number)
	if !c.Valid(n) {
		return c, n, models.FieldError(models.CodeInvalidTrackingNumber, []string{"trackingNumber"}, "%q is not a %s tracking number", number, c.NameZh)
	}
	return c, n, nil
}

// orderPairs finds which of the pairs the given orders already carry, so
// that a number is never used twice in one order (S4). It looks the pairs
// up, not the orders' packages, which may be many.
func orderPairs(tx *gorm.DB, shopID int64, pairs [][]any) (map[int64]map[waybillKey]bool, error) {
	out := map[int64]map[waybillKey]bool{}
	for _, chunk := range chunks(pairs, 1000) {
		var rows []struct {
			OrderID        int64
			CarrierCode    string
			TrackingNumber string
		}
		if err := tx.Model(&models.Package{}).Select("order_id, carrier_code, tracking_number").
			Where("(carrier_code, tracking_number) IN ? AND shop_id = ?", chunk, shopID).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if out[r.OrderID] == nil {
				out[r.OrderID] = map[waybillKey]bool{}
			}
			out[r.OrderID][waybillKey{r.CarrierCode, r.TrackingNumber}] = true
		}
	}
	return out, nil
}

// claimWaybills decides S4 for the rows that are still good, in row order,
// and claims the numbers not yet known. A number already claimed may be
// shared only by orders of the same shop, buyer and address (merged
// shipping), and never twice by one order. A claim that a concurrent
// transaction made between the read and the insert is decided again against
// what that transaction wrote.
func (s *Service) claimWaybills(tx *gorm.DB, rows []*packageRow, now time.Time) error {
	var good []*packageRow
	var keys [][]any
	seen := map[waybillKey]bool{}
	for _, r := range rows {
		if r.err == nil {
			good = append(good, r)
			if k := r.key(); !seen[k] {
				seen[k] = true
				keys = append(keys, []any{k.carrier, k.number})
			}
		}
	}
	if len(good) == 0 {
		return nil
	}
	owners := map[waybillKey]models.Waybill{}
	for _, chunk := range chunks(keys, 1000) {
		var found []models.Waybill
		if err := tx.Where("(carrier_code, tracking_number) IN ?", chunk).Find(&found).Error; err != nil {
			return err
		}
		for _, w := range found {
			owners[waybillKey{w.CarrierCode, w.TrackingNumber}] = w
		}
	}
	onOrder, err := orderPairs(tx, good[0].order.ShopID, keys)
	if err != nil {
		return err
	}
	var claims []models.Waybill
	for _, r := range good {
		k := r.key()
		if onOrder[r.order.ID][k] {
			r.fail(models.FieldError(models.CodeTrackingNumberInUse, []string{"trackingNumber"}, "%s %s is already on this order", r.carrier.NameZh, r.number))
			continue
		}
		if w, ok := owners[k]; ok {
			if !s.mayShare(w, r.order) {
				r.fail(inUse(r))
				continue
			}
		} else {
			w := models.Waybill{CarrierCode: k.carrier, TrackingNumber: k.number, ShopID: r.order.ShopID,
				OrderID: r.order.ID, BuyerID: r.order.BuyerID, AddressKey: s.addressKey(*r.order), CreatedAt: now}
			owners[k] = w
			claims = append(claims, w)
		}
		if onOrder[r.order.ID] == nil {
			onOrder[r.order.ID] = map[waybillKey]bool{}
		}
		onOrder[r.order.ID][k] = true
	}
	for _, chunk := range chunks(claims, 1000) {
		inserted, err := insertWaybills(tx, chunk)
		if err != nil {
			return err
		}
		if len(inserted) == len(chunk) {
			continue
		}
		// Lost races: read the winners' claims and judge again.
		won := map[waybillKey]bool{}
		for _, w := range inserted {
			won[waybillKey{w.CarrierCode, w.TrackingNumber}] = true
		}
		for _, w := range chunk {
			k := waybillKey{w.CarrierCode, w.TrackingNumber}
			if won[k] {
				continue
			}
			var winner models.Waybill
			if err := tx.Where("carrier_code = ? AND tracking_number = ?", k.carrier, k.number).Take(&winner).Error; err != nil {
				return err
			}
			for _, r := range good {
				if r.err == nil && r.key() == k && !s.mayShare(winner, r.order) {
					r.fail(inUse(r))
				}
			}
		}
	}
	return nil
}

// insertWaybills inserts the claims that no one holds yet, in one
// statement, and returns the ones it inserted.
func insertWaybills(tx *gorm.DB, ws []models.Waybill) ([]models.Waybill, error) {
	var sql strings.Builder
	sql.WriteString("INSERT INTO waybills (carrier_code, tracking_number, shop_id, order_id, buyer_id, address_key, created_at) VALUES ")
	args := make([]any, 0, len(ws)*7)
	for i, w := range ws {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, w.CarrierCode, w.TrackingNumber, w.ShopID, w.OrderID, w.BuyerID, w.AddressKey, w.CreatedAt)
	}
	sql.WriteString(" ON CONFLICT (carrier_code, tracking_number) DO NOTHING RETURNING carrier_code, tracking_number")
	var inserted []models.Waybill
	err := tx.Raw(sql.String(), args...).Scan(&inserted).Error
	return inserted, err
}

func inUse(r *packageRow) *models.Error {
	return models.FieldError(models.CodeTrackingNumberInUse, []string{"trackingNumber"},
		"%s %s belongs to another order", r.carrier.NameZh, r.number)
}

// mayShare tells whether an order may use a number already claimed: merged
// shipping (合并发货) of one shop's orders to one buyer at one address.
func (s *Service) mayShare(w models.Waybill, o *models.Order) bool {
	return w.ShopID == o.ShopID && w.BuyerID == o.BuyerID && w.AddressKey == s.addressKey(*o) && w.OrderID != o.ID
}

// insertPackages writes the good rows' packages, their lines and a history
// line per package, in a few statements.
func insertPackages(tx *gorm.DB, rows []*packageRow, actor Actor, now time.Time) error {
	var pkgs []*models.Package
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		r.pkg = models.Package{ShopID: r.order.ShopID, OrderID: r.order.ID, Kind: r.kind, CarrierCode: r.carrier.Code,
			TrackingNumber: r.number, Status: models.PackageAwaitingPickup, ShippedAt: now,
			InterceptStatus: models.InterceptNone, CreatedAt: now}
		if r.kind == models.PackageAppended {
			seq := r.seq
			r.pkg.AppendSeq = &seq
		}
		pkgs = append(pkgs, &r.pkg)
	}
	if len(pkgs) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(pkgs, 500).Error; err != nil {
		return translatePackageError(err)
	}
	var lines []models.PackageLine
	var events []models.OrderEvent
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		for _, l := range r.lines {
			l.ShopID, l.PackageID = r.pkg.ShopID, r.pkg.ID
			lines = append(lines, l)
		}
		action, detail := "ship", fmt.Sprintf("%s %s", r.carrier.NameZh, r.number)
		if r.kind == models.PackageAppended {
			action, detail = "appendPackage", fmt.Sprintf("%s %s（第 %d 个追加包裹）", r.carrier.NameZh, r.number, r.seq)
		}
		events = append(events, models.OrderEvent{ShopID: r.order.ShopID, OrderID: r.order.ID, At: now,
			ActorName: actor.Name, Action: action, Detail: detail})
	}
	if len(lines) > 0 {
		if err := tx.CreateInBatches(lines, 1000).Error; err != nil {
			return err
		}
	}
	return tx.CreateInBatches(events, 1000).Error
}

// translatePackageError turns the database's backstops into the rules they
// stand for, should a check above them ever be missed.
func translatePackageError(err error) error {
	switch {
	case errors.Is(err, gorm.ErrCheckConstraintViolated):
		return models.Errorf(models.CodeAppendLimitReached, "at most %d appended packages per order", models.MaxAppendedPackages)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return models.Errorf(models.CodeTrackingNumberInUse, "a tracking number is already on this order")
	}
	return err
}

// addEvent writes one history line.
func addEvent(tx *gorm.DB, o models.Order, actor Actor, now time.Time, action, detail string) error {
	return tx.Create(&models.OrderEvent{ShopID: o.ShopID, OrderID: o.ID, At: now, ActorName: actor.Name, Action: action, Detail: detail}).Error
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
