package app_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

const (
	ownerA  = "merchant-a@demo.fahuo"
	shipA   = "shipper-a@demo.fahuo"
	viewerA = "viewer-a@demo.fahuo"
	ownerB  = "merchant-b@demo.fahuo"
	buyer   = "buyer@demo.fahuo"
	buyer2  = "buyer2@demo.fahuo"
	platfm  = "platform@demo.fahuo"
)

type orderNode struct {
	ID     string
	Number string
	Status string
	Shop   struct{ Name string }
	Buyer  struct{ Name string }
}

type ordersPage struct {
	Orders struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []orderNode
	}
}

const ordersQuery = `query($first: Int, $after: String) { orders(first: $first, after: $after) {
	totalCount pageInfo { hasNextPage endCursor } nodes { id number status shop { name } buyer { name } } } }`

func listOrders(t *testing.T, a *apptest.App, token string) []orderNode {
	t.Helper()
	var p ordersPage
	a.MustDo(t, token, ordersQuery, &p, map[string]any{"first": 100})
	return p.Orders.Nodes
}

// shopOrders reads the order numbers of a shop straight from the database,
// to check the API against.
func shopOrders(t *testing.T, db *gorm.DB, shop string) []string {
	t.Helper()
	var numbers []string
	if err := db.Table("orders").Joins("JOIN shops ON shops.id = orders.shop_id").
		Where("shops.name = ?", shop).Order("orders.number").Pluck("orders.number", &numbers).Error; err != nil {
		t.Fatal(err)
	}
	return numbers
}

func numbers(nodes []orderNode) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Number
	}
	slices.Sort(out)
	return out
}

func TestLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		token := a.Login(t, ownerA)
		var me struct {
			Me struct {
				Kind, Role string
				User       struct{ Email string }
				Shop       struct{ Name string }
			}
		}
		a.MustDo(t, token, `{ me { kind role user { email } shop { name } } }`, &me, nil)
		if me.Me.Kind != "USER" || me.Me.Role != "OWNER" || me.Me.User.Email != ownerA || me.Me.Shop.Name != "鲜果时光旗舰店" {
			t.Fatalf("me = %+v", me.Me)
		}
		// E-mail is matched without regard to case and surrounding space.
		a.Login(t, "  Merchant-A@Demo.Fahuo ")

		const login = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token viewer { role } userErrors { code field message } } }`
		for _, c := range []struct{ email, password string }{
			{ownerA, "wrong password"},
			{"nobody@demo.fahuo", "fahuo-demo"},
			{ownerA, ""},
			{ownerA, strings.Repeat("x", 200)},
		} {
			var resp struct {
				Login struct {
					Token      *string
					UserErrors []struct{ Code string }
				}
			}
			a.MustDo(t, "", login, &resp, map[string]any{"e": c.email, "p": c.password})
			if resp.Login.Token != nil || len(resp.Login.UserErrors) != 1 || resp.Login.UserErrors[0].Code != "INVALID_CREDENTIALS" {
				t.Errorf("login(%q, %q) = %+v", c.email, c.password, resp.Login)
			}
		}

		// A disabled account cannot log in, and its open sessions stop.
		if err := db.Exec("UPDATE users SET disabled_at = ? WHERE email = ?", a.Clock.Now(), ownerA).Error; err != nil {
			t.Fatal(err)
		}
		var resp struct {
			Login struct{ UserErrors []struct{ Code string } }
		}
		a.MustDo(t, "", login, &resp, map[string]any{"e": ownerA, "p": "fahuo-demo"})
		if len(resp.Login.UserErrors) != 1 || resp.Login.UserErrors[0].Code != "INVALID_CREDENTIALS" {
			t.Errorf("disabled login = %+v", resp.Login)
		}
		if status, _ := a.HTTP(t, token, `{ me { role } }`); status != 401 {
			t.Errorf("disabled account's session: status %d, want 401", status)
		}
	})
}

func TestLogoutEndsTheSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		token := a.Login(t, buyer)
		other := a.Login(t, buyer)
		a.MustDo(t, token, `mutation { logout { userErrors { code } } }`, nil, nil)
		if status, _ := a.HTTP(t, token, `{ me { role } }`); status != 401 {
			t.Errorf("after logout: status %d, want 401", status)
		}
		// Only that session ended.
		a.MustDo(t, other, `{ me { role } }`, nil, nil)
	})
}

func TestSessionsExpire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		token := a.Login(t, buyer)
		a.Clock.Advance(30*24*time.Hour - time.Second)
		a.MustDo(t, token, `{ me { role } }`, nil, nil)
		a.Clock.Advance(time.Second)
		if status, _ := a.HTTP(t, token, `{ me { role } }`); status != 401 {
			t.Errorf("after 30 days: status %d, want 401", status)
		}
	})
}

func TestShopStaffSeeOnlyTheirShop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		wantA, wantB := shopOrders(t, db, "鲜果时光旗舰店"), shopOrders(t, db, "山野茶舍")
		if len(wantA) == 0 || len(wantB) == 0 {
			t.Fatal("demo data has no orders")
		}
		for _, email := range []string{ownerA, shipA, viewerA} {
			got := listOrders(t, a, a.Login(t, email))
			if !slices.Equal(numbers(got), wantA) {
				t.Errorf("%s sees %v, want %v", email, numbers(got), wantA)
			}
		}
		if got := listOrders(t, a, a.Login(t, ownerB)); !slices.Equal(numbers(got), wantB) {
			t.Errorf("owner B sees %v, want %v", numbers(got), wantB)
		}
	})
}

func TestTokenOfShopACannotReadShopB(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		tokA := a.CreateToken(t, a.Login(t, ownerA), "打单工具", "VIEWER")
		otherShop := listOrders(t, a, a.Login(t, ownerB))

		got := listOrders(t, a, tokA)
		if want := shopOrders(t, db, "鲜果时光旗舰店"); !slices.Equal(numbers(got), want) {
			t.Fatalf("token sees %v, want %v", numbers(got), want)
		}
		var me struct {
			Me struct {
				Kind, Role string
				User       *struct{ Email string }
				APIToken   struct{ Name string }
			}
		}
		a.MustDo(t, tokA, `{ me { kind role user { email } apiToken { name } } }`, &me, nil)
		if me.Me.Kind != "API_TOKEN" || me.Me.Role != "VIEWER" || me.Me.User != nil || me.Me.APIToken.Name != "打单工具" {
			t.Errorf("token's me = %+v", me.Me)
		}
		for _, o := range otherShop {
			for _, q := range []struct {
				query string
				vars  map[string]any
			}{
				{`query($n: String) { order(number: $n) { number status } }`, map[string]any{"n": o.Number}},
				{`query($id: ID) { order(id: $id) { number status } }`, map[string]any{"id": o.ID}},
			} {
				var resp struct{ Order *orderNode }
				a.MustDo(t, tokA, q.query, &resp, q.vars)
				if resp.Order != nil {
					t.Errorf("token of shop A read shop B's order %s", o.Number)
				}
			}
		}
	})
}

// Buyers reading at once each get their own orders and nothing of the
// others': on PostgreSQL their sessions and orders are read in pipelines
// that many requests share (database.Multiplexer), and an answer handed to
// the wrong request would show here. A session ended by logout is refused
// by the very next request, though the logout was written through another
// connection than the one that reads sessions.
func TestParallelBuyersReadOnlyTheirOwnOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		own := map[string][]string{
			buyer:  numbers(listOrders(t, a, a.Login(t, buyer))),
			buyer2: numbers(listOrders(t, a, a.Login(t, buyer2))),
		}
		if len(own[buyer]) == 0 || len(own[buyer2]) == 0 {
			t.Fatalf("the demo buyers have no orders: %v", own)
		}
		var before database.MultiplexStats
		if m := a.Multiplexer(); m != nil {
			before = m.Stats()
		}
		// The buyer's tracking read: on PostgreSQL the order's detail in
		// one statement, multiplexed like the session.
		const read = `query($n: String) { order(number: $n) { number lines { sku } packages { trackingNumber } } }`
		const clients, reads = 24, 12
		var wg sync.WaitGroup
		for c := range clients {
			me, other := buyer, buyer2
			if c%2 == 1 {
				me, other = buyer2, buyer
			}
			wg.Go(func() {
				tok := a.Login(t, me)
				for i := range reads {
					n := own[me][(c+i)%len(own[me])]
					var resp struct{ Order *orderNode }
					a.MustDo(t, tok, read, &resp, map[string]any{"n": n})
					if resp.Order == nil || resp.Order.Number != n {
						t.Errorf("%s reading order %s got %+v", me, n, resp.Order)
					}
					n = own[other][(c+i)%len(own[other])]
					resp.Order = nil
					a.MustDo(t, tok, read, &resp, map[string]any{"n": n})
					if resp.Order != nil {
						t.Errorf("%s read %s's order %s", me, other, n)
					}
				}
				a.MustDo(t, tok, `mutation { logout { userErrors { code } } }`, nil, nil)
				res := a.Do(t, tok, read, map[string]any{"n": own[me][0]})
				if !slices.Equal(res.Codes(), []string{"UNAUTHENTICATED"}) {
					t.Errorf("%s after logout: %v", me, res.Codes())
				}
			})
		}
		wg.Wait()
		if m := a.Multiplexer(); m != nil {
			s := m.Stats()
			sent, pipelines := s.Reads-before.Reads, s.Pipelines-before.Pipelines
			// A session and an order a read, a session for the logout
			// and for the read after it.
			if want := int64(clients * (4*reads + 2)); sent != want {
				t.Errorf("%d reads multiplexed, want %d", sent, want)
			}
			t.Logf("%d reads in %d pipelines", sent, pipelines)
		} else if database.DialectOf(db) == database.Postgres {
			t.Error("no multiplexer on PostgreSQL")
		}
	})
}

func TestBuyersSeeOnlyTheirOwnOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		mine := listOrders(t, a, a.Login(t, buyer))
		theirs := listOrders(t, a, a.Login(t, buyer2))
		var want []string
		if err := db.Table("orders").Joins("JOIN users ON users.id = orders.buyer_id").
			Where("users.email = ?", buyer).Order("orders.number").Pluck("orders.number", &want).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(numbers(mine), want) {
			t.Fatalf("buyer sees %v, want %v", numbers(mine), want)
		}
		shops := map[string]bool{}
		for _, o := range mine {
			shops[o.Shop.Name] = true
		}
		if len(shops) != 2 {
			t.Errorf("the buyer's orders span %d shops, want both", len(shops))
		}
		tok := a.Login(t, buyer)
		for _, o := range theirs {
			var resp struct{ Order *orderNode }
			a.MustDo(t, tok, `query($n: String) { order(number: $n) { number } }`, &resp, map[string]any{"n": o.Number})
			if resp.Order != nil {
				t.Errorf("buyer read another buyer's order %s", o.Number)
			}
		}
	})
}

func TestPlatformSeesEveryShop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		var total int64
		db.Table("orders").Count(&total)
		if got := listOrders(t, a, a.Login(t, platfm)); len(got) != int(total) {
			t.Errorf("platform sees %d orders, want %d", len(got), total)
		}
	})
}

func TestAnonymousCallers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		var me struct{ Me *struct{ Role string } }
		a.MustDo(t, "", `{ me { role } }`, &me, nil)
		if me.Me != nil {
			t.Errorf("anonymous me = %+v", me.Me)
		}
		res := a.Do(t, "", `{ orders(first: 5) { nodes { number } } }`, nil)
		if !slices.Equal(res.Codes(), []string{"UNAUTHENTICATED"}) {
			t.Errorf("anonymous orders: %+v", res.Errors)
		}
		// Reference data is public: the tracking page and tools need it.
		a.MustDo(t, "", `{ carriers { code } regions { code } }`, nil, nil)
		for _, bad := range []string{"Bearer fht_not-a-token", "Bearer ", "Basic abc", "Bearer " + strings.Repeat("x", 5000)} {
			if status, body := a.HTTPWithHeader(t, bad, `{ me { role } }`); status != 401 || !strings.Contains(body, "UNAUTHENTICATED") {
				t.Errorf("Authorization %.20q: %d %s", bad, status, body)
			}
		}
	})
}

func TestOrdersPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.Login(t, platfm)
		var seen []string
		var after any
		pages := 0
		for {
			var p ordersPage
			a.MustDo(t, tok, ordersQuery, &p, map[string]any{"first": 2, "after": after})
			pages++
			for _, n := range p.Orders.Nodes {
				seen = append(seen, n.Number)
			}
			if !p.Orders.PageInfo.HasNextPage {
				break
			}
			after = *p.Orders.PageInfo.EndCursor
			if pages > 20 {
				t.Fatal("paging does not end")
			}
		}
		var want []string
		db.Table("orders").Order("created_at DESC, id DESC").Pluck("number", &want)
		if !slices.Equal(seen, want) {
			t.Errorf("pages gave %v, want newest first %v", seen, want)
		}
		for _, c := range []struct {
			first int
			after string
		}{{0, ""}, {101, ""}, {-1, ""}, {2, "bm90IGEgY3Vyc29y"}, {2, "%%%"}} {
			res := a.Do(t, tok, ordersQuery, map[string]any{"first": c.first, "after": c.after})
			if !slices.Equal(res.Codes(), []string{"INVALID_ARGUMENT"}) {
				t.Errorf("first=%d after=%q: %+v", c.first, c.after, res.Errors)
			}
		}
	})
}

func TestOrderShowsLinesAndPackages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.Login(t, buyer)
		var number string
		db.Table("orders").Where("status = ?", models.OrderShipped).Order("id").Limit(1).Pluck("number", &number)
		var resp struct {
			Order struct {
				Status  string
				Total   struct{ Cents int }
				Freight struct{ Cents int }
				Lines   []struct {
					Quantity  int
					UnitPrice struct{ Cents int }
				}
				Packages []struct {
					Kind           string
					AppendSequence *int
					Carrier        struct{ Code, NameZh string }
					TrackingNumber string
					TrackingURL    string
					Lines          []struct {
						Quantity  int
						OrderLine struct{ SKU string }
					}
				}
			}
		}
		a.MustDo(t, tok, `query($n: String) { order(number: $n) { status total { cents } freight { cents }
			lines { quantity unitPrice { cents } }
			packages { kind appendSequence carrier { code nameZh } trackingNumber trackingUrl lines { quantity orderLine { sku } } } } }`,
			&resp, map[string]any{"n": number})
		o := resp.Order
		sum, inPackages, ordered := 0, 0, 0
		for _, l := range o.Lines {
			sum += l.Quantity * l.UnitPrice.Cents
			ordered += l.Quantity
		}
		if sum+o.Freight.Cents != o.Total.Cents {
			t.Errorf("lines add up to %d and freight is %d, total is %d", sum, o.Freight.Cents, o.Total.Cents)
		}
		appended := 0
		for _, p := range o.Packages {
			if !strings.Contains(p.TrackingURL, p.TrackingNumber) || p.Carrier.NameZh == "" {
				t.Errorf("package %+v lacks its carrier or tracking link", p)
			}
			if p.Kind == "APPENDED" {
				appended++
				if len(p.Lines) != 0 || p.AppendSequence == nil || *p.AppendSequence != appended {
					t.Errorf("appended package %+v", p)
				}
			}
			for _, l := range p.Lines {
				inPackages += l.Quantity
				if l.OrderLine.SKU == "" {
					t.Errorf("package line without its order line: %+v", l)
				}
			}
		}
		if o.Status != "SHIPPED" || inPackages != ordered || appended == 0 {
			t.Errorf("shipped order: status %s, %d of %d units in packages, %d appended", o.Status, inPackages, ordered, appended)
		}
	})
}

func TestDemoDataCoversEveryState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		apptest.New(t, url)
		for _, s := range models.OrderStatuses {
			var n int64
			db.Table("orders").Where("status = ?", s).Count(&n)
			if n == 0 {
				t.Errorf("no demo order is %s", s)
			}
		}
		var multi int64
		db.Raw(`SELECT COUNT(*) FROM (SELECT order_id FROM packages WHERE kind = 'SHIPMENT' GROUP BY order_id HAVING COUNT(*) > 1) m`).Scan(&multi)
		if multi == 0 {
			t.Error("no demo order is shipped in several packages")
		}
		var pkgs []struct{ CarrierCode, TrackingNumber string }
		db.Table("packages").Select("carrier_code, tracking_number").Scan(&pkgs)
		for _, p := range pkgs {
			c, ok := carriers.Lookup(p.CarrierCode)
			if !ok || !c.Valid(p.TrackingNumber) {
				t.Errorf("demo package %s %s is not a valid number of a known carrier", p.CarrierCode, p.TrackingNumber)
			}
		}
		// Seeding an already seeded database does nothing.
		apptest.New(t, url)
		var shops int64
		db.Table("shops").Count(&shops)
		if shops != 2 {
			t.Errorf("%d shops after a second start, want 2", shops)
		}
	})
}

func TestReferenceData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		var resp struct {
			Regions  []struct{ Code, Name, Level string }
			Shenzhen struct {
				FullName string
				Children []struct{ Code, Name string }
			}
			Carriers []struct {
				Code, NameZh, NameEn string
				Aliases              []string
			}
		}
		a.MustDo(t, "", `{ regions { code name level } shenzhen: region(code: "440300") { fullName children { code name } }
			carriers { code nameZh nameEn aliases } }`, &resp, nil)
		if len(resp.Regions) != 34 {
			t.Errorf("%d province-level regions, want 34", len(resp.Regions))
		}
		codes := map[string]bool{}
		for _, r := range resp.Regions {
			codes[r.Code] = r.Level == "PROVINCE"
		}
		for _, c := range []string{"110000", "440000", "650000", "710000", "810000", "820000"} {
			if !codes[c] {
				t.Errorf("province %s missing", c)
			}
		}
		if !slices.ContainsFunc(resp.Shenzhen.Children, func(r struct{ Code, Name string }) bool { return r.Code == "440305" && r.Name == "南山区" }) {
			t.Errorf("深圳市's districts: %+v", resp.Shenzhen.Children)
		}
		var got []string
		for _, c := range resp.Carriers {
			got = append(got, c.Code)
		}
		for _, want := range []string{"SF", "YTO", "ZTO", "STO", "YUNDA", "JT", "EMS", "CHINA_POST", "JD", "DEPPON", "DHL", "FEDEX", "UPS"} {
			if !slices.Contains(got, want) {
				t.Errorf("carrier %s missing from %v", want, got)
			}
		}
		res := a.Do(t, "", `{ regions(parentCode: "999999") { code } }`, nil)
		if !slices.Equal(res.Codes(), []string{"INVALID_REGION"}) {
			t.Errorf("unknown parent: %+v", res.Errors)
		}
	})
}

func TestTwoServersShareOneDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		one, two := apptest.New(t, url), apptest.New(t, url)
		token := one.Login(t, ownerA)
		var me struct{ Me struct{ Role string } }
		two.MustDo(t, token, `{ me { role } }`, &me, nil)
		if me.Me.Role != "OWNER" {
			t.Errorf("the second server does not know the first one's session: %+v", me)
		}
		tok := two.CreateToken(t, token, "tool", "SHIPPER")
		if got := listOrders(t, one, tok); len(got) == 0 {
			t.Error("a token made on one server reads nothing on the other")
		}
		two.MustDo(t, token, `mutation { logout { userErrors { code } } }`, nil, nil)
		if status, _ := one.HTTP(t, token, `{ me { role } }`); status != 401 {
			t.Errorf("logout on one server left the session open on the other: %d", status)
		}
	})
}
