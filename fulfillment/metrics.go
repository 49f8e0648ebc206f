package fulfillment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// PickupWithin is how soon a shipped package must get the carrier's first
// scan (DOMAIN.md §10, a design choice).
const PickupWithin = 24 * time.Hour

// maxFigureDays bounds one figures request.
const maxFigureDays = 366

// DayFigures are one China-time day's counts, or a whole period's.
type DayFigures struct {
	Day string // "2006-01-02" in China time; "" for the period
	// On-time shipping: orders due that day (promisedShipBy), by outcome.
	Due, OnTime, Late, NotYetDue, ExemptByReport, ExemptByAnnouncement int64
	// Pickup: shipment packages sent that day, by outcome.
	Shipped, PickedUpInTime, PickupAnomalies, AwaitingPickup, PackagesExempt int64
}

// OnTimeRate is on-time ÷ (on-time + late): exempt orders and orders not yet
// due count for neither. Nil with nothing to judge.
func (d DayFigures) OnTimeRate() *float64 {
	return rate(d.OnTime, d.OnTime+d.Late)
}

// PickupAnomalyRate is anomalies ÷ (in time + anomalies).
func (d DayFigures) PickupAnomalyRate() *float64 {
	return rate(d.PickupAnomalies, d.PickedUpInTime+d.PickupAnomalies)
}

func rate(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	r := float64(n) / float64(of)
	return &r
}

// ShopFigures are a shop's assessment figures for a period.
type ShopFigures struct {
	ShopID int64
	From   time.Time
	To     time.Time
	AsOf   time.Time
	Days   []DayFigures
	Total  DayFigures
}

// ShopMetrics computes the on-time shipping rate and the pickup anomaly
// rate (DOMAIN.md §10) for the days [from, to) in China time, in the
// database: a handful of aggregate statements, however many orders. An
// order is exempt by an announcement covering it (§9) or by an approved
// report whose exemption has taken effect by now (D8); an announcement
// comes first when both apply. Shop actors see their shop; the platform
// names the shop.
//
// Errors: FORBIDDEN for buyers; INVALID_ARGUMENT for a range that is empty
// or longer than a year; NOT_FOUND for the platform without a shop.
func (s *Service) ShopMetrics(ctx context.Context, a Actor, shopID int64, from, to time.Time) (ShopFigures, error) {
	shopID, err := s.figuresShop(a, shopID, from, to)
	if err != nil {
		return ShopFigures{}, err
	}
	now := s.clock.Now()
	db := s.db.WithContext(ctx)
	var anns []models.Announcement
	if err := db.Where("starts_at < ? AND ends_at >= ?", to, from).Find(&anns).Error; err != nil {
		return ShopFigures{}, err
	}
	d := database.DialectOf(s.db)
	annCase, annArgs := announcementCase(anns, "o")
	reportCase := `EXISTS (SELECT 1 FROM delay_report_orders ro JOIN delay_reports r ON r.shop_id = ro.shop_id AND r.id = ro.report_id
		WHERE ro.shop_id = o.shop_id AND ro.order_id = o.id AND ro.active AND r.status = 'APPROVED' AND r.effective_at <= ?)`

	// On time: orders due in the period, by day and outcome. Orders closed
	// before their promise without shipping are not judged.
	var due []struct {
		Day                                                      string
		Due, OnTime, Late, NotYet, ExemptReport, ExemptAnnounced int64
	}
	q := `SELECT ` + chinaDay(d, "o.promised_ship_by") + ` AS day, COUNT(*) AS due,
		SUM(CASE WHEN ` + annCase + ` THEN 1 ELSE 0 END) AS exempt_announced,
		SUM(CASE WHEN NOT (` + annCase + `) AND ` + reportCase + ` THEN 1 ELSE 0 END) AS exempt_report,
		SUM(CASE WHEN NOT (` + annCase + `) AND NOT ` + reportCase + ` AND o.first_shipped_at IS NOT NULL AND o.first_shipped_at <= o.promised_ship_by THEN 1 ELSE 0 END) AS on_time,
		SUM(CASE WHEN NOT (` + annCase + `) AND NOT ` + reportCase + ` AND (o.first_shipped_at > o.promised_ship_by OR (o.first_shipped_at IS NULL AND o.promised_ship_by < ?)) THEN 1 ELSE 0 END) AS late,
		SUM(CASE WHEN NOT (` + annCase + `) AND NOT ` + reportCase + ` AND o.first_shipped_at IS NULL AND o.promised_ship_by >= ? THEN 1 ELSE 0 END) AS not_yet
		FROM orders o
		WHERE o.shop_id = ? AND o.promised_ship_by >= ? AND o.promised_ship_by < ?
		  AND NOT (o.status = 'CLOSED' AND o.first_shipped_at IS NULL AND o.closed_at <= o.promised_ship_by)
		GROUP BY 1 ORDER BY 1`
	var args []any
	args = append(args, annArgs...)                   // exempt_announced
	args = append(args, annArgs...)                   // exempt_report: NOT ann
	args = append(args, now)                          // exempt_report: report
	args = append(args, annArgs...)                   // on_time: NOT ann
	args = append(args, now)                          // on_time: NOT report
	args = append(args, annArgs...)                   // late: NOT ann
	args = append(args, now, now)                     // late: NOT report, promise < now
	args = append(args, annArgs...)                   // not_yet: NOT ann
	args = append(args, now, now)                     // not_yet: NOT report, promise >= now
	args = append(args, shopID, from.UTC(), to.UTC()) // where
	if err := db.Raw(q, args...).Scan(&due).Error; err != nil {
		return ShopFigures{}, err
	}

	// Pickup: shipment packages sent in the period.
	var picked []struct {
		Day                                         string
		Shipped, InTime, Anomalies, Waiting, Exempt int64
	}
	late := pickupLate(d)
	q = `SELECT ` + chinaDay(d, "p.shipped_at") + ` AS day, COUNT(*) AS shipped,
		SUM(CASE WHEN (` + annCase + `) OR ` + reportCase + ` THEN 1 ELSE 0 END) AS exempt,
		SUM(CASE WHEN NOT ((` + annCase + `) OR ` + reportCase + `) AND p.picked_up_at IS NOT NULL AND NOT (` + late + `) THEN 1 ELSE 0 END) AS in_time,
		SUM(CASE WHEN NOT ((` + annCase + `) OR ` + reportCase + `) AND ((p.picked_up_at IS NOT NULL AND ` + late + `) OR (p.picked_up_at IS NULL AND p.shipped_at <= ?)) THEN 1 ELSE 0 END) AS anomalies,
		SUM(CASE WHEN NOT ((` + annCase + `) OR ` + reportCase + `) AND p.picked_up_at IS NULL AND p.shipped_at > ? THEN 1 ELSE 0 END) AS waiting
		FROM packages p JOIN orders o ON o.shop_id = p.shop_id AND o.id = p.order_id
		WHERE p.shop_id = ? AND p.kind = 'SHIPMENT' AND p.shipped_at >= ? AND p.shipped_at < ?
		GROUP BY 1 ORDER BY 1`
	args = nil
	cutoff := now.Add(-PickupWithin)
	args = append(args, annArgs...)
	args = append(args, now)
	args = append(args, annArgs...)
	args = append(args, now)
	args = append(args, annArgs...)
	args = append(args, now, cutoff)
	args = append(args, annArgs...)
	args = append(args, now, cutoff)
	args = append(args, shopID, from.UTC(), to.UTC())
	if err := db.Raw(q, args...).Scan(&picked).Error; err != nil {
		return ShopFigures{}, err
	}

	out := ShopFigures{ShopID: shopID, From: from, To: to, AsOf: now}
	days := map[string]*DayFigures{}
	for _, day := range chinaDays(from, to) {
		out.Days = append(out.Days, DayFigures{Day: day})
	}
	for i := range out.Days {
		days[out.Days[i].Day] = &out.Days[i]
	}
	for _, r := range due {
		if f := days[r.Day]; f != nil {
			f.Due, f.OnTime, f.Late, f.NotYetDue, f.ExemptByReport, f.ExemptByAnnouncement = r.Due, r.OnTime, r.Late, r.NotYet, r.ExemptReport, r.ExemptAnnounced
		}
	}
	for _, r := range picked {
		if f := days[r.Day]; f != nil {
			f.Shipped, f.PickedUpInTime, f.PickupAnomalies, f.AwaitingPickup, f.PackagesExempt = r.Shipped, r.InTime, r.Anomalies, r.Waiting, r.Exempt
		}
	}
	for _, f := range out.Days {
		t := &out.Total
		t.Due += f.Due
		t.OnTime += f.OnTime
		t.Late += f.Late
		t.NotYetDue += f.NotYetDue
		t.ExemptByReport += f.ExemptByReport
		t.ExemptByAnnouncement += f.ExemptByAnnouncement
		t.Shipped += f.Shipped
		t.PickedUpInTime += f.PickedUpInTime
		t.PickupAnomalies += f.PickupAnomalies
		t.AwaitingPickup += f.AwaitingPickup
		t.PackagesExempt += f.PackagesExempt
	}
	return out, nil
}

func (s *Service) figuresShop(a Actor, shopID int64, from, to time.Time) (int64, error) {
	if err := authorize(a, OpReadFigures); err != nil {
		return 0, err
	}
	if a.IsShopActor() {
		shopID = a.ShopID
	} else if shopID == 0 {
		return 0, models.FieldError(models.CodeNotFound, []string{"shopId"}, "name the shop")
	}
	if !to.After(from) || to.Sub(from) > maxFigureDays*24*time.Hour {
		return 0, models.FieldError(models.CodeInvalidArgument, []string{"to"}, "the range must be 1 to %d days", maxFigureDays)
	}
	return shopID, nil
}

// announcementCase is an SQL condition that is true when an announcement
// covers the order aliased as alias, with its arguments.
func announcementCase(anns []models.Announcement, alias string) (string, []any) {
	if len(anns) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, an := range anns {
		partArgs := []any{an.StartsAt, an.EndsAt}
		var regionConds []string
		for _, code := range an.Regions {
			for _, col := range []string{"region_code", "ship_from_region"} {
				c := regionCondition(code)
				regionConds = append(regionConds, strings.ReplaceAll(c.SQL, "orders.region_code", alias+"."+col))
				partArgs = append(partArgs, c.Vars...)
			}
		}
		parts = append(parts, "("+alias+".promised_ship_by >= ? AND "+alias+".promised_ship_by <= ? AND ("+strings.Join(regionConds, " OR ")+"))")
		args = append(args, partArgs...)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// chinaDay is the SQL for the China-time calendar day of a time column.
func chinaDay(d database.Dialect, col string) string {
	if d == database.Postgres {
		return "to_char((" + col + " AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD')"
	}
	return "date(" + col + ", '+8 hours')"
}

// pickupLate is the SQL condition for a pickup later than PickupWithin
// after shipping.
func pickupLate(d database.Dialect) string {
	if d == database.Postgres {
		return fmt.Sprintf("p.picked_up_at > p.shipped_at + interval '%d seconds'", int64(PickupWithin/time.Second))
	}
	// SQLite keeps times as text: compare whole milliseconds, exactly, not
	// two julianday floats that may differ in their last bit at 24 h.
	return fmt.Sprintf("CAST(round((julianday(p.picked_up_at) - julianday(p.shipped_at)) * 86400000) AS INTEGER) > %d", PickupWithin.Milliseconds())
}

// chinaDays lists the China-time days from the day of from up to (not
// including) the day of to, unless to falls inside a day.
func chinaDays(from, to time.Time) []string {
	var out []string
	day := from.In(models.ChinaTime)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, models.ChinaTime)
	for day.Before(to) && len(out) <= maxFigureDays {
		out = append(out, day.Format(time.DateOnly))
		day = day.AddDate(0, 0, 1)
	}
	return out
}

// CapacityDay is one day of the capacity view.
type CapacityDay struct {
	Day        string
	Due        int64
	Capacity   *int64
	Overloaded bool
}

// ShippingCapacity lists, day by day in China time, the shop's orders still
// to ship that fall due that day against its daily capacity, so that
// overload shows before a big sale (§10).
func (s *Service) ShippingCapacity(ctx context.Context, a Actor, shopID int64, from, to time.Time) ([]CapacityDay, error) {
	shopID, err := s.figuresShop(a, shopID, from, to)
	if err != nil {
		return nil, err
	}
	var shop models.Shop
	if err := s.db.WithContext(ctx).Take(&shop, shopID).Error; err != nil {
		return nil, err
	}
	var rows []struct {
		Day string
		Due int64
	}
	d := database.DialectOf(s.db)
	if err := s.db.WithContext(ctx).Raw(`SELECT `+chinaDay(d, "o.promised_ship_by")+` AS day, COUNT(*) AS due FROM orders o
		WHERE o.shop_id = ? AND o.status IN ('PENDING_SHIPMENT', 'PARTIALLY_SHIPPED') AND o.promised_ship_by >= ? AND o.promised_ship_by < ?
		GROUP BY 1 ORDER BY 1`, shopID, from.UTC(), to.UTC()).Scan(&rows).Error; err != nil {
		return nil, err
	}
	byDay := map[string]int64{}
	for _, r := range rows {
		byDay[r.Day] = r.Due
	}
	var out []CapacityDay
	for _, day := range chinaDays(from, to) {
		c := CapacityDay{Day: day, Due: byDay[day], Capacity: shop.DailyCapacity}
		c.Overloaded = shop.DailyCapacity != nil && c.Due > *shop.DailyCapacity
		out = append(out, c)
	}
	return out, nil
}

// SetShippingCapacity sets how many orders a day the shop can ship; nil
// clears it.
//
// Errors: FORBIDDEN for roles other than owner and operations;
// INVALID_ARGUMENT for a negative or absurd number.
func (s *Service) SetShippingCapacity(ctx context.Context, a Actor, daily *int64) (models.Shop, error) {
	var shop models.Shop
	e := &audit{op: OpSetShippingCapacity}
	if daily != nil && (*daily < 0 || *daily > 10_000_000) {
		return shop, s.refuse(ctx, a, e, models.FieldError(models.CodeInvalidArgument, []string{"dailyCapacity"}, "the capacity is 0 to 10,000,000 orders a day"))
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Model(&models.Shop{}).Where("id = ?", a.ShopID).Update("daily_capacity", daily).Error; err != nil {
			return err
		}
		e.object("Shop", a.ShopID)
		return tx.Take(&shop, a.ShopID).Error
	})
	return shop, err
}
