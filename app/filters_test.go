package app_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

func TestOrderFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		query := `query($f: OrderFilter) { orders(first: 100, filter: $f) { totalCount nodes { number } } }`
		list := func(f map[string]any) ([]string, int) {
			var r struct {
				Orders struct {
					TotalCount int
					Nodes      []struct{ Number string }
				}
			}
			a.MustDo(t, owner, query, &r, map[string]any{"f": f})
			var out []string
			for _, n := range r.Orders.Nodes {
				out = append(out, n.Number)
			}
			slices.Sort(out)
			return out, r.Orders.TotalCount
		}
		want := func(where string, args ...any) []string {
			var out []string
			db.Table("orders").Where("shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店')").Where(where, args...).
				Order("number").Pluck("number", &out)
			return out
		}
		var shipped, cherry, buyerID string
		db.Raw("SELECT tracking_number FROM packages WHERE carrier_code = 'SF' ORDER BY id LIMIT 1").Scan(&shipped)
		db.Raw("SELECT id FROM products WHERE sku = 'CLZ-JJ-2J'").Scan(&cherry)
		db.Raw("SELECT id FROM users WHERE email = ?", buyer2).Scan(&buyerID)
		now := a.Clock.Now()
		for _, c := range []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"status", map[string]any{"statuses": []string{"PENDING_SHIPMENT", "PARTIALLY_SHIPPED"}},
				want("status IN ?", []string{"PENDING_SHIPMENT", "PARTIALLY_SHIPPED"})},
			{"promised within a day", map[string]any{"promisedFrom": now, "promisedTo": now.Add(24 * time.Hour)},
				want("promised_ship_by >= ? AND promised_ship_by < ?", now, now.Add(24*time.Hour))},
			{"product", map[string]any{"productId": "gid://fahuo/Product/" + cherry},
				want("id IN (SELECT order_id FROM order_lines WHERE product_id = ?)", cherry)},
			{"province covers its districts", map[string]any{"regionCode": "440000"}, want("region_code LIKE '44%'")},
			{"city", map[string]any{"regionCode": "310100"}, want("region_code LIKE '3101%'")},
			{"district", map[string]any{"regionCode": "110105"}, want("region_code = '110105'")},
			{"tracking number, typed loosely", map[string]any{"trackingNumber": " " + shipped[:2] + "-" + shipped[2:] + " "},
				want("id IN (SELECT order_id FROM packages WHERE tracking_number = ?)", shipped)},
			{"buyer", map[string]any{"buyerId": "gid://fahuo/User/" + buyerID}, want("buyer_id = ?", buyerID)},
			{"status and region together", map[string]any{"statuses": []string{"PENDING_SHIPMENT"}, "regionCode": "440305"},
				want("status = 'PENDING_SHIPMENT' AND region_code = '440305'")},
		} {
			got, total := list(c.filter)
			if len(c.want) == 0 {
				t.Errorf("%s: the demo data has no such order to find", c.name)
			}
			if !slices.Equal(got, c.want) || total != len(c.want) {
				t.Errorf("%s: %v (total %d), want %v", c.name, got, total, c.want)
			}
		}
		one := want("status = 'SHIPPED'")[0]
		if got, _ := list(map[string]any{"number": one}); !slices.Equal(got, []string{one}) {
			t.Errorf("number: %v", got)
		}
		res := a.Do(t, owner, query, map[string]any{"f": map[string]any{"regionCode": "12"}})
		if !slices.Equal(res.Codes(), []string{"INVALID_REGION"}) {
			t.Errorf("bad region filter: %+v", res.Errors)
		}
	})
}
