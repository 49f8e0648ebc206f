package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

const createProduct = `mutation($in: CreateProductInput!) { createProduct(input: $in) {
	product { id title stock promise { mode presaleDays spotStock } } userErrors { code field message } } }`

type productPayload struct {
	CreateProduct struct {
		Product *struct {
			ID, Title string
			Stock     int
			Promise   struct {
				Mode        string
				PresaleDays int
				SpotStock   int
			}
		}
		UserErrors []userError
	}
}

func productIn(title string, price, stock int, template string, promise map[string]any) map[string]any {
	return map[string]any{"title": title, "price": price, "stock": stock, "shippingTemplateId": template, "promise": promise,
		"weightGrams": 1200}
}

func mustProduct(t *testing.T, a *apptest.App, token string, in map[string]any) string {
	t.Helper()
	return mustProductTB(t, a, token, in)
}

func mustProductTB(t testing.TB, a *apptest.App, token string, in map[string]any) string {
	t.Helper()
	var r productPayload
	a.MustDo(t, token, createProduct, &r, map[string]any{"in": in})
	if r.CreateProduct.Product == nil {
		t.Fatalf("create product: %+v", r.CreateProduct.UserErrors)
	}
	return r.CreateProduct.Product.ID
}

var spot = map[string]any{"mode": "SPOT"}

func TestFreightQuotesCombineTemplates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		piece := mustTemplate(t, a, owner, templateIn("按件", map[string]any{
			"defaultRule": fee(1, 1000, 1, 500),
			"regionRules": []any{
				map[string]any{"regionCodes": []string{"650000"}, "rule": fee(1, 2000, 1, 1000)},
				map[string]any{"regionCodes": []string{"650100"}, "rule": fee(1, 3000, 1, 1500)},
			},
			"freeShippingRules":               []any{map[string]any{"kind": "AMOUNT", "threshold": 10000}},
			"freeShippingExcludedRegionCodes": []string{"650000"},
		}))
		weight := mustTemplate(t, a, owner, map[string]any{"name": "按重", "shipFromRegionCode": "440305", "pricing": "BY_WEIGHT",
			"defaultRule": fee(1000, 1200, 500, 300), "nonDeliveryRegionCodes": []string{"540000"}})
		p1 := mustProduct(t, a, owner, productIn("P1", 3000, 100, piece, spot))
		p3 := mustProduct(t, a, owner, productIn("P3", 5000, 100, weight, spot))
		const quote = `query($in: FreightQuoteInput!) { freightQuote(input: $in) { total { cents } deliverable undeliverableProductIds
			parts { shippingTemplateId fee { cents } free chargesFirstFee } } }`
		type quoteResp struct {
			FreightQuote struct {
				Total                   struct{ Cents int }
				Deliverable             bool
				UndeliverableProductIds []string
				Parts                   []struct {
					ShippingTemplateID string
					Fee                struct{ Cents int }
					Free               bool
					ChargesFirstFee    bool
				}
			}
		}
		item := func(p string, n int) map[string]any { return map[string]any{"productId": p, "quantity": n} }
		for _, c := range []struct {
			name   string
			region string
			items  []any
			total  int
		}{
			{"one piece", "440305", []any{item(p1, 1)}, 1000},
			{"three pieces: first and two further", "440305", []any{item(p1, 3)}, 2000},
			{"free from ¥100", "440305", []any{item(p1, 4)}, 0},
			{"two templates: the higher first fee, the other's further fees", "440305", []any{item(p1, 1), item(p3, 1)}, 1200 + 300 + 500},
			{"by weight rounds a part step up", "440305", []any{item(p3, 2)}, 1200 + 3*300},
			{"the district's city rule beats the province rule", "650102", []any{item(p1, 1)}, 3000},
			{"the province rule elsewhere in it", "650202", []any{item(p1, 1)}, 2000},
			{"no free shipping in an excluded region", "650102", []any{item(p1, 4)}, 3000 + 3*1500},
		} {
			var r quoteResp
			a.MustDo(t, "", quote, &r, map[string]any{"in": map[string]any{"items": c.items, "regionCode": c.region}})
			if r.FreightQuote.Total.Cents != c.total || !r.FreightQuote.Deliverable {
				t.Errorf("%s: %+v, want %d", c.name, r.FreightQuote, c.total)
			}
		}
		var r quoteResp
		a.MustDo(t, "", quote, &r, map[string]any{"in": map[string]any{"items": []any{item(p1, 1), item(p3, 1)}, "regionCode": "540102"}})
		if r.FreightQuote.Deliverable || !slices.Equal(r.FreightQuote.UndeliverableProductIds, []string{p3}) || r.FreightQuote.Total.Cents != 1000 {
			t.Errorf("Tibet: %+v", r.FreightQuote)
		}
		for _, bad := range []struct {
			in   map[string]any
			code string
		}{
			{map[string]any{"items": []any{item(p1, 1)}, "regionCode": "999999"}, "INVALID_REGION"},
			{map[string]any{"items": []any{item(p1, 0)}, "regionCode": "440305"}, "INVALID_ARGUMENT"},
			{map[string]any{"items": []any{item(p1, 10000)}, "regionCode": "440305"}, "INVALID_ARGUMENT"},
			{map[string]any{"items": []any{item(p1, 1), item(p1, 1)}, "regionCode": "440305"}, "INVALID_ARGUMENT"},
			{map[string]any{"items": []any{}, "regionCode": "440305"}, "INVALID_ARGUMENT"},
			{map[string]any{"items": []any{item("gid://fahuo/Product/999999", 1)}, "regionCode": "440305"}, "NOT_FOUND"},
			{map[string]any{"items": []any{item("gid://fahuo/Order/1", 1)}, "regionCode": "440305"}, "INVALID_ARGUMENT"},
		} {
			res := a.Do(t, "", quote, map[string]any{"in": bad.in})
			if !slices.Equal(res.Codes(), []string{bad.code}) {
				t.Errorf("%v: %+v, want %s", bad.in, res.Errors, bad.code)
			}
		}
	})
}

func TestProductPromises(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		ownerTokA, ownerTokB := a.Login(t, ownerA), a.Login(t, ownerB)
		tA := mustTemplate(t, a, ownerTokA, templateIn("A", nil))
		tB := mustTemplate(t, a, ownerTokB, templateIn("B", nil))
		before := countRows(t, db, "products")
		for _, c := range []struct {
			token   string
			tmpl    string
			promise map[string]any
			code    string
		}{
			{ownerTokA, tA, map[string]any{"mode": "PRESALE", "presaleDays": 3}, ""},
			{ownerTokA, tA, map[string]any{"mode": "PRESALE", "presaleDays": 15}, ""},
			{ownerTokA, tA, map[string]any{"mode": "PRESALE", "presaleDays": 2}, "INVALID_ARGUMENT"},
			{ownerTokA, tA, map[string]any{"mode": "PRESALE", "presaleDays": 16}, "INVALID_ARGUMENT"},
			{ownerTokA, tA, map[string]any{"mode": "TIERED", "presaleDays": 3, "spotStock": 5}, ""},
			{ownerTokA, tA, map[string]any{"mode": "TIERED", "presaleDays": 5, "spotStock": 5}, ""},
			{ownerTokA, tA, map[string]any{"mode": "TIERED", "presaleDays": 6, "spotStock": 5}, "INVALID_ARGUMENT"},
			{ownerTokA, tA, map[string]any{"mode": "TIERED", "presaleDays": 2, "spotStock": 5}, "INVALID_ARGUMENT"},
			{ownerTokA, tA, map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 11}, "INVALID_ARGUMENT"},
			{ownerTokA, tA, map[string]any{"mode": "SPOT", "presaleDays": 4}, "INVALID_ARGUMENT"},
			{ownerTokB, tB, map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 5}, "TIERED_NOT_ELIGIBLE"},
			{ownerTokA, tB, spot, "NOT_FOUND"},
		} {
			var r productPayload
			a.MustDo(t, c.token, createProduct, &r, map[string]any{"in": productIn("测试商品", 1000, 10, c.tmpl, c.promise)})
			got := ""
			if ue := r.CreateProduct.UserErrors; len(ue) > 0 {
				got = ue[0].Code
			}
			if got != c.code || (c.code == "") != (r.CreateProduct.Product != nil) {
				t.Errorf("promise %v: %+v, want %q", c.promise, r.CreateProduct, c.code)
			}
		}
		if got := countRows(t, db, "products") - before; got != 4 {
			t.Errorf("%d products created, want the 4 accepted", got)
		}
		for _, bad := range []map[string]any{
			productIn("", 1000, 10, tA, spot), productIn("x", -1, 10, tA, spot), productIn("x", 1000, -1, tA, spot),
		} {
			var r productPayload
			a.MustDo(t, ownerTokA, createProduct, &r, map[string]any{"in": bad})
			if ue := r.CreateProduct.UserErrors; len(ue) != 1 || ue[0].Code != "INVALID_ARGUMENT" {
				t.Errorf("%v: %+v", bad, r.CreateProduct)
			}
		}

		// P3: shop A falls below the thresholds; its tiered product stays on
		// sale and editable, but no product may become tiered.
		tiered := mustProduct(t, a, ownerTokA, productIn("阶梯", 1000, 10, tA, map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 3}))
		other := mustProduct(t, a, ownerTokA, productIn("现货", 1000, 10, tA, spot))
		var shopA string
		db.Raw("SELECT id FROM shops WHERE name = '鲜果时光旗舰店'").Scan(&shopA)
		a.MustDo(t, a.Login(t, platfm), `mutation($s: ID!) { updateShopStanding(shopId: $s, score: 4.4, spotOrderShare: 0.9) { userErrors { code } } }`,
			nil, map[string]any{"s": "gid://fahuo/Shop/" + shopA})
		const upd = `mutation($id: ID!, $in: UpdateProductInput!) { updateProduct(id: $id, input: $in) { product { promise { mode } stock } userErrors { code } } }`
		var u struct {
			UpdateProduct struct {
				Product *struct {
					Promise struct{ Mode string }
					Stock   int
				}
				UserErrors []userError
			}
		}
		a.MustDo(t, ownerTokA, upd, &u, map[string]any{"id": tiered, "in": map[string]any{"stock": 20}})
		if u.UpdateProduct.Product == nil || u.UpdateProduct.Product.Promise.Mode != "TIERED" || u.UpdateProduct.Product.Stock != 20 {
			t.Errorf("editing a tiered product after losing eligibility: %+v", u)
		}
		a.MustDo(t, ownerTokA, upd, &u, map[string]any{"id": other, "in": map[string]any{"promise": map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 1}}})
		if ue := u.UpdateProduct.UserErrors; len(ue) != 1 || ue[0].Code != "TIERED_NOT_ELIGIBLE" {
			t.Errorf("switching to tiered after losing eligibility: %+v", u)
		}
		a.MustDo(t, ownerTokB, upd, &u, map[string]any{"id": other, "in": map[string]any{"stock": 1}})
		if ue := u.UpdateProduct.UserErrors; len(ue) != 1 || ue[0].Code != "NOT_FOUND" {
			t.Errorf("shop B editing shop A's product: %+v", u)
		}
	})
}

const placeOrder = `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) {
	order { id number status promisedShipBy paidAt freight { cents } total { cents } lines { quantity } }
	userErrors { code field message } } }`

type placed struct {
	ID, Number, Status     string
	PromisedShipBy, PaidAt time.Time
	Freight, Total         struct{ Cents int }
}

type placeResp struct {
	PlaceOrder struct {
		Order      *placed
		UserErrors []userError
	}
}

func (r placeResp) code() string {
	if len(r.PlaceOrder.UserErrors) == 0 {
		return "OK"
	}
	return r.PlaceOrder.UserErrors[0].Code
}

func orderIn(region string, items ...any) map[string]any {
	return map[string]any{"items": items, "address": map[string]any{
		"recipientName": "张小雨", "phone": "138 0013 8000", "regionCode": region, "detail": "科技园南区 1 栋"}}
}

func item(p string, n int) map[string]any { return map[string]any{"productId": p, "quantity": n} }

func place(t *testing.T, a *apptest.App, token string, in map[string]any) placeResp {
	t.Helper()
	var r placeResp
	a.MustDo(t, token, placeOrder, &r, map[string]any{"in": in})
	return r
}

func TestPlacingOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner, buy := a.Login(t, ownerA), a.Login(t, buyer)
		tmpl := mustTemplate(t, a, owner, templateIn("下单测试", map[string]any{"defaultRule": fee(1, 800, 1, 200), "nonDeliveryRegionCodes": []string{"650000"}}))
		spotP := mustProduct(t, a, owner, productIn("现货", 1000, 5, tmpl, spot))
		presale := mustProduct(t, a, owner, productIn("预售", 2000, 5, tmpl, map[string]any{"mode": "PRESALE", "presaleDays": 7}))
		tiered := mustProduct(t, a, owner, productIn("阶梯", 3000, 10, tmpl, map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 2}))
		now := a.Clock.Now()

		r := place(t, a, buy, orderIn("440305", item(spotP, 2)))
		o := r.PlaceOrder.Order
		if o == nil || o.Status != "PENDING_SHIPMENT" || !o.PromisedShipBy.Equal(now.Add(48*time.Hour)) ||
			o.Freight.Cents != 1000 || o.Total.Cents != 2000+1000 {
			t.Fatalf("spot order: %+v", r)
		}
		r = place(t, a, buy, orderIn("440305", item(spotP, 1), item(presale, 1)))
		if o := r.PlaceOrder.Order; o == nil || !o.PromisedShipBy.Equal(now.Add(7*24*time.Hour)) {
			t.Errorf("spot and presale: the promise is the latest unit's: %+v", r)
		}
		// Tiered: 2 spot units; an order of 3 takes both and one presale unit.
		r = place(t, a, buy, orderIn("440305", item(tiered, 3)))
		if o := r.PlaceOrder.Order; o == nil || !o.PromisedShipBy.Equal(now.Add(4*24*time.Hour)) {
			t.Errorf("tiered past the spot stock: %+v", r)
		}
		r = place(t, a, buy, orderIn("440305", item(tiered, 1)))
		if o := r.PlaceOrder.Order; o == nil || !o.PromisedShipBy.Equal(now.Add(4*24*time.Hour)) {
			t.Errorf("tiered with the spot stock gone: %+v", r)
		}

		// Refusals change nothing: no order, no stock taken.
		stock := func(p string) (n int64) {
			db.Raw("SELECT stock FROM products WHERE id = ?", p[len("gid://fahuo/Product/"):]).Scan(&n)
			return n
		}
		orders, spotLeft := countRows(t, db, "orders"), stock(spotP)
		for _, c := range []struct {
			name  string
			in    map[string]any
			code  string
			field []string
		}{
			{"a district under a non-delivery province", orderIn("650102", item(spotP, 1)), "REGION_NOT_DELIVERABLE", []string{"input", "items", "0", "productId"}},
			{"more than the stock", orderIn("440305", item(spotP, 1), item(presale, 6)), "OUT_OF_STOCK", []string{"input", "items", "1", "quantity"}},
			{"zero", orderIn("440305", item(spotP, 0)), "INVALID_ARGUMENT", []string{"input", "items", "0", "quantity"}},
			{"huge", orderIn("440305", item(spotP, 1_000_000)), "INVALID_ARGUMENT", []string{"input", "items", "0", "quantity"}},
			{"unknown region", orderIn("999999", item(spotP, 1)), "INVALID_REGION", []string{"input", "address", "regionCode"}},
			{"a city with districts", orderIn("440300", item(spotP, 1)), "INVALID_REGION", []string{"input", "address", "regionCode"}},
			{"no such product", orderIn("440305", item("gid://fahuo/Product/999999", 1)), "NOT_FOUND", []string{"input", "items", "0", "productId"}},
		} {
			r := place(t, a, buy, c.in)
			if r.PlaceOrder.Order != nil || r.code() != c.code || !slices.Equal(r.PlaceOrder.UserErrors[0].Field, c.field) {
				t.Errorf("%s: %+v, want %s at %v", c.name, r.PlaceOrder, c.code, c.field)
			}
		}
		// Products of two shops in one order.
		var shopBProduct string
		db.Raw("SELECT id FROM products WHERE sku = 'LJ-250'").Scan(&shopBProduct)
		if r := place(t, a, buy, orderIn("440305", item(spotP, 1), item("gid://fahuo/Product/"+shopBProduct, 1))); r.code() != "INVALID_ARGUMENT" {
			t.Errorf("two shops: %+v", r)
		}
		if countRows(t, db, "orders") != orders || stock(spotP) != spotLeft {
			t.Error("a refused order changed orders or stock")
		}
		// Only buyers place orders.
		if res := a.Do(t, owner, placeOrder, map[string]any{"in": orderIn("440305", item(spotP, 1))}); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("a merchant placing an order: %+v", res.Errors)
		}

		// T4: editing the template changes no placed order.
		first := place(t, a, buy, orderIn("440305", item(spotP, 1))).PlaceOrder.Order
		a.MustDo(t, owner, `mutation($id: ID!, $in: ShippingTemplateInput!) { updateShippingTemplate(id: $id, input: $in) { userErrors { code } } }`,
			nil, map[string]any{"id": tmpl, "in": templateIn("下单测试", map[string]any{"defaultRule": fee(1, 9900, 1, 9900)})})
		var again struct{ Order placed }
		a.MustDo(t, buy, `query($n: String) { order(number: $n) { freight { cents } total { cents } } }`, &again, map[string]any{"n": first.Number})
		if again.Order.Freight.Cents != 800 || again.Order.Total.Cents != 1800 {
			t.Errorf("the order's freight moved with the template: %+v", again.Order)
		}
	})
}

func TestPlaceOrderIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		var p string
		db.Raw("SELECT id FROM products WHERE sku = 'QC-5J'").Scan(&p)
		in := orderIn("440305", item("gid://fahuo/Product/"+p, 1))
		in["idempotencyKey"] = "checkout-42"
		buy := a.Login(t, buyer)
		orders := countRows(t, db, "orders")
		first := place(t, a, buy, in).PlaceOrder.Order
		second := place(t, a, buy, in).PlaceOrder.Order
		if first == nil || second == nil || first.ID != second.ID {
			t.Fatalf("a retry placed another order: %+v %+v", first, second)
		}
		if got := countRows(t, db, "orders") - orders; got != 1 {
			t.Errorf("%d orders from one key", got)
		}
		// Another buyer's same key is theirs alone.
		if o := place(t, a, a.Login(t, buyer2), in).PlaceOrder.Order; o == nil || o.ID == first.ID {
			t.Errorf("another buyer's key: %+v", o)
		}
		// After 24 hours the key starts over.
		a.Clock.Advance(24*time.Hour + time.Second)
		if o := place(t, a, buy, in).PlaceOrder.Order; o == nil || o.ID == first.ID {
			t.Errorf("an expired key replayed: %+v", o)
		}
	})
}

// Fifty buyers at once for a tiered product with ten spot units: exactly ten
// orders get the spot promise, and the stock never goes below zero.
func TestBuyersRaceForTheLastSpotUnits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		tmpl := mustTemplate(t, a, owner, templateIn("抢购", nil))
		p := mustProduct(t, a, owner, productIn("限量", 1000, 45, tmpl, map[string]any{"mode": "TIERED", "presaleDays": 5, "spotStock": 10}))
		const buyers = 50
		tokens := make([]string, buyers)
		for i := range tokens {
			tokens[i] = a.Login(t, buyer)
		}
		now := a.Clock.Now()
		var wg sync.WaitGroup
		results := make(chan placeResp, buyers)
		for i := 0; i < buyers; i++ {
			wg.Add(1)
			go func(tok string) {
				defer wg.Done()
				res := a.Do(t, tok, placeOrder, map[string]any{"in": orderIn("440305", item(p, 1))})
				var r placeResp
				if len(res.Errors) > 0 {
					r.PlaceOrder.UserErrors = []userError{{Code: fmt.Sprint(res.Codes())}}
				} else if err := json.Unmarshal(res.Data, &r); err != nil {
					r.PlaceOrder.UserErrors = []userError{{Code: err.Error()}}
				}
				results <- r
			}(tokens[i])
		}
		wg.Wait()
		close(results)
		outcomes := map[string]int{}
		for r := range results {
			switch {
			case r.PlaceOrder.Order == nil:
				outcomes[r.code()]++
			case r.PlaceOrder.Order.PromisedShipBy.Equal(now.Add(48 * time.Hour)):
				outcomes["spot"]++
			case r.PlaceOrder.Order.PromisedShipBy.Equal(now.Add(5 * 24 * time.Hour)):
				outcomes["presale"]++
			default:
				outcomes["other"]++
			}
		}
		if outcomes["spot"] != 10 || outcomes["presale"] != 35 || outcomes["OUT_OF_STOCK"] != 5 || len(outcomes) != 3 {
			t.Errorf("outcomes %v, want 10 spot, 35 presale, 5 OUT_OF_STOCK", outcomes)
		}
		var left models.Product
		db.Where("id = ?", p[len("gid://fahuo/Product/"):]).Take(&left)
		if left.Stock != 0 || left.SpotStock != 0 {
			t.Errorf("stock %d, spot stock %d after the race", left.Stock, left.SpotStock)
		}
	})
}

// P2 at its boundaries: a shop exactly at both thresholds may sell TIERED
// products, a hundredth of a score point or a hundredth of a per cent of
// spot share below may not, and the thresholds are the platform's to move.
// A refused product is not created.
func TestTieredEligibilityBoundaries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner, platform := a.Login(t, ownerA), a.Login(t, platfm)
		tmpl := mustTemplate(t, a, owner, templateIn("P2", nil))
		var shop string
		db.Raw("SELECT id FROM shops WHERE name = '鲜果时光旗舰店'").Scan(&shop)
		standing := func(score, share float64) {
			t.Helper()
			var r struct {
				UpdateShopStanding struct{ UserErrors []userError }
			}
			a.MustDo(t, platform, `mutation($s: ID!, $score: Float!, $share: Float!) { updateShopStanding(shopId: $s, score: $score, spotOrderShare: $share) { userErrors { code field message } } }`,
				&r, map[string]any{"s": "gid://fahuo/Shop/" + shop, "score": score, "share": share})
			if len(r.UpdateShopStanding.UserErrors) > 0 {
				t.Fatalf("standing %v/%v: %+v", score, share, r.UpdateShopStanding.UserErrors)
			}
		}
		thresholds := func(score, share float64) {
			t.Helper()
			var r struct {
				UpdatePlatformSettings struct{ UserErrors []userError }
			}
			a.MustDo(t, platform, `mutation($score: Float, $share: Float) { updatePlatformSettings(input: { tieredMinShopScore: $score, tieredMinSpotShare: $share }) { userErrors { code field message } } }`,
				&r, map[string]any{"score": score, "share": share})
			if len(r.UpdatePlatformSettings.UserErrors) > 0 {
				t.Fatalf("thresholds %v/%v: %+v", score, share, r.UpdatePlatformSettings.UserErrors)
			}
		}
		tiered := func() string {
			t.Helper()
			before := countRows(t, db, "products")
			var r productPayload
			a.MustDo(t, owner, createProduct, &r, map[string]any{"in": productIn("阶梯边界", 1000, 10, tmpl,
				map[string]any{"mode": "TIERED", "presaleDays": 4, "spotStock": 3})})
			created := countRows(t, db, "products") - before
			if ue := r.CreateProduct.UserErrors; len(ue) > 0 {
				if created != 0 || r.CreateProduct.Product != nil {
					t.Errorf("a refused product was created (%d rows)", created)
				}
				return ue[0].Code
			}
			if created != 1 {
				t.Errorf("%d products created for one", created)
			}
			return "OK"
		}
		for _, c := range []struct {
			name         string
			score, share float64
			want         string
		}{
			{"exactly at the defaults (4.5, 80 %)", 4.5, 0.80, "OK"},
			{"score 4.49", 4.49, 0.80, "TIERED_NOT_ELIGIBLE"},
			{"spot share 79.99 %", 4.5, 0.7999, "TIERED_NOT_ELIGIBLE"},
			{"both above", 5, 1, "OK"},
		} {
			standing(c.score, c.share)
			if got := tiered(); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		// The platform raises the bar to 4.6 and 85 %: a shop at 4.6 and
		// 85 % passes, one at 4.59 no longer does.
		thresholds(4.6, 0.85)
		standing(4.6, 0.85)
		if got := tiered(); got != "OK" {
			t.Errorf("at raised thresholds: %s", got)
		}
		standing(4.59, 0.85)
		if got := tiered(); got != "TIERED_NOT_ELIGIBLE" {
			t.Errorf("below raised thresholds: %s", got)
		}
		standing(4.6, 0.8499)
		if got := tiered(); got != "TIERED_NOT_ELIGIBLE" {
			t.Errorf("spot share below the raised threshold: %s", got)
		}
	})
}
