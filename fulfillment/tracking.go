package fulfillment

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
		touched := map[waybillKey]int64{}
		for i, sc := range scans {
			results[i].Index = i
			ev, shop, err := s.resolveScan(tx, sc, now)
			if err != nil {
				if me, ok := models.AsError(err); ok {
					results[i].Err = me
					continue
				}
				return err
			}
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ev)
			if res.Error != nil {
				return res.Error
			}
			results[i].Recorded = res.RowsAffected == 1
			touched[waybillKey{ev.CarrierCode, ev.TrackingNumber}] = shop
		}
		return s.applyScans(tx, a, touched, now)
	})
	return results, err
}

func (s *Service) resolveScan(tx *gorm.DB, sc ScanInput, now time.Time) (models.TrackingEvent, int64, error) {
	c, n, err := resolveCarrier(sc.Carrier, sc.TrackingNumber)
	if err != nil && err.Code == models.CodeUnknownCarrier {
		return models.TrackingEvent{}, 0, err
	}
	if !slices.Contains(scanStatuses, sc.Status) {
		return models.TrackingEvent{}, 0, models.FieldError(models.CodeInvalidArgument, []string{"status"}, "%q is not a scan status", sc.Status)
	}
	if sc.At.IsZero() || sc.At.After(now.Add(time.Hour)) {
		return models.TrackingEvent{}, 0, models.FieldError(models.CodeInvalidArgument, []string{"at"}, "a scan needs its time, not in the future")
	}
	var w models.Waybill
	if err := tx.Where("carrier_code = ? AND tracking_number = ?", c.Code, n).Take(&w).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.TrackingEvent{}, 0, models.FieldError(models.CodeNotFound, []string{"trackingNumber"}, "no order has %s %s", c.NameZh, n)
		}
		return models.TrackingEvent{}, 0, err
	}
	return models.TrackingEvent{
		ShopID: w.ShopID, CarrierCode: c.Code, TrackingNumber: n, Status: sc.Status, OccurredAt: sc.At.UTC().Truncate(time.Microsecond),
		Place: clip(sc.Place, 100), Description: clip(sc.Description, 500), CreatedAt: now,
	}, w.ShopID, nil
}

// applyScans brings the packages with the touched numbers, and their
// orders, up to the scans known. It locks the orders first, in id order,
// and only then changes their packages: the one lock order of the domain
// (order, then its packages), so that it never deadlocks with a shipment,
// a refund or another batch of scans.
func (s *Service) applyScans(tx *gorm.DB, a Actor, touched map[waybillKey]int64, now time.Time) error {
	keys := slices.SortedFunc(maps.Keys(touched), func(x, y waybillKey) int {
		return cmp.Or(cmp.Compare(x.carrier, y.carrier), cmp.Compare(x.number, y.number))
	})
	var orders []Key
	for _, k := range keys {
		var ids []int64
		if err := tx.Model(&models.Package{}).Where("shop_id = ? AND carrier_code = ? AND tracking_number = ?", touched[k], k.carrier, k.number).
			Pluck("order_id", &ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			if o := (Key{ShopID: touched[k], ID: id}); !slices.Contains(orders, o) {
				orders = append(orders, o)
			}
		}
	}
	slices.SortFunc(orders, func(x, y Key) int { return cmp.Compare(x.ID, y.ID) })
	for _, o := range orders {
		if err := tx.Model(&models.Order{}).Clauses(lockForUpdate).Where("shop_id = ? AND id = ?", o.ShopID, o.ID).Pluck("id", new([]int64)).Error; err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := updatePackagesFromScans(tx, touched[k], k); err != nil {
			return err
		}
	}
	for _, o := range orders {
		if err := s.maybeDelivered(tx, a, o.ShopID, o.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// updatePackagesFromScans sets the packages with one number to what their
// scans say: the latest status, picked up at the first scan, delivered at a
// delivery scan.
func updatePackagesFromScans(tx *gorm.DB, shopID int64, k waybillKey) error {
	var evs []models.TrackingEvent
	if err := tx.Where("shop_id = ? AND carrier_code = ? AND tracking_number = ?", shopID, k.carrier, k.number).
		Order("occurred_at, id").Find(&evs).Error; err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	first, latest := evs[0], evs[len(evs)-1]
	updates := map[string]any{"status": latest.Status, "status_at": latest.OccurredAt, "picked_up_at": first.OccurredAt}
	if latest.Status == models.PackageDelivered {
		updates["delivered_at"] = latest.OccurredAt
	} else {
		updates["delivered_at"] = nil
	}
	return tx.Model(&models.Package{}).Where("shop_id = ? AND carrier_code = ? AND tracking_number = ?", shopID, k.carrier, k.number).
		Updates(updates).Error
}

// maybeDelivered moves a fully shipped order to DELIVERED once every
// shipment package is delivered (appended ones do not count: A5).
func (s *Service) maybeDelivered(tx *gorm.DB, a Actor, shopID, orderID int64, now time.Time) error {
	var o models.Order
	if err := tx.Clauses(lockForUpdate).Where("shop_id = ? AND id = ?", shopID, orderID).Take(&o).Error; err != nil {
		return err
	}
	if o.Status != models.OrderShipped {
		return nil
	}
	// Read rather than aggregated: SQLite's MAX of a time is text.
	var pkgs []models.Package
	if err := tx.Where("shop_id = ? AND order_id = ? AND kind = ?", shopID, orderID, models.PackageShipment).Find(&pkgs).Error; err != nil {
		return err
	}
	var at time.Time
	for _, p := range pkgs {
		if p.Status != models.PackageDelivered || p.DeliveredAt == nil {
			return nil
		}
		if p.DeliveredAt.After(at) {
			at = *p.DeliveredAt
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	res := tx.Model(&models.Order{}).Where("shop_id = ? AND id = ? AND status = ?", shopID, orderID, models.OrderShipped).
		Updates(map[string]any{"status": models.OrderDelivered, "delivered_at": at, "updated_at": now})
	if res.Error != nil || res.RowsAffected != 1 {
		return res.Error
	}
	return addEvent(tx, o, a, now, "delivered", "全部包裹已签收")
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
