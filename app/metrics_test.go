package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

type figures struct {
	Day                                                                *string
	Due, OnTime, Late, NotYetDue, ExemptByReport, ExemptByAnnouncement int
	OnTimeRate                                                         *float64
	PackagesShipped, PickedUpInTime, PickupAnomalies, AwaitingPickup   int
}

const metricsQuery = `query($f: Time!, $t: Time!) { shopMetrics(from: $f, to: $t) {
	days { day due onTime late notYetDue exemptByReport exemptByAnnouncement onTimeRate packagesShipped pickedUpInTime pickupAnomalies awaitingPickup }
	total { due onTime late notYetDue exemptByReport exemptByAnnouncement onTimeRate packagesShipped pickedUpInTime pickupAnomalies awaitingPickup } } }`

func metrics(t *testing.T, a *apptest.App, token string, from, to time.Time) (map[string]figures, figures) {
	t.Helper()
	var r struct {
		ShopMetrics struct {
			Days  []figures
			Total figures
		}
	}
	a.MustDo(t, token, metricsQuery, &r, map[string]any{"f": from, "t": to})
	days := map[string]figures{}
	for _, d := range r.ShopMetrics.Days {
		days[*d.Day] = d
	}
	return days, r.ShopMetrics.Total
}

// recount computes the on-time figures from the rows, in Go, as DOMAIN.md
// §10 defines them, to check the database's aggregate against.
func recount(t *testing.T, db *gorm.DB, shop string, from, to, now time.Time, announced func(models.Order) bool) figures {
	t.Helper()
	var orders []models.Order
	db.Where("shop_id = (SELECT id FROM shops WHERE name = ?) AND promised_ship_by >= ? AND promised_ship_by < ?", shop, from, to).Find(&orders)
	var exempt []int64
	db.Raw(`SELECT ro.order_id FROM delay_report_orders ro JOIN delay_reports r ON r.id = ro.report_id
		WHERE ro.active AND r.status = 'APPROVED' AND r.effective_at <= ?`, now).Scan(&exempt)
	var f figures
	for _, o := range orders {
		if o.Status == models.OrderClosed && o.FirstShippedAt == nil && !o.ClosedAt.After(o.PromisedShipBy) {
			continue
		}
		f.Due++
		switch {
		case announced(o):
			f.ExemptByAnnouncement++
		case contains(exempt, o.ID):
			f.ExemptByReport++
		case o.FirstShippedAt != nil && !o.FirstShippedAt.After(o.PromisedShipBy):
			f.OnTime++
		case o.FirstShippedAt != nil || o.PromisedShipBy.Before(now):
			f.Late++
		default:
			f.NotYetDue++
		}
	}
	return f
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestFiguresAgreeWithARecount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		start := a.Clock.Now()
		// Orders over several days: some shipped on time, some late, some not yet.
		var ids []string
		for i := 0; i < 6; i++ {
			a.Clock.Set(start.Add(time.Duration(i) * 20 * time.Hour))
			id, _ := newOrder(t, a, db, buyer)
			ids = append(ids, id)
		}
		shipper := a.Login(t, shipA)
		a.Clock.Set(start.Add(30 * time.Hour)) // order 0 (due +48 h) on time; order 1 (due +68 h) on time
		ship(t, a, shipper, map[string]any{"orderId": ids[0], "packages": []any{pkg("SF", sfNumber(1))}})
		ship(t, a, shipper, map[string]any{"orderId": ids[1], "packages": []any{pkg("SF", sfNumber(2))}})
		a.Clock.Set(start.Add(90 * time.Hour)) // order 2 (due +88 h) late
		ship(t, a, shipper, map[string]any{"orderId": ids[2], "packages": []any{pkg("SF", sfNumber(3))}})
		// A pickup scan for one package within 24 h, none for another.
		a.MustDo(t, a.Login(t, platfm), recordScans, nil, map[string]any{"ev": []any{scan("SF", sfNumber(1), "PICKED_UP", start.Add(31*time.Hour))}})
		a.Clock.Set(start.Add(5 * 24 * time.Hour))

		from, to := start.Add(-3*24*time.Hour), start.Add(8*24*time.Hour)
		owner := a.Login(t, ownerA)
		days, total := metrics(t, a, owner, from, to)
		want := recount(t, db, "鲜果时光旗舰店", from, to, a.Clock.Now(), func(models.Order) bool { return false })
		if total.Due != want.Due || total.OnTime != want.OnTime || total.Late != want.Late || total.NotYetDue != want.NotYetDue || total.ExemptByReport != 0 {
			t.Errorf("total %+v, recount %+v", total, want)
		}
		if total.OnTime < 2 || total.Late < 1 {
			t.Errorf("the scenario did not produce on-time and late orders: %+v", total)
		}
		sum := 0
		for _, d := range days {
			sum += d.Due
		}
		if sum != total.Due {
			t.Errorf("days add up to %d, total says %d", sum, total.Due)
		}
		if total.OnTimeRate == nil || *total.OnTimeRate != float64(total.OnTime)/float64(total.OnTime+total.Late) {
			t.Errorf("rate %v", total.OnTimeRate)
		}
		// Pickup: packages 2 and 3 have no scan; package 2 is over 24 h old.
		if total.PackagesShipped < 3 || total.PickedUpInTime < 1 || total.PickupAnomalies < 2 {
			t.Errorf("pickup figures %+v", total)
		}

		// An announcement covering Shanghai takes the demo's Shanghai orders out.
		a.MustDo(t, a.Login(t, platfm), `mutation($f: Time!, $t: Time!) { publishAnnouncement(input: { title: "上海", regionCodes: ["310000"], startsAt: $f, endsAt: $t }) { userErrors { code } } }`,
			nil, map[string]any{"f": from, "t": to})
		_, total = metrics(t, a, owner, from, to)
		want = recount(t, db, "鲜果时光旗舰店", from, to, a.Clock.Now(), func(o models.Order) bool { return strings.HasPrefix(o.RegionCode, "31") })
		if total.ExemptByAnnouncement != want.ExemptByAnnouncement || total.ExemptByAnnouncement == 0 || total.Late != want.Late {
			t.Errorf("with the announcement: %+v, recount %+v", total, want)
		}
	})
}

// An approved report exempts its orders from the third working day after
// approval, not before.
func TestExemptionStartsOnTheThirdWorkingDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner, platform := a.Login(t, ownerA), a.Login(t, platfm)
		// Wednesday 2026-09-23 09:00 China time; the order is due Friday 09:00.
		placed := time.Date(2026, 9, 23, 9, 0, 0, 0, models.ChinaTime)
		a.Clock.Set(placed)
		id, _ := newOrder(t, a, db, buyer)
		number := orderNumber(t, db, id)
		p := fileReport(t, a, a.Login(t, ownerA), map[string]any{"type": "MERCHANT_FACTOR", "reason": "爆单", "remark": "已与买家沟通",
			"newShipBy": placed.Add(20 * 24 * time.Hour), "orderNumbers": []string{number}}, pngBytes)
		if p.DelayReport == nil {
			t.Fatalf("report: %+v %+v", p.UserErrors, p.Orders)
		}
		// Approved Monday 2026-09-28 10:00: the third working day after,
		// skipping the National Day holiday (Oct 1–7) and counting the
		// make-up working day, is what workdays says.
		a.Clock.Set(time.Date(2026, 9, 28, 10, 0, 0, 0, models.ChinaTime))
		var r reviewResp
		a.MustDo(t, platform, review, &r, map[string]any{"id": p.DelayReport.ID, "d": "APPROVE"})
		effective := *r.ReviewDelayReport.DelayReport.EffectiveAt
		if !effective.After(time.Date(2026, 10, 7, 0, 0, 0, 0, models.ChinaTime)) {
			t.Errorf("effective %v: the holiday was not skipped", effective.In(models.ChinaTime))
		}
		from, to := placed.Add(-24*time.Hour), placed.Add(5*24*time.Hour)
		a.Clock.Set(effective.Add(-time.Second))
		_, total := metrics(t, a, owner, from, to)
		if total.ExemptByReport != 0 {
			t.Errorf("exempt a second before: %+v", total)
		}
		a.Clock.Set(effective)
		_, total = metrics(t, a, owner, from, to)
		if total.ExemptByReport != 1 {
			t.Errorf("not exempt on the third working day: %+v", total)
		}
	})
}

func TestShippingCapacity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		start := a.Clock.Now()
		pendingOrders(t, a, db, 3)
		var set struct {
			SetShippingCapacity struct {
				DailyCapacity *int
				UserErrors    []userError
			}
		}
		a.MustDo(t, owner, `mutation { setShippingCapacity(dailyCapacity: 2) { dailyCapacity userErrors { code } } }`, &set, nil)
		if set.SetShippingCapacity.DailyCapacity == nil || *set.SetShippingCapacity.DailyCapacity != 2 {
			t.Fatalf("set: %+v", set)
		}
		a.MustDo(t, owner, `mutation { setShippingCapacity(dailyCapacity: -1) { userErrors { code } } }`, &set, nil)
		if codeOf(set.SetShippingCapacity.UserErrors) != "INVALID_ARGUMENT" {
			t.Errorf("negative capacity: %+v", set)
		}
		var c struct {
			ShippingCapacity []struct {
				Day        string
				Due        int
				Capacity   *int
				Overloaded bool
			}
		}
		a.MustDo(t, owner, `query($f: Time!, $t: Time!) { shippingCapacity(from: $f, to: $t) { day due capacity overloaded } }`, &c,
			map[string]any{"f": start.Add(-3 * 24 * time.Hour), "t": start.Add(7 * 24 * time.Hour)})
		dueDay := start.Add(48 * time.Hour).In(models.ChinaTime).Format(time.DateOnly)
		found := false
		for _, d := range c.ShippingCapacity {
			if d.Day == dueDay {
				found = true
				if d.Due < 3 || !d.Overloaded || *d.Capacity != 2 {
					t.Errorf("due day: %+v", d)
				}
			}
			if d.Overloaded != (d.Due > 2) {
				t.Errorf("day %s: %d due, overloaded %v", d.Day, d.Due, d.Overloaded)
			}
		}
		if !found {
			t.Errorf("no row for %s in %+v", dueDay, c.ShippingCapacity)
		}
	})
}

// §10 at its boundaries: an order first shipped exactly at its promise is
// on time and one shipped a second later is late; a pickup scan exactly 24 h
// after shipping is in time and one a second later is an anomaly.
func TestFiguresAtTheirBoundaries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		// Far from the demo's orders, so that the window holds only these.
		base := a.Clock.Now().Add(90 * 24 * time.Hour).Truncate(time.Hour)
		a.Clock.Set(base)
		onTime, _ := newOrder(t, a, db, buyer)
		late, _ := newOrder(t, a, db, buyer)
		promise := func(id string) time.Time {
			var o models.Order
			db.First(&o, id[len("gid://fahuo/Order/"):])
			return o.PromisedShipBy
		}
		shipper := a.Login(t, shipA)
		a.Clock.Set(promise(onTime))
		if r := ship(t, a, shipper, map[string]any{"orderId": onTime, "packages": []any{pkg("SF", sfNumber(81))}}); r.code() != "OK" {
			t.Fatalf("ship at the promise: %+v", r.ShipOrder.UserErrors)
		}
		shippedOnTime := a.Clock.Now()
		a.Clock.Set(promise(late).Add(time.Second))
		if r := ship(t, a, shipper, map[string]any{"orderId": late, "packages": []any{pkg("SF", sfNumber(82))}}); r.code() != "OK" {
			t.Fatalf("ship a second after the promise: %+v", r.ShipOrder.UserErrors)
		}
		shippedLate := a.Clock.Now()
		a.Clock.Set(shippedLate.Add(3 * 24 * time.Hour))
		var scans struct {
			RecordTrackingEvents struct {
				Results []struct{ Recorded bool }
			}
		}
		a.MustDo(t, a.Login(t, platfm), recordScans, &scans, map[string]any{"ev": []any{
			scan("SF", sfNumber(81), "PICKED_UP", shippedOnTime.Add(24*time.Hour)),
			scan("SF", sfNumber(82), "PICKED_UP", shippedLate.Add(24*time.Hour+time.Second)),
		}})
		if r := scans.RecordTrackingEvents.Results; len(r) != 2 || !r[0].Recorded || !r[1].Recorded {
			t.Fatalf("scans not recorded: %+v", r)
		}

		_, total := metrics(t, a, a.Login(t, ownerA), base, base.Add(7*24*time.Hour))
		if total.Due != 2 || total.OnTime != 1 || total.Late != 1 || total.NotYetDue != 0 {
			t.Errorf("on time at the promise, late a second after: %+v", total)
		}
		if total.PackagesShipped != 2 || total.PickedUpInTime != 1 || total.PickupAnomalies != 1 || total.AwaitingPickup != 0 {
			t.Errorf("picked up at 24 h in time, at 24 h and a second not: %+v", total)
		}
	})
}
