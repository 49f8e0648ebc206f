package app_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
)

// testCSRF is the form token the page tests send in both the cookie and
// the form, as a browser that loaded the form would.
const testCSRF = "test-csrf-token-0123456789abcdefghijklmnop"

func postForm(a *apptest.App, path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", testCSRF)
	}
	cookies = append(cookies, &http.Cookie{Name: "fahuo_csrf", Value: testCSRF})
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w
}

func get(a *apptest.App, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == "fahuo_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", w.Result().Header)
	return nil
}

func TestLoginPageFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		if w := get(a, "/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Fatalf("anonymous home: %d %s", w.Code, w.Header().Get("Location"))
		}
		if w := get(a, "/login"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="password"`) {
			t.Fatalf("login page: %d", w.Code)
		}

		w := postForm(a, "/login", url.Values{"email": {ownerA}, "password": {"nope"}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "邮箱或密码错误") ||
			!strings.Contains(w.Body.String(), `value="`+ownerA+`"`) {
			t.Fatalf("wrong password: %d %s", w.Code, w.Body.String())
		}
		w = postForm(a, "/login", url.Values{})
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("empty form: %d", w.Code)
		}

		w = postForm(a, "/login", url.Values{"email": {ownerA}, "password": {"fahuo-demo"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Fatalf("login: %d %s", w.Code, w.Body.String())
		}
		c := sessionCookie(t, w)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie flags: %+v", c)
		}

		if w := get(a, "/", c); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orders" {
			t.Errorf("a merchant's home: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = get(a, "/orders", c)
		doc, err := goquery.NewDocumentFromReader(w.Body)
		if err != nil || w.Code != http.StatusOK {
			t.Fatalf("orders: %d %v", w.Code, err)
		}
		var want int64
		db.Table("orders").Joins("JOIN shops ON shops.id = orders.shop_id").Where("shops.name = ?", "鲜果时光旗舰店").Count(&want)
		if n := doc.Find(`[data-testid="order-row"]`).Length(); int64(n) != want {
			t.Errorf("the list shows %d orders, want %d", n, want)
		}
		if strings.Contains(doc.Text(), "山野茶舍") {
			t.Error("the list shows another shop")
		}
		w = get(a, "/orders?status=PENDING_SHIPMENT", c)
		doc, _ = goquery.NewDocumentFromReader(w.Body)
		var pending int64
		db.Table("orders").Joins("JOIN shops ON shops.id = orders.shop_id").Where("shops.name = ? AND status = 'PENDING_SHIPMENT'", "鲜果时光旗舰店").Count(&pending)
		if n := doc.Find(`[data-testid="order-row"]`).Length(); int64(n) != pending {
			t.Errorf("the 待发货 tab shows %d orders, want %d", n, pending)
		}

		// A form with a forged token is refused, and changes nothing.
		forged := postForm(a, "/logout", url.Values{"csrf": {"forged-token-forged-token-forged-token"}}, c)
		if forged.Code != http.StatusForbidden {
			t.Errorf("forged token: %d", forged.Code)
		}
		if w := get(a, "/orders", c); w.Code != http.StatusOK {
			t.Errorf("the forged logout ended the session: %d", w.Code)
		}

		// English on request, and remembered.
		w = get(a, "/orders?lang=en", c)
		if !strings.Contains(w.Body.String(), "Orders") || strings.Contains(w.Body.String(), "订单管理") {
			t.Error("no English page")
		}

		// A form posted from another site is refused before it reaches the handler.
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.AddCookie(c)
		if status, _ := a.Serve(req); status != http.StatusForbidden {
			t.Errorf("cross-site logout: %d", status)
		}

		w = postForm(a, "/logout", nil, c)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Fatalf("logout: %d", w.Code)
		}
		if w := get(a, "/orders", c); w.Code != http.StatusSeeOther {
			t.Errorf("the old cookie still opens the orders: %d", w.Code)
		}
	})
}

func TestPagesServeTheirStylesheet(t *testing.T) {
	_, dbURL := dbtest.SQLite(t)
	a := apptest.New(t, dbURL)
	w := get(a, "/static/style.css")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func loginCookie(t *testing.T, a *apptest.App, email string) *http.Cookie {
	t.Helper()
	w := postForm(a, "/login", url.Values{"email": {email}, "password": {"fahuo-demo"}})
	return sessionCookie(t, w)
}

func TestOrderPageMasksTheRecipientUntilRevealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		_, o := orderOf(t, db, "status = ?", "SHIPPED")
		page := "/orders/" + o.Number
		owner := loginCookie(t, a, ownerA)

		w := get(a, page, owner)
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		if w.Code != http.StatusOK {
			t.Fatalf("order page: %d", w.Code)
		}
		if got := doc.Find(`[data-testid="recipient-phone"]`).Text(); got == o.RecipientPhone || !strings.Contains(got, "****") {
			t.Errorf("the owner sees the phone as %q before revealing", got)
		}
		if n := doc.Find(`[data-testid="package"]`).Length(); n < 2 {
			t.Errorf("%d packages shown", n)
		}
		doc.Find(`[data-testid="tracking-number"]`).Each(func(_ int, s *goquery.Selection) {
			if href, _ := s.Attr("href"); !strings.Contains(href, s.Text()) {
				t.Errorf("tracking link %q does not carry %q", href, s.Text())
			}
		})
		if doc.Find(`[data-testid="reveal"]`).Length() != 1 {
			t.Fatal("no reveal button for the owner")
		}

		w = postForm(a, page+"/reveal", url.Values{"field": {"NAME", "PHONE", "ADDRESS"}}, owner)
		doc, _ = goquery.NewDocumentFromReader(w.Body)
		if w.Code != http.StatusOK || doc.Find(`[data-testid="recipient-phone"]`).Text() != o.RecipientPhone ||
			doc.Find(`[data-testid="recipient-address"]`).Text() != o.AddressDetail {
			t.Fatalf("after reveal: %d %s", w.Code, doc.Find(`[data-testid="recipient"]`).Text())
		}
		var reveals int64
		db.Table("audit_log").Where("action = ? AND outcome = ?", "revealRecipient", "OK").Count(&reveals)
		if reveals != 1 {
			t.Errorf("%d reveals in the audit log", reveals)
		}

		// A viewer gets no button, and a hand-made post is refused.
		viewer := loginCookie(t, a, viewerA)
		w = get(a, page, viewer)
		if strings.Contains(w.Body.String(), `data-testid="reveal"`) {
			t.Error("a viewer is offered the reveal button")
		}
		w = postForm(a, page+"/reveal", url.Values{"field": {"PHONE"}}, viewer)
		if w.Code != http.StatusUnprocessableEntity || strings.Contains(w.Body.String(), o.RecipientPhone) {
			t.Errorf("a viewer's reveal: %d", w.Code)
		}
		// Shop B's owner: not found, and nothing about the order.
		w = get(a, page, loginCookie(t, a, ownerB))
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), o.Number) {
			t.Errorf("another shop's order: %d", w.Code)
		}
		// The buyer sees their own recipient in full, with no button.
		var buyerEmail string
		db.Raw("SELECT email FROM users WHERE id = ?", o.BuyerID).Scan(&buyerEmail)
		w = get(a, page, loginCookie(t, a, buyerEmail))
		if !strings.Contains(w.Body.String(), o.RecipientPhone) || strings.Contains(w.Body.String(), `data-testid="reveal"`) {
			t.Errorf("the buyer's view: %d", w.Code)
		}
		// Delivered 14 days ago: the window has closed, and the page offers
		// no reveal that would be refused.
		delivered := a.Clock.Now().Add(-fulfillment.RevealWindow)
		db.Exec("UPDATE orders SET status = 'DELIVERED', delivered_at = ? WHERE id = ?", delivered, o.ID)
		if w := get(a, page, owner); strings.Contains(w.Body.String(), `data-testid="reveal"`) {
			t.Error("the reveal button is offered after the reveal window")
		}
		if w := postForm(a, page+"/reveal", url.Values{"field": {"PHONE"}}, owner); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("a reveal after the window: %d", w.Code)
		}
	})
}

func TestPagesRefuseBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		owner := loginCookie(t, a, ownerA)
		id, _ := newOrder(t, a, db, buyer)
		number := orderNumber(t, db, id)

		// An empty ship form: the order page again, 422, with the reason; nothing shipped.
		w := postForm(a, "/orders/"+number+"/ship", url.Values{"number0": {""}}, owner)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `data-testid="error"`) {
			t.Errorf("empty ship form: %d", w.Code)
		}
		var pkgs int64
		db.Table("packages").Where("order_id = ?", id[len("gid://fahuo/Order/"):]).Count(&pkgs)
		if pkgs != 0 {
			t.Error("an empty ship form shipped something")
		}
		// A wrong file type in the batch form.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf", testCSRF)
		_ = mw.WriteField("kind", "ship")
		fw, _ := mw.CreateFormFile("file", "照片.csv")
		_, _ = fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...))
		_ = mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/batch", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(owner)
		req.AddCookie(&http.Cookie{Name: "fahuo_csrf", Value: testCSRF})
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `data-testid="batch-error"`) {
			t.Errorf("wrong file type: %d", rec.Code)
		}
		// Another shop's order in the URL: not found, and nothing of it shown.
		var other string
		db.Raw("SELECT number FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '山野茶舍') LIMIT 1").Scan(&other)
		if w := get(a, "/orders/"+other, owner); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), other) {
			t.Errorf("another shop's order: %d", w.Code)
		}
		if w := postForm(a, "/orders/"+other+"/ship", url.Values{"number0": {sfNumber(1)}, "carrier0": {"SF"}}, owner); w.Code != http.StatusNotFound {
			t.Errorf("shipping another shop's order: %d", w.Code)
		}
		// A buyer cannot open the batch or report pages' actions.
		buyerCookie := loginCookie(t, a, buyer)
		if w := postForm(a, "/orders/"+number+"/ship", url.Values{"number0": {sfNumber(2)}, "carrier0": {"SF"}}, buyerCookie); w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusForbidden {
			t.Errorf("a buyer shipping: %d", w.Code)
		}
	})
}

func TestFiguresPageDrawsTheCharts(t *testing.T) {
	_, dbURL := dbtest.SQLite(t)
	a := apptest.New(t, dbURL)
	owner := a.Login(t, ownerA)
	a.MustDo(t, owner, `mutation { setShippingCapacity(dailyCapacity: 0) { userErrors { code } } }`, nil, nil)
	w := get(a, "/figures", loginCookie(t, a, ownerA))
	doc, _ := goquery.NewDocumentFromReader(w.Body)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="rate-chart"] rect`).Length() == 0 {
		t.Fatalf("figures: %d", w.Code)
	}
	// With a capacity of 0, every day with orders due is overloaded.
	if doc.Find(`[data-testid="overloaded"]`).Length() == 0 {
		t.Error("no overloaded day drawn")
	}
	if got := doc.Find(`[data-testid="on-time-rate"]`).Text(); !strings.HasSuffix(got, "%") && got != "—" {
		t.Errorf("rate %q", got)
	}
}

func TestTemplateEditorAndProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		owner := loginCookie(t, a, ownerA)
		w := get(a, "/templates/new", owner)
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		if w.Code != http.StatusOK || doc.Find(`[data-testid="region-picker"] input[value="440305"]`).Length() != 1 {
			t.Fatalf("editor: %d", w.Code)
		}
		// Every district of 深圳 picked, and 新疆 as a whole: saved as 深圳市 and 新疆.
		form := url.Values{"name": {"页面模板"}, "shipFrom": {"440305"}, "pricing": {"BY_PIECE"}, "firstUnits": {"1"},
			"firstFee": {"8.5"}, "extraUnits": {"1"}, "extraFee": {"2"}, "freeAmount": {"99"}, "nd": {"650000"}}
		for _, d := range regions.Children("440300") {
			form.Add("nd", d.Code)
		}
		if w := postForm(a, "/templates/new", form, owner); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body.String())
		}
		var tmpl models.ShippingTemplate
		if err := db.Where("name = ?", "页面模板").Take(&tmpl).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tmpl.NonDeliveryRegions, []string{"440300", "650000"}) || tmpl.Default.FirstFeeCents != 850 ||
			len(tmpl.FreeRules) != 1 || tmpl.FreeRules[0].Threshold != 9900 {
			t.Errorf("saved %+v", tmpl)
		}
		// The editor shows it back with the branch open and the city checked.
		w = get(a, "/templates/"+strconv.FormatInt(tmpl.ID, 10), owner)
		doc, _ = goquery.NewDocumentFromReader(w.Body)
		if _, ok := doc.Find(`input[value="440300"]`).Attr("checked"); !ok {
			t.Error("深圳市 is not checked in the editor")
		}
		// A refused template: the form again, 422, with the reason.
		bad := url.Values{"name": {"坏模板"}, "shipFrom": {"999999"}, "pricing": {"BY_PIECE"}, "firstUnits": {"1"}, "firstFee": {"1"}, "extraUnits": {"1"}, "extraFee": {"1"}}
		if w := postForm(a, "/templates/new", bad, owner); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `data-testid="template-error"`) {
			t.Errorf("bad template: %d", w.Code)
		}
		// An unknown region is refused (T1), not dropped.
		unknown := url.Values{"name": {"未知地区"}, "shipFrom": {"440305"}, "pricing": {"BY_PIECE"}, "firstUnits": {"1"}, "firstFee": {"1"},
			"extraUnits": {"1"}, "extraFee": {"1"}, "nd": {"999999"}}
		if w := postForm(a, "/templates/new", unknown, owner); w.Code != http.StatusUnprocessableEntity || countRows(t, db, "shipping_templates WHERE name = '未知地区'") != 0 {
			t.Errorf("unknown non-delivery region: %d", w.Code)
		}
		// Saving a template from the editor changes what the editor shows
		// and keeps its region rules and other free-shipping rules.
		var rich models.ShippingTemplate
		var all []models.ShippingTemplate
		db.Where("shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店')").Find(&all)
		for _, c := range all {
			if len(c.RegionRules) > 0 {
				rich = c
				break
			}
		}
		if rich.ID == 0 {
			t.Fatal("the demo shop has no template with region rules")
		}
		edit := url.Values{"name": {rich.Name}, "shipFrom": {rich.ShipFromRegion}, "pricing": {string(rich.Pricing)},
			"firstUnits": {"1"}, "firstFee": {"12"}, "extraUnits": {"1"}, "extraFee": {"4"}}
		if w := postForm(a, "/templates/"+strconv.FormatInt(rich.ID, 10), edit, owner); w.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", w.Code, w.Body.String())
		}
		var after models.ShippingTemplate
		db.Take(&after, rich.ID)
		var keptFree []models.FreeShippingRule
		for _, fr := range rich.FreeRules {
			if fr.Kind != models.FreeByAmount || len(fr.Regions) > 0 {
				keptFree = append(keptFree, fr)
			}
		}
		if after.Default.FirstFeeCents != 1200 || !reflect.DeepEqual(after.RegionRules, rich.RegionRules) ||
			!slices.Equal(after.FreeExcludedRegions, slices.Sorted(slices.Values(rich.FreeExcludedRegions))) || len(after.FreeRules) != len(keptFree) {
			t.Errorf("edited template %+v, was %+v", after, rich)
		}
		// A product on it.
		pf := url.Values{"title": {"页面商品"}, "sku": {"WEB-1"}, "price": {"19.90"}, "weight": {"500"}, "stock": {"10"},
			"template": {strconv.FormatInt(tmpl.ID, 10)}, "mode": {"PRESALE"}, "presaleDays": {"7"}}
		if w := postForm(a, "/products", pf, owner); w.Code != http.StatusSeeOther {
			t.Fatalf("product: %d %s", w.Code, w.Body.String())
		}
		w = get(a, "/templates", owner)
		if !strings.Contains(w.Body.String(), "页面商品") || !strings.Contains(w.Body.String(), "¥19.90") {
			t.Error("the product is not listed")
		}
		// A viewer sees the lists but not the forms.
		w = get(a, "/templates", loginCookie(t, a, viewerA))
		if strings.Contains(w.Body.String(), `data-testid="product-form"`) || strings.Contains(w.Body.String(), `data-testid="new-template"`) {
			t.Error("a viewer is offered the forms")
		}
	})
}

func TestTheBuyerAsksForAndWithdrawsARefundOnTheOrderPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		gid, _ := newOrder(t, a, db, buyer)
		number := orderNumber(t, db, gid)
		page := "/orders/" + number
		me := loginCookie(t, a, buyer)
		if w := get(a, page, me); countTestID(w, "refund-form") != 1 {
			t.Fatal("no refund form for the buyer")
		}
		if w := postForm(a, page+"/refund", url.Values{"reason": {"拍错了"}}, me); w.Code != http.StatusSeeOther {
			t.Fatalf("refund: %d", w.Code)
		}
		w := get(a, page, me)
		body := w.Body.String()
		if !strings.Contains(body, "退款中") || !strings.Contains(body, `data-testid="withdraw-refund"`) || strings.Contains(body, `data-testid="refund-form"`) {
			t.Fatalf("after the request the page shows: %s", body)
		}
		// The shop sees no withdraw button, and its hand-made post is refused.
		owner := loginCookie(t, a, ownerA)
		if w := get(a, page, owner); countTestID(w, "withdraw-refund") != 0 {
			t.Error("the shop is offered the buyer's withdraw button")
		}
		if w := postForm(a, page+"/withdraw-refund", nil, owner); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("the shop withdraws: %d", w.Code)
		}
		if w := postForm(a, page+"/withdraw-refund", nil, me); w.Code != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", w.Code)
		}
		if w := get(a, page, me); countTestID(w, "refund-form") != 1 || countTestID(w, "withdraw-refund") != 0 {
			t.Error("after withdrawing, the refund form is not back")
		}
		var status string
		db.Raw("SELECT refund_status FROM orders WHERE number = ?", number).Scan(&status)
		if status != "NONE" {
			t.Errorf("refund status %s", status)
		}
	})
}

// The order page offers a form only when its change can succeed: the
// append form goes with the 30-day window (A2), the ship form with the
// order's shipment.
func TestOrderPageOffersOnlyChangesThatCanSucceed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		gid := shippedOrder(t, a, db, 1)
		number := orderNumber(t, db, gid)
		has := func(testid string) bool {
			// Logged in afresh: a month-old session has expired.
			w := get(a, "/orders/"+number, loginCookie(t, a, shipA))
			if w.Code != http.StatusOK {
				t.Fatalf("order page: %d", w.Code)
			}
			return strings.Contains(w.Body.String(), `data-testid="`+testid+`"`)
		}
		if has("ship-form") || !has("append-form") {
			t.Error("a shipped order: want the append form and no ship form")
		}
		pending := "/orders/" + pendingOrders(t, a, db, 1)[0]
		if body := get(a, pending, loginCookie(t, a, shipA)).Body.String(); !strings.Contains(body, `data-testid="ship-form"`) ||
			strings.Contains(body, `data-testid="append-form"`) {
			t.Error("a pending order: want the ship form and no append form")
		}
		start := a.Clock.Now()
		a.Clock.Set(start.Add(30 * 24 * time.Hour))
		if !has("append-form") {
			t.Error("no append form on day 30")
		}
		a.Clock.Set(start.Add(30*24*time.Hour + time.Minute))
		if has("append-form") {
			t.Error("append form offered after the 30-day window")
		}
	})
}

func TestTheShopRejectsARefundOnTheOrderPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, dbURL string) {
		a := apptest.New(t, dbURL)
		number := pendingOrders(t, a, db, 1)[0]
		page := "/orders/" + number
		me, owner := loginCookie(t, a, buyer), loginCookie(t, a, ownerA)
		if w := get(a, page, owner); countTestID(w, "reject-refund-form") != 0 {
			t.Error("a reject form without a request")
		}
		if w := postForm(a, page+"/refund", url.Values{"reason": {"拍错了"}}, me); w.Code != http.StatusSeeOther {
			t.Fatalf("refund: %d", w.Code)
		}
		if w := get(a, page, me); countTestID(w, "reject-refund-form") != 0 {
			t.Error("the buyer is offered the shop's reject form")
		}
		if w := get(a, page, owner); countTestID(w, "reject-refund-form") != 1 {
			t.Fatal("no reject form for the owner")
		}
		if w := postForm(a, page+"/reject-refund", url.Values{"reason": {" "}}, owner); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("a blank reason: %d", w.Code)
		}
		if w := postForm(a, page+"/reject-refund", url.Values{"reason": {"已与买家协商"}}, owner); w.Code != http.StatusSeeOther {
			t.Fatalf("reject: %d", w.Code)
		}
		// The buyer reads the reason in the history and may ask again.
		if body := get(a, page, me).Body.String(); strings.Contains(body, "退款中") || !strings.Contains(body, "已与买家协商") {
			t.Errorf("the buyer's page after the rejection: %s", body)
		}
		if w := get(a, page, me); countTestID(w, "refund-form") != 1 {
			t.Error("the buyer cannot ask again after the rejection")
		}
		var status string
		db.Raw("SELECT refund_status FROM orders WHERE number = ?", number).Scan(&status)
		if status != "NONE" {
			t.Errorf("refund status after the rejection: %s", status)
		}
	})
}

// countTestID counts the elements of a page marked data-testid="id".
func countTestID(w *httptest.ResponseRecorder, id string) int {
	doc, err := goquery.NewDocumentFromReader(w.Body)
	if err != nil {
		return 0
	}
	return doc.Find(`[data-testid="` + id + `"]`).Length()
}
