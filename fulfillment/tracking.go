package fulfillment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// ScanInput is one carrier scan as an integration reports it.
type ScanInput struct {
	Carrier        string
	TrackingNumber string
	Status         models.PackageStatus
	At             time.Time
	Place          string
	Description    string
}

// ScanResult says what became of one scan.
type ScanResult struct {
	Index int
	// Recorded is false for a scan already known (the same carrier, number,
	// time and status): sending a scan twice is harmless.
	Recorded bool
	Err      *models.Error
}

// maxScans bounds one recordTrackingEvents call.
const maxScans = 1000

var scanStatuses = []models.PackageStatus{models.PackageAccepted, models.PackagePickedUp, models.PackageInTransit,
	models.PackageOutForDelivery, models.PackageDelivered, models.PackageException, models.PackageReturned}

// RecordTrackingEvents records carrier scans (DOMAIN.md §11), from the
// platform's carrier integration. A scan is routed to its shop by the
// carrier + number claim; it moves every package with that number to its
// latest status, sets the pickup time from the first scan, and an order
// whose every shipment package is delivered becomes DELIVERED.
//
// Errors (the whole call): FORBIDDEN for anyone but the platform;
// BATCH_TOO_LARGE past 1000 scans. Per scan: UNKNOWN_CARRIER, NOT_FOUND for
// a number no order claims, INVALID_ARGUMENT for an unknown status or a scan
// dated in the future.
func (s *Service) RecordTrackingEvents(ctx context.Context, a Actor, scans []ScanInput) ([]ScanResult, error) {
	e := &audit{op: OpRecordTrackingEvents}
	if len(scans) > maxScans {
		return nil, s.refuse(ctx, a, e, models.Errorf(models.CodeBatchTooLarge, "at most %d scans per call", maxScans))
	}
	var results []ScanResult
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		results = make([]ScanResult, len(scans))
		now := s.clock.Now()
		evs, rows, err := resolveScans(tx, scans, results, now)
		if err != nil {
			return err
		}
		recorded, err := insertScans(tx, evs)
		if err != nil {
			return err
		}
		touched := map[waybillKey]int64{}
		for i, ev := range evs {
			pos, ok := recorded[scanKeyOf(ev)]
			results[rows[i]].Recorded = ok && pos == i
			touched[waybillKey{ev.CarrierCode, ev.TrackingNumber}] = ev.ShopID
		}
		return s.applyScans(tx, a, touched, now)
	})
	return results, err
}

// resolveScans checks each scan and routes it to its shop by the waybill
// claimed for its number (read a thousand numbers a statement), and returns
// the events to record with the index of the scan each comes from; a scan
// refused gets its error in results.
func resolveScans(tx *gorm.DB, scans []ScanInput, results []ScanResult, now time.Time) ([]models.TrackingEvent, []int, error) {
	type resolved struct {
		i    int
		code string
		n    string
	}
	var ok []resolved
	var pairs [][]any
	for i, sc := range scans {
		results[i].Index = i
		c, n, err := resolveCarrier(sc.Carrier, sc.TrackingNumber)
		switch {
		case err != nil && err.Code == models.CodeUnknownCarrier:
			results[i].Err = err
		case !slices.Contains(scanStatuses, sc.Status):
			results[i].Err = models.FieldError(models.CodeInvalidArgument, []string{"status"}, "%q is not a scan status", sc.Status)
		case sc.At.IsZero() || sc.At.After(now.Add(time.Hour)):
			results[i].Err = models.FieldError(models.CodeInvalidArgument, []string{"at"}, "a scan needs its time, not in the future")
		default:
			ok = append(ok, resolved{i, c.Code, n})
			pairs = append(pairs, []any{c.Code, n})
		}
	}
	shops := map[waybillKey]int64{}
	err := byCarrier(pairs, func(carrier string, numbers []string) error {
		var ws []models.Waybill
		if err := tx.Select("carrier_code, tracking_number, shop_id").
			Where("carrier_code = ? AND tracking_number IN ?", carrier, numbers).Find(&ws).Error; err != nil {
			return err
		}
		for _, w := range ws {
			shops[waybillKey{w.CarrierCode, w.TrackingNumber}] = w.ShopID
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var evs []models.TrackingEvent
	var rows []int
	for _, r := range ok {
		shop, found := shops[waybillKey{r.code, r.n}]
		if !found {
			c, _ := carriers.Lookup(r.code)
			results[r.i].Err = models.FieldError(models.CodeNotFound, []string{"trackingNumber"}, "no order has %s %s", c.NameZh, r.n)
			continue
		}
		sc := scans[r.i]
		evs = append(evs, models.TrackingEvent{
			ShopID: shop, CarrierCode: r.code, TrackingNumber: r.n, Status: sc.Status, OccurredAt: sc.At.UTC().Truncate(time.Microsecond),
			Place: clip(sc.Place, 100), Description: clip(sc.Description, 500), CreatedAt: now,
		})
		rows = append(rows, r.i)
	}
	return evs, rows, nil
}

// scanKey is what makes a scan the same scan: its waybill, time and status.
type scanKey struct {
	carrier, number string
	status          models.PackageStatus
	at              int64
}

func scanKeyOf(ev models.TrackingEvent) scanKey {
	return scanKey{ev.CarrierCode, ev.TrackingNumber, ev.Status, ev.OccurredAt.UnixMicro()}
}

// insertScans inserts the events, a thousand a statement, skipping those
// known already, and tells for each scan recorded the position in evs of
// the one that was (the first of equal ones).
func insertScans(tx *gorm.DB, evs []models.TrackingEvent) (map[scanKey]int, error) {
	first := map[scanKey]int{}
	var values [][]any
	for i, ev := range evs {
		k := scanKeyOf(ev)
		if _, seen := first[k]; seen {
			continue
		}
		first[k] = i
		values = append(values, []any{ev.ShopID, ev.CarrierCode, ev.TrackingNumber, string(ev.Status), ev.OccurredAt,
			ev.Place, ev.Description, ev.CreatedAt})
	}
	recorded := map[scanKey]int{}
	for _, chunk := range chunks(values, 1000) {
		var got []struct {
			CarrierCode    string
			TrackingNumber string
			Status         models.PackageStatus
			OccurredAt     time.Time
		}
		err := insertValues(tx, "tracking_events", []string{"shop_id", "carrier_code", "tracking_number", "status", "occurred_at",
			"place", "description", "created_at"}, chunk,
			"ON CONFLICT (carrier_code, tracking_number, occurred_at, status) DO NOTHING RETURNING carrier_code, tracking_number, status, occurred_at", &got)
		if err != nil {
			return nil, err
		}
		for _, g := range got {
			k := scanKey{g.CarrierCode, g.TrackingNumber, g.Status, g.OccurredAt.UnixMicro()}
			i, ok := first[k]
			if !ok {
				return nil, fmt.Errorf("recorded a scan not sent: %+v", g)
			}
			recorded[k] = i
		}
	}
	return recorded, nil
}

// applyScans brings the packages with the touched numbers, and their
// orders, up to the scans known, in a few statements whatever the number
// of scans. It locks the orders first, in id order, and only then changes
// their packages: the one lock order of the domain (order, then its
// packages), so that it never deadlocks with a shipment, a refund or
// another batch of scans.
func (s *Service) applyScans(tx *gorm.DB, a Actor, touched map[waybillKey]int64, now time.Time) error {
	keys := slices.SortedFunc(maps.Keys(touched), func(x, y waybillKey) int {
		return cmp.Or(cmp.Compare(x.carrier, y.carrier), cmp.Compare(x.number, y.number))
	})
	pairs := make([][]any, len(keys))
	for i, k := range keys {
		pairs[i] = []any{k.carrier, k.number}
	}
	// The orders carrying the numbers, and every scan of the numbers.
	var orderIDs []int64
	scansOf := map[waybillKey][]models.TrackingEvent{}
	err := byCarrier(pairs, func(carrier string, numbers []string) error {
		var pkgs []models.Package
		if err := tx.Select("shop_id, order_id, carrier_code, tracking_number").
			Where("carrier_code = ? AND tracking_number IN ?", carrier, numbers).Find(&pkgs).Error; err != nil {
			return err
		}
		for _, p := range pkgs {
			if touched[waybillKey{p.CarrierCode, p.TrackingNumber}] == p.ShopID {
				orderIDs = append(orderIDs, p.OrderID)
			}
		}
		var evs []models.TrackingEvent
		if err := tx.Where("carrier_code = ? AND tracking_number IN ?", carrier, numbers).
			Order("occurred_at, id").Find(&evs).Error; err != nil {
			return err
		}
		for _, ev := range evs {
			k := waybillKey{ev.CarrierCode, ev.TrackingNumber}
			if touched[k] == ev.ShopID {
				scansOf[k] = append(scansOf[k], ev)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(orderIDs)
	orderIDs = slices.Compact(orderIDs)
	var orders []models.Order
	for _, chunk := range chunks(orderIDs, 1000) {
		var os []models.Order
		if err := tx.Clauses(lockForUpdate).Where("id IN ?", chunk).Order("id").Find(&os).Error; err != nil {
			return err
		}
		orders = append(orders, os...)
	}
	// Each number's packages take what its scans say: the latest status,
	// picked up at the first scan, delivered at a delivery scan.
	var updates [][]any
	for _, k := range keys {
		evs := scansOf[k]
		if len(evs) == 0 {
			continue
		}
		first, latest := evs[0], evs[len(evs)-1]
		var delivered *time.Time
		if latest.Status == models.PackageDelivered {
			delivered = &latest.OccurredAt
		}
		updates = append(updates, []any{touched[k], k.carrier, k.number, string(latest.Status), latest.OccurredAt, first.OccurredAt, delivered})
	}
	d := database.DialectOf(tx)
	for _, chunk := range chunks(updates, 1000) {
		v, args := valuesTable(d, []string{"bigint", "text", "text", "text", "timestamptz", "timestamptz", "timestamptz"}, chunk)
		if err := tx.Exec("UPDATE packages SET status = v.column4, status_at = v.column5, picked_up_at = v.column6, delivered_at = v.column7 FROM "+v+
			" WHERE packages.shop_id = v.column1 AND packages.carrier_code = v.column2 AND packages.tracking_number = v.column3", args...).Error; err != nil {
			return err
		}
	}
	return s.markDelivered(tx, a, orders, now)
}

// markDelivered moves the fully shipped orders among orders (locked) to
// DELIVERED once every shipment package is delivered (appended ones do not
// count: A5), at the last delivery, with a history line each.
func (s *Service) markDelivered(tx *gorm.DB, a Actor, orders []models.Order, now time.Time) error {
	var shops, ids []int64
	for _, o := range orders {
		if o.Status == models.OrderShipped {
			ids = append(ids, o.ID)
			if !slices.Contains(shops, o.ShopID) {
				shops = append(shops, o.ShopID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// Read rather than aggregated: SQLite's MAX of a time is text.
	var pkgs []models.Package
	for _, chunk := range chunks(ids, 1000) {
		var ps []models.Package
		if err := tx.Select("shop_id, order_id, status, delivered_at").
			Where("shop_id IN ? AND order_id IN ? AND kind = ?", shops, chunk, models.PackageShipment).Find(&ps).Error; err != nil {
			return err
		}
		pkgs = append(pkgs, ps...)
	}
	at := map[int64]time.Time{}
	open := map[int64]bool{}
	for _, p := range pkgs {
		if p.Status != models.PackageDelivered || p.DeliveredAt == nil {
			open[p.OrderID] = true
		} else if p.DeliveredAt.After(at[p.OrderID]) {
			at[p.OrderID] = *p.DeliveredAt
		}
	}
	var updates, events [][]any
	for _, o := range orders {
		if t, ok := at[o.ID]; ok && !open[o.ID] && o.Status == models.OrderShipped {
			updates = append(updates, []any{o.ShopID, o.ID, t})
			events = append(events, []any{o.ShopID, o.ID, now, a.Name, "delivered", "全部包裹已签收"})
		}
	}
	d := database.DialectOf(tx)
	for _, chunk := range chunks(updates, 1000) {
		v, vargs := valuesTable(d, []string{"bigint", "bigint", "timestamptz"}, chunk)
		args := append([]any{string(models.OrderDelivered), now}, vargs...)
		args = append(args, string(models.OrderShipped))
		res := tx.Exec("UPDATE orders SET status = ?, delivered_at = v.column3, updated_at = ? FROM "+v+
			" WHERE orders.shop_id = v.column1 AND orders.id = v.column2 AND orders.status = ?", args...)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(chunk)) {
			return fmt.Errorf("marked %d of %d orders delivered", res.RowsAffected, len(chunk))
		}
	}
	for _, chunk := range chunks(events, 1000) {
		if err := insertValues(tx, "order_events", []string{"shop_id", "order_id", "at", "actor_name", "action", "detail"}, chunk, "", nil); err != nil {
			return err
		}
	}
	return nil
}

// TrackingKey names a waybill within its shop.
type TrackingKey struct {
	ShopID                      int64
	CarrierCode, TrackingNumber string
}

// TrackingEvents returns the scans of the given waybills, newest first, for
// packages of orders the actor has read.
func (s *Service) TrackingEvents(ctx context.Context, a Actor, keys []TrackingKey) (map[TrackingKey][]models.TrackingEvent, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	out := map[TrackingKey][]models.TrackingEvent{}
	var pairs [][]any
	shops := map[int64]bool{}
	var shopIDs []int64
	for _, k := range keys {
		if a.IsShopActor() && k.ShopID != a.ShopID {
			continue
		}
		pairs = append(pairs, []any{k.CarrierCode, k.TrackingNumber})
		if !shops[k.ShopID] {
			shops[k.ShopID] = true
			shopIDs = append(shopIDs, k.ShopID)
		}
	}
	err := byCarrier(pairs, func(carrier string, numbers []string) error {
		var evs []models.TrackingEvent
		if err := s.db.WithContext(ctx).Where("shop_id IN ? AND carrier_code = ? AND tracking_number IN ?", shopIDs, carrier, numbers).
			Order("occurred_at DESC, id DESC").Find(&evs).Error; err != nil {
			return err
		}
		for _, ev := range evs {
			k := TrackingKey{ev.ShopID, ev.CarrierCode, ev.TrackingNumber}
			out[k] = append(out[k], ev)
		}
		return nil
	})
	return out, err
}

// OrderHistory returns the history of the given orders, oldest first.
func (s *Service) OrderHistory(ctx context.Context, a Actor, keys []Key) (map[Key][]models.OrderEvent, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := map[Key][]models.OrderEvent{}
	if len(ids) == 0 {
		return out, nil
	}
	var evs []models.OrderEvent
	if err := s.db.WithContext(ctx).Where("shop_id IN ? AND order_id IN ?", shops, ids).Order("order_id, id").Find(&evs).Error; err != nil {
		return nil, err
	}
	for _, ev := range evs {
		k := Key{ShopID: ev.ShopID, ID: ev.OrderID}
		out[k] = append(out[k], ev)
	}
	return out, nil
}

// PackageByID returns a package of an order the actor may see.
func (s *Service) PackageByID(ctx context.Context, a Actor, id int64) (models.Package, error) {
	scope, err := orderScope(a)
	if err != nil {
		return models.Package{}, err
	}
	var p models.Package
	err = s.db.WithContext(ctx).Table("packages").Select("packages.*").
		Joins("JOIN orders ON orders.shop_id = packages.shop_id AND orders.id = packages.order_id").
		Scopes(scope).Where("packages.id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, models.Errorf(models.CodeNotFound, "no such package")
	}
	return p, err
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
