package app_test

import (
	"os"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/fulfillment"
)

// BenchmarkShopMetrics100k computes a month of figures over 100,000 orders
// on PostgreSQL. The orders are written with one INSERT … SELECT from
// generate_series (valid rows: due over 30 days, three in four shipped, a
// fifth of those late), since placing 100,000 orders through the domain
// would take minutes and is not what is measured.
func BenchmarkShopMetrics100k(b *testing.B) {
	if os.Getenv(dbtest.EnvURL) == "" {
		b.Skip("needs TEST_DATABASE_URL (PostgreSQL)")
	}
	_, url := dbtest.Postgres(b)
	a := apptest.New(b, url)
	start := a.Clock.Now().Add(-30 * 24 * time.Hour)
	err := a.DB.Exec(`INSERT INTO orders (shop_id, number, buyer_id, status, recipient_name, recipient_phone, region_code, region_name,
		address_detail, currency, freight_cents, total_cents, paid_at, promised_ship_by, first_shipped_at, shipped_at, created_at, updated_at, ship_from_region)
		SELECT 1, 'B' || g, 5, CASE WHEN g % 4 = 0 THEN 'PENDING_SHIPMENT' ELSE 'SHIPPED' END, '张三', '13800138000',
			CASE WHEN g % 10 = 0 THEN '310104' ELSE '440305' END, '广东省 深圳市 南山区', '科技园', 'CNY', 0, 1000,
			?::timestamptz + (g % 30) * interval '1 day', ?::timestamptz + (g % 30) * interval '1 day' + interval '48 hours',
			CASE WHEN g % 4 = 0 THEN NULL ELSE ?::timestamptz + (g % 30) * interval '1 day' + CASE WHEN g % 5 = 0 THEN interval '60 hours' ELSE interval '20 hours' END END,
			CASE WHEN g % 4 = 0 THEN NULL ELSE ?::timestamptz + (g % 30) * interval '1 day' + interval '70 hours' END,
			?::timestamptz + (g % 30) * interval '1 day', ?::timestamptz, '440305'
		FROM generate_series(1, 100000) g`, start, start, start, start, start, start).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := a.DB.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	_, owner, err := a.Service.Login(ctx, ownerA, fulfillment.DemoPassword)
	if err != nil {
		b.Fatal(err)
	}
	_, platform, _ := a.Service.Login(ctx, platfm, fulfillment.DemoPassword)
	if _, err := a.Service.PublishAnnouncement(ctx, platform, "上海", []string{"310000"}, start, start.Add(10*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	from, to := start, start.Add(32*24*time.Hour)
	b.ResetTimer()
	for b.Loop() {
		f, err := a.Service.ShopMetrics(ctx, owner, 0, from, to)
		if err != nil {
			b.Fatal(err)
		}
		if f.Total.Due < 100000 {
			b.Fatalf("only %d due", f.Total.Due)
		}
	}
}
