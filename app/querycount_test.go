package app_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// w1 is the buyer's tracking read of WORKLOADS.md.
const w1 = `query($n: String) { order(number: $n) { number status placedAt
	lines { id quantity sku title }
	packages { id kind carrier { code nameZh } trackingNumber trackingUrl status shippedAt lines { quantity orderLine { id } } } } }`

// w2 is the merchant's order page of WORKLOADS.md.
const w2 = `query($first: Int) { orders(first: $first) { totalCount nodes { id number status placedAt total { cents currency }
	buyer { id name } recipient { name regionName }
	lines { id quantity lineTotal { cents } productId sku title }
	packages { id status carrier { code } trackingNumber lines { quantity orderLine { id } } } } } }`

// readOrders places enough orders for a full page of 50, and ships every
// second one in two packages, one a line, as the workloads' data set does.
// It returns the numbers in placement order.
func readOrders(t testing.TB, a *apptest.App, db *gorm.DB) []string {
	t.Helper()
	numbers := pendingOrders(t, a, db, 60)
	shipper := a.Login(t, shipA)
	for i, n := range numbers {
		if i%2 == 1 {
			var ids []string
			db.Raw("SELECT 'gid://fahuo/OrderLine/' || id FROM order_lines WHERE order_id = (SELECT id FROM orders WHERE number = ?) ORDER BY line_no", n).Scan(&ids)
			ship(t, a, shipper, map[string]any{"orderNumber": n, "packages": []any{
				pkg("SF", sfNumber(100+i), line(ids[0], 2)), pkg("ZTO", ztoNumber(100+i), line(ids[1], 1))}})
		}
	}
	return numbers
}

// The statements a read costs are fixed by the query's shape: W1 costs the
// same few statements whatever the order holds, and W2 costs the same for a
// page of 10 as for 50, with no statement per order, line or package.
func TestReadsCostAFixedNumberOfStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := readOrders(t, a, db)
		buy := a.Login(t, buyer)
		w1Count := func(n string) int64 {
			return a.CountStatements(t, func() { a.MustDo(t, buy, w1, nil, map[string]any{"n": n}) })
		}
		// Session, the order joined with its lines, its packages joined
		// with theirs; on PostgreSQL the packages come as JSON in the
		// order's rows.
		want := int64(3)
		if database.DialectOf(db) == database.Postgres {
			want = 2
		}
		if got := w1Count(numbers[1]); got != want {
			t.Errorf("W1 on a shipped order: %d statements, want %d", got, want)
		}
		if got := w1Count(numbers[0]); got != want {
			t.Errorf("W1 on a pending order: %d statements, want %d", got, want)
		}
		// On PostgreSQL both go through the read connections' pipelines.
		if m := a.Multiplexer(); m != nil {
			before := m.Stats().Reads
			w1Count(numbers[1])
			if got := m.Stats().Reads - before; got != want {
				t.Errorf("W1: %d reads multiplexed, want all %d", got, want)
			}
		} else if database.DialectOf(db) == database.Postgres {
			t.Error("no multiplexer on PostgreSQL")
		}
		// Through the order's tracking link it is the same read without
		// the session: a link is checked by its signature alone.
		link := trackingToken(t, a, buy, numbers[1])
		if got := a.CountStatements(t, func() { a.MustDo(t, link, w1, nil, map[string]any{"n": numbers[1]}) }); got != want-1 {
			t.Errorf("W1 through a tracking link: %d statements, want %d", got, want-1)
		}
		// Packages with their lines' order lines, without the order's lines:
		// the order lines come with the order too.
		packagesOnly := a.CountStatements(t, func() {
			a.MustDo(t, buy, `query($n: String) { order(number: $n) { number packages { trackingNumber lines { quantity orderLine { sku } } } } }`,
				nil, map[string]any{"n": numbers[1]})
		})
		if packagesOnly != want {
			t.Errorf("packages without lines: %d statements, want %d", packagesOnly, want)
		}
		owner := a.Login(t, ownerA)
		w2Count := func(first int) int64 {
			return a.CountStatements(t, func() { a.MustDo(t, owner, w2, nil, map[string]any{"first": first}) })
		}
		ten, fifty := w2Count(10), w2Count(50)
		if ten != fifty {
			t.Errorf("W2: %d statements for 10 orders, %d for 50", ten, fifty)
		}
		// Session, page, count, lines, packages joined with their lines,
		// buyers.
		if fifty > 6 {
			t.Errorf("W2: %d statements, want at most 6", fifty)
		}
		// What was read in advance resolves without a goroutine per order,
		// package or field: the page of 50 starts no more goroutines than
		// the page of 10, nor does the buyer's order with its packages.
		// The count is the process's: the fewest of three runs leaves out
		// what the runtime or the connection pool started meanwhile.
		fewest := func(fn func()) uint64 {
			n := apptest.CountGoroutines(fn)
			for range 2 {
				n = min(n, apptest.CountGoroutines(fn))
			}
			return n
		}
		w2Goroutines := func(first int) uint64 {
			return fewest(func() { a.MustDo(t, owner, w2, nil, map[string]any{"first": first}) })
		}
		if ten, fifty := w2Goroutines(10), w2Goroutines(50); fifty > ten {
			t.Errorf("W2 started %d goroutines for 10 orders, %d for 50", ten, fifty)
		}
		if n := fewest(func() { a.MustDo(t, buy, w1, nil, map[string]any{"n": numbers[1]}) }); n > 0 {
			t.Errorf("W1 started %d goroutines", n)
		}
	})
}

// w3 ships a whole order in one package, as WORKLOADS.md's W3 does.
const w3 = `mutation($in: ShipOrderInput!) { shipOrder(input: $in) {
	order { number status } packages { id trackingNumber } userErrors { code field message } } }`

// Shipping a pending order with a fresh number claims the number by
// inserting it, without reading waybills or packages first, and does not
// add up shipped units of an order that was never shipped.
func TestShippingAPendingOrderCostsAFixedNumberOfStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := pendingOrders(t, a, db, 2)
		id, _ := newOrder(t, a, db, buyer2)
		theirs := orderNumber(t, db, id)
		shipper := a.Login(t, shipA)
		var res apptest.Result
		got := a.CountStatements(t, func() {
			res = a.Do(t, shipper, w3, map[string]any{"in": map[string]any{"orderNumber": numbers[0],
				"packages": []any{map[string]any{"carrier": "SF", "trackingNumber": sfNumber(31)}}}})
		})
		if !strings.Contains(string(res.Data), `"status":"SHIPPED"`) {
			t.Fatalf("not shipped: %s", res.Data)
		}
		// Session, the order locked and read with its lines, the claim, the
		// package, then its lines, the history line, the order's state and
		// the audit entry. On PostgreSQL the claim also draws the package's
		// id, and the package goes with the last four as one statement.
		want := int64(8)
		if database.DialectOf(db) == database.Postgres {
			want = 4
		}
		if got != want {
			t.Errorf("W3: %d statements, want %d", got, want)
		}
		// An idempotency key adds its claim; on PostgreSQL the key's
		// settlement goes with the last writes (SQLite runs it on its own).
		extra := int64(2)
		if database.DialectOf(db) == database.Postgres {
			extra = 1
		}
		got = a.CountStatements(t, func() {
			res = a.Do(t, shipper, w3, map[string]any{"in": map[string]any{"orderNumber": numbers[1], "idempotencyKey": "w3-key",
				"packages": []any{map[string]any{"carrier": "SF", "trackingNumber": sfNumber(32)}}}})
		})
		if !strings.Contains(string(res.Data), `"status":"SHIPPED"`) || got != want+extra {
			t.Errorf("W3 with an idempotency key: %d statements, want %d: %s", got, want+extra, res.Data)
		}
		// A number held already is read back and judged: on another
		// buyer's order it is refused, and nothing is written.
		before := countRows(t, db, "packages")
		res = a.Do(t, shipper, w3, map[string]any{"in": map[string]any{"orderNumber": theirs,
			"packages": []any{map[string]any{"carrier": "SF", "trackingNumber": sfNumber(31)}}}})
		if !strings.Contains(string(res.Data), "TRACKING_NUMBER_IN_USE") {
			t.Errorf("a number of another order: %s", res.Data)
		}
		if after := countRows(t, db, "packages"); after != before {
			t.Errorf("packages %d → %d after a refused shipment", before, after)
		}
	})
}

// The catalog's lists cost a fixed number of statements: a product's
// template and a template's product count come through dataloaders.
func TestCatalogListsCostAFixedNumberOfStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		q := `{ products { id shippingTemplate { id name } } shippingTemplates { id productCount } }`
		count := func() int64 { return a.CountStatements(t, func() { a.MustDo(t, owner, q, nil, nil) }) }
		before := count()
		for i := range 3 {
			tmpl := mustTemplate(t, a, owner, templateIn(fmt.Sprintf("模板 %d", i), nil))
			mustProduct(t, a, owner, productIn(fmt.Sprintf("商品 %d", i), 1000, 10, tmpl, map[string]any{"mode": "SPOT"}))
		}
		var r struct {
			Products []struct {
				ID               string
				ShippingTemplate *struct{ ID, Name string }
			}
			ShippingTemplates []struct {
				ID           string
				ProductCount int
			}
		}
		a.MustDo(t, owner, q, &r, nil)
		for _, p := range r.Products {
			if p.ShippingTemplate == nil || p.ShippingTemplate.Name == "" {
				t.Errorf("product %s without its template", p.ID)
			}
		}
		used := 0
		for _, tm := range r.ShippingTemplates {
			used += tm.ProductCount
		}
		if used != len(r.Products) {
			t.Errorf("templates count %d products, the shop lists %d", used, len(r.Products))
		}
		if after := count(); after != before {
			t.Errorf("%d statements before three more templates and products, %d after", before, after)
		}
	})
}

// A batch of carrier scans costs the same statements for 5 numbers as for
// 20, whether the scans only move packages or also deliver their orders:
// waybills, events, packages, orders and history are each read or written
// a thousand rows a statement.
func TestScansCostAFixedNumberOfStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper, platform := a.Login(t, shipA), a.Login(t, platfm)
		numbers := pendingOrders(t, a, db, 25)
		for i, n := range numbers {
			if r := ship(t, a, shipper, map[string]any{"orderNumber": n, "packages": []any{pkg("SF", sfNumber(500+i))}}); r.code() != "OK" {
				t.Fatalf("ship: %+v", r.ShipOrder.UserErrors)
			}
		}
		at := a.Clock.Now()
		a.Clock.Advance(48 * time.Hour)
		record := func(from, n int, status string, hours int) int64 {
			var events []any
			for i := from; i < from+n; i++ {
				events = append(events, scan("SF", sfNumber(500+i), status, at.Add(time.Duration(hours)*time.Hour)))
			}
			return a.CountStatements(t, func() { a.MustDo(t, platform, recordScans, nil, map[string]any{"ev": events}) })
		}
		if five, twenty := record(0, 5, "PICKED_UP", 2), record(5, 20, "PICKED_UP", 2); five != twenty {
			t.Errorf("pickup scans: %d statements for 5 numbers, %d for 20", five, twenty)
		}
		if five, twenty := record(0, 5, "DELIVERED", 30), record(5, 20, "DELIVERED", 30); five != twenty {
			t.Errorf("delivery scans: %d statements for 5 numbers, %d for 20", five, twenty)
		}
		var delivered int64
		db.Raw("SELECT count(*) FROM orders WHERE status = 'DELIVERED' AND number IN ?", numbers).Scan(&delivered)
		if delivered != 25 {
			t.Errorf("%d of 25 orders delivered", delivered)
		}
	})
}

// Orders a resolver read in advance resolve in the request's goroutine;
// asking also for a field that is not read in advance (history, a delay
// report) sends the same orders through gqlgen's concurrent resolution.
// Both give the same answer for the fields they share.
func TestOrdersReadInAdvanceAnswerAsConcurrentOnes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := readOrders(t, a, db)
		buy, owner := a.Login(t, buyer), a.Login(t, ownerA)
		type order = map[string]any
		strip := func(o order, extra string) order {
			if _, ok := o[extra]; !ok {
				t.Fatalf("no %s in %v", extra, o)
			}
			delete(o, extra)
			return o
		}
		var one, oneMore struct{ Order order }
		a.MustDo(t, buy, w1, &one, map[string]any{"n": numbers[1]})
		withHistory := strings.Replace(w1, "placedAt", "placedAt history { action }", 1)
		a.MustDo(t, buy, withHistory, &oneMore, map[string]any{"n": numbers[1]})
		if !reflect.DeepEqual(one.Order, strip(oneMore.Order, "history")) || len(one.Order["packages"].([]any)) != 2 {
			t.Errorf("the buyer's order read in advance:\n%v\nresolved concurrently:\n%v", one.Order, oneMore.Order)
		}
		var page, pageMore struct{ Orders struct{ Nodes []order } }
		a.MustDo(t, owner, w2, &page, map[string]any{"first": 50})
		withReport := strings.Replace(w2, "placedAt", "placedAt delayReport { id }", 1)
		a.MustDo(t, owner, withReport, &pageMore, map[string]any{"first": 50})
		if len(page.Orders.Nodes) != 50 || len(pageMore.Orders.Nodes) != 50 {
			t.Fatalf("pages of %d and %d orders", len(page.Orders.Nodes), len(pageMore.Orders.Nodes))
		}
		for i := range page.Orders.Nodes {
			if got, want := page.Orders.Nodes[i], strip(pageMore.Orders.Nodes[i], "delayReport"); !reflect.DeepEqual(got, want) {
				t.Errorf("order %d read in advance:\n%v\nresolved concurrently:\n%v", i, got, want)
			}
		}
	})
}

// The order page's other lists — history, the delay report with its
// orders, evidence and counts, and the packages' scans — are read in
// advance as well: a page of 10 costs what a page of 50 does, and a report
// of one order what a report of three does, with the orders' lines and
// packages.
func TestOrderExtrasCostAFixedNumberOfStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := readOrders(t, a, db)
		owner := a.Login(t, ownerA)
		// The newest pending orders, which both pages hold.
		newest := []string{numbers[len(numbers)-2], numbers[len(numbers)-4], numbers[len(numbers)-6], numbers[len(numbers)-8]}
		file := func(numbers ...string) string {
			p := fileReport(t, a, owner, map[string]any{"type": "MERCHANT_FACTOR", "reason": "爆单", "remark": "已与买家沟通",
				"newShipBy": a.Clock.Now().Add(10 * 24 * time.Hour), "orderNumbers": numbers}, pngBytes)
			if p.DelayReport == nil {
				t.Fatalf("file: %+v %+v", p.UserErrors, p.Orders)
			}
			return p.DelayReport.ID
		}
		one, three := file(newest[0]), file(newest[1:]...)

		page := `query($first: Int) { orders(first: $first) { nodes { number
			history { action actorName }
			delayReport { id status overdue orderCount shop { name } evidence { filename } orders { number } }
			packages { trackingNumber events { status at } } } } }`
		count := func(first int) int64 {
			return a.CountStatements(t, func() { a.MustDo(t, owner, page, nil, map[string]any{"first": first}) })
		}
		if ten, fifty := count(10), count(50); ten != fifty {
			t.Errorf("the order page with history, reports and scans: %d statements for 10 orders, %d for 50", ten, fifty)
		}
		var r struct {
			Orders struct {
				Nodes []struct {
					Number      string
					History     []struct{ Action string }
					DelayReport *struct {
						OrderCount int
						Orders     []struct{ Number string }
						Evidence   []struct{ Filename string }
					}
				}
			}
		}
		a.MustDo(t, owner, page, &r, map[string]any{"first": 10})
		reported := 0
		for _, o := range r.Orders.Nodes {
			if rep := o.DelayReport; rep != nil {
				reported++
				if len(rep.Orders) != rep.OrderCount || len(rep.Evidence) != 1 {
					t.Errorf("order %s: a report of %d orders lists %+v and evidence %+v", o.Number, rep.OrderCount, rep.Orders, rep.Evidence)
				}
			}
		}
		if reported != len(newest) {
			t.Errorf("%d orders of the page show their report, want %d", reported, len(newest))
		}

		report := `query($id: ID!) { delayReport(id: $id) { orderCount orders { number lines { sku } packages { trackingNumber } history { action } } } }`
		size := func(id string) int64 {
			return a.CountStatements(t, func() { a.MustDo(t, owner, report, nil, map[string]any{"id": id}) })
		}
		if s1, s3 := size(one), size(three); s1 != s3 {
			t.Errorf("a report's orders with their lines and packages: %d statements for one order, %d for three", s1, s3)
		}
	})
}
