package app_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// trackingToken reads an order's tracking link token as the holder of token.
func trackingToken(t *testing.T, a *apptest.App, token, number string) string {
	t.Helper()
	var r struct {
		Order *struct{ TrackingToken string }
	}
	a.MustDo(t, token, `query($n: String) { order(number: $n) { trackingToken } }`, &r, map[string]any{"n": number})
	if r.Order == nil || !strings.HasPrefix(r.Order.TrackingToken, "fhl_") {
		t.Fatalf("order %s: tracking token %+v", number, r.Order)
	}
	return r.Order.TrackingToken
}

// tamper changes one character of a token's signature, or of its ids.
func tamper(token string, at int) string {
	b := []byte(token)
	if b[at] == 'A' {
		b[at] = 'B'
	} else {
		b[at] = 'A'
	}
	return string(b)
}

// A signed tracking link reads its one order through the API, as the buyer
// does but with the recipient and buyer masked, and nothing else: no other
// order of the same buyer or shop, no change. A link whose signature or ids
// were touched is not a credential.
func TestTrackingLinkReadsOneOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := readOrders(t, a, db)
		shipped, other := numbers[1], numbers[3]
		buy, owner := a.Login(t, buyer), a.Login(t, ownerA)
		link := trackingToken(t, a, buy, shipped)
		if fromShop := trackingToken(t, a, owner, shipped); fromShop != link {
			t.Errorf("the shop's link %q differs from the buyer's %q", fromShop, link)
		}
		if trackingToken(t, a, buy, other) == link {
			t.Errorf("two orders share a link")
		}

		type view struct {
			Order *struct {
				Number    string
				Status    string
				Buyer     struct{ Name string }
				Recipient struct{ Name, Phone string }
				Lines     []struct{ SKU string }
				Packages  []struct {
					TrackingNumber string
					Lines          []struct{ Quantity int }
				}
			}
		}
		q := `query($n: String) { order(number: $n) { number status buyer { name } recipient { name phone }
			lines { sku } packages { trackingNumber lines { quantity } } } }`
		var asBuyer, asLink view
		a.MustDo(t, buy, q, &asBuyer, map[string]any{"n": shipped})
		a.MustDo(t, link, q, &asLink, map[string]any{"n": shipped})
		if asLink.Order == nil {
			t.Fatal("the link does not read its order")
		}
		b, l := asBuyer.Order, asLink.Order
		if l.Number != b.Number || l.Status != "SHIPPED" || len(l.Lines) != 2 || len(l.Packages) != 2 || len(l.Packages[0].Lines) != 1 {
			t.Errorf("the link reads %+v, the buyer %+v", l, b)
		}
		if !strings.Contains(l.Recipient.Name, "*") || !strings.Contains(l.Recipient.Phone, "****") || !strings.Contains(l.Buyer.Name, "*") {
			t.Errorf("the link sees the recipient %+v and buyer %q unmasked", l.Recipient, l.Buyer.Name)
		}
		if strings.Contains(b.Recipient.Phone, "*") {
			t.Errorf("the buyer sees their own phone masked: %q", b.Recipient.Phone)
		}

		// Another order of the same buyer and shop is not there for it.
		var none view
		a.MustDo(t, link, q, &none, map[string]any{"n": other})
		if none.Order != nil {
			t.Errorf("the link reads another order: %+v", none.Order)
		}
		if got := listOrders(t, a, link); len(got) != 1 || got[0].Number != shipped {
			t.Errorf("the link lists %+v", got)
		}
		var me struct{ Me struct{ Kind, Role string } }
		a.MustDo(t, link, `{ me { kind role } }`, &me, nil)
		if me.Me.Kind != "TRACKING_LINK" || me.Me.Role != "BUYER" {
			t.Errorf("me: %+v", me.Me)
		}

		// It changes nothing: a refund request is refused before it is
		// judged, and the order stands as it was.
		var id string
		db.Raw("SELECT 'gid://fahuo/Order/' || id FROM orders WHERE number = ?", shipped).Scan(&id)
		res := a.Do(t, link, `mutation($id: ID!) { requestRefund(orderId: $id, reason: "不要了") { userErrors { code } } }`, map[string]any{"id": id})
		if codes := res.Codes(); len(codes) != 1 || codes[0] != "FORBIDDEN" {
			t.Errorf("requestRefund through the link: %s", res.Data)
		}
		var refund string
		db.Raw("SELECT refund_status FROM orders WHERE number = ?", shipped).Scan(&refund)
		if refund != "NONE" {
			t.Errorf("the order's refund status is %q after the refused request", refund)
		}

		// A touched signature or id, or a link cut short, is no credential.
		sig := strings.LastIndexByte(link, '.') + 1
		dot := strings.IndexByte(link, '.')
		for name, bad := range map[string]string{
			"signature":   tamper(link, sig+3),
			"order id":    link[:dot+1] + strconv.Itoa(mustAtoi(t, link[dot+1:sig-1])+1) + link[sig-1:],
			"cut short":   link[:len(link)-1],
			"no ids":      "fhl_" + link[sig:],
			"another key": "fhl_1.1.AAAAAAAAAAAAAAAAAAAAAA",
		} {
			res := a.Do(t, bad, q, map[string]any{"n": shipped})
			if codes := res.Codes(); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
				t.Errorf("a link with its %s changed: %v %s", name, codes, res.Data)
			}
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The tracking page opens from the link without a login, shows every
// package and offers no form; the order page shows the link to the buyer
// and the shop. A link that does not check out is not found.
func TestTrackingPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		numbers := readOrders(t, a, db)
		shipped := numbers[1]
		link := trackingToken(t, a, a.Login(t, buyer), shipped)

		for _, who := range []string{buyer, ownerA} {
			w := get(a, "/orders/"+shipped, loginCookie(t, a, who))
			doc, _ := goquery.NewDocumentFromReader(w.Body)
			if href, _ := doc.Find(`[data-testid="tracking-link"]`).Attr("href"); href != "/track/"+link {
				t.Errorf("%s's order page links %q, want /track/%s", who, href, link)
			}
		}

		w := get(a, "/track/"+link)
		if w.Code != http.StatusOK {
			t.Fatalf("/track/…: %d %s", w.Code, w.Body.String())
		}
		if got := w.Header().Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy %q: the carriers' pages would learn the link", got)
		}
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		if got := doc.Find(`[data-testid="order-number"]`).Text(); got != shipped {
			t.Errorf("the page shows order %q, want %s", got, shipped)
		}
		var want []string
		db.Raw("SELECT tracking_number FROM packages WHERE order_id = (SELECT id FROM orders WHERE number = ?) ORDER BY id", shipped).Scan(&want)
		text := doc.Find("main").Text()
		for _, n := range want {
			if !strings.Contains(text, n) {
				t.Errorf("the page does not show package %s", n)
			}
		}
		if n := doc.Find("form").Length(); n != 0 {
			t.Errorf("the tracking page offers %d forms", n)
		}
		if got := doc.Find(`[data-testid="recipient-phone"]`).Text(); !strings.Contains(got, "****") {
			t.Errorf("the tracking page shows the phone %q", got)
		}
		if doc.Find(`[data-testid="tracking-link"]`).Length() != 0 || doc.Find(`[data-testid="logout"]`).Length() != 0 {
			t.Errorf("the tracking page offers its own link or a logout")
		}

		for name, bad := range map[string]string{
			"tampered":            tamper(link, len(link)-3),
			"a session":           a.Login(t, buyer),
			"nothing like a link": "orders",
		} {
			if w := get(a, "/track/"+bad); w.Code != http.StatusNotFound {
				t.Errorf("%s link: %d, want 404", name, w.Code)
			}
		}
	})
}
