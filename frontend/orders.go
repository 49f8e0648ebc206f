package frontend

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
)

// orders is the order list: status tabs, filters by number and tracking
// number, pages of 50 by cursor, and each order's delay-report status.
func (p *pages) orders(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	q := r.URL.Query()
	status := q.Get("status")
	f := fulfillment.OrderFilter{Number: q.Get("number"), TrackingNumber: q.Get("tracking")}
	if slices.Contains(models.OrderStatuses, models.OrderStatus(status)) {
		f.Statuses = []models.OrderStatus{models.OrderStatus(status)}
	} else {
		status = ""
	}
	l := OrderList{Heading: T(lang, "nav.orders"), Status: status, Number: f.Number, Tracking: f.TrackingNumber}
	if a.Role == models.RoleBuyer {
		l.Heading = T(lang, "nav.myOrders")
	}
	pg.Title = l.Heading
	tab := func(value, label string) {
		v := url.Values{}
		if value != "" {
			v.Set("status", value)
		}
		l.Tabs = append(l.Tabs, StatusTab{Label: label, Href: "/orders?" + v.Encode(), Active: value == status})
	}
	tab("", T(lang, "list.all"))
	for _, st := range models.OrderStatuses {
		tab(string(st), T(lang, "status."+string(st)))
	}
	page, err := p.svc.Orders(ctx, a, f, 50, q.Get("after"))
	if err != nil {
		if models.ErrorCodeOf(err) == models.CodeInternal {
			p.fail(w, r, lang, err)
			return
		}
		l.Error = errorText(lang, models.ErrorCodeOf(err))
	}
	if l.Total, err = p.svc.CountOrders(ctx, a, f); err != nil && models.ErrorCodeOf(err) == models.CodeInternal {
		p.fail(w, r, lang, err)
		return
	}
	keys := make([]fulfillment.Key, len(page.Orders))
	var shopIDs []int64
	for i, o := range page.Orders {
		keys[i] = fulfillment.KeyOf(o)
		shopIDs = append(shopIDs, o.ShopID)
	}
	shops, err := p.svc.ShopsByID(ctx, a, shopIDs)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	reports, err := p.svc.ReportsOfOrders(ctx, a, keys)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	for _, o := range page.Orders {
		row := OrderRow{Number: o.Number, Status: T(lang, "status."+string(o.Status)), Shop: shops[o.ShopID].Name,
			Total: yuan(o.TotalCents), ShipBy: chinaTime(o.PromisedShipBy), Region: o.RegionName}
		if rep, ok := reports[fulfillment.KeyOf(o)]; ok {
			row.Report = T(lang, "reportType."+string(rep.Type)) + " · " + T(lang, "reportStatus."+string(rep.Status))
		}
		l.Orders = append(l.Orders, row)
	}
	if page.HasNextPage {
		v := r.URL.Query()
		v.Set("after", fulfillment.EncodeCursor(page.Orders[len(page.Orders)-1]))
		l.NextHref = "/orders?" + v.Encode()
	}
	p.render(w, r, http.StatusOK, ordersPage(pg, l))
}

// order shows one order: lines, packages with tracking links and scans,
// the recipient (masked for the shop until revealed), the history, and the
// forms the viewer's role may use.
func (p *pages) order(w http.ResponseWriter, r *http.Request) {
	p.showOrder(w, r, http.StatusOK, numberRef(r), nil, "", "")
}

// numberRef is the order that a page's path names.
func numberRef(r *http.Request) fulfillment.OrderRef {
	return fulfillment.OrderRef{Number: r.PathValue("number")}
}

// track shows an order to whoever holds its signed tracking link, without a
// login: the page the shop texts to its buyer. It reads as the link's actor,
// which may read that one order and do nothing else, so the page offers no
// forms and shows the recipient masked. A link that does not check out is
// not found, as an order one may not see is.
func (p *pages) track(w http.ResponseWriter, r *http.Request) {
	// The carriers' tracking pages the order links to must not learn the
	// link from the Referer, nor a shared cache keep the page.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	token := r.PathValue("token")
	a, ok := p.svc.TrackingLinkActor(token)
	if !ok {
		p.fail(w, r, langOf(w, r), models.Errorf(models.CodeNotFound, "no such tracking link"))
		return
	}
	r = r.WithContext(fulfillment.WithActor(r.Context(), a))
	p.showOrder(w, r, http.StatusOK, fulfillment.OrderRef{ID: a.Link.ID}, nil, "", "")
}

// reveal shows the order with its recipient in plaintext, through the same
// domain call as the API's revealRecipient (quota and audit log included).
// The answer is rendered, not redirected to, so plaintext never lands in a
// URL or the browser history.
func (p *pages) reveal(w http.ResponseWriter, r *http.Request) {
	fields := []fulfillment.RecipientField{}
	for _, f := range r.PostForm["field"] {
		fields = append(fields, fulfillment.RecipientField(f))
	}
	p.showOrder(w, r, http.StatusOK, numberRef(r), fields, "", "")
}

// ship ships the order from the ship form: each filled package row becomes
// a package holding the quantities typed for it.
func (p *pages) ship(w http.ResponseWriter, r *http.Request) {
	var pkgs []fulfillment.PackageInput
	for slot := 0; slot < shipSlots; slot++ {
		s := strconv.Itoa(slot)
		number := strings.TrimSpace(r.PostFormValue("number" + s))
		if number == "" {
			continue
		}
		pkg := fulfillment.PackageInput{Carrier: r.PostFormValue("carrier" + s), TrackingNumber: number}
		for key, vals := range r.PostForm {
			lineID, ok := strings.CutPrefix(key, "qty"+s+"_")
			if !ok || len(vals) == 0 {
				continue
			}
			id, err1 := strconv.ParseInt(lineID, 10, 64)
			qty, err2 := strconv.ParseInt(strings.TrimSpace(vals[0]), 10, 64)
			if err1 != nil || err2 != nil || qty == 0 {
				continue
			}
			pkg.Lines = append(pkg.Lines, fulfillment.LineQuantity{OrderLineID: id, Quantity: qty})
		}
		slices.SortFunc(pkg.Lines, func(a, b fulfillment.LineQuantity) int { return int(a.OrderLineID - b.OrderLineID) })
		pkgs = append(pkgs, pkg)
	}
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, _, err := p.svc.ShipOrder(r.Context(), a, fulfillment.ShipOrderInput{Order: fulfillment.OrderRef{ID: o.ID}, Packages: pkgs})
		return "notice.shipped", err
	})
}

func (p *pages) appendPackage(w http.ResponseWriter, r *http.Request) {
	pkg := fulfillment.PackageInput{Carrier: r.PostFormValue("carrier"), TrackingNumber: r.PostFormValue("number")}
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, _, err := p.svc.AppendPackages(r.Context(), a, fulfillment.AppendInput{Order: fulfillment.OrderRef{ID: o.ID}, Packages: []fulfillment.PackageInput{pkg}})
		return "notice.appended", err
	})
}

func (p *pages) requestRefund(w http.ResponseWriter, r *http.Request) {
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, err := p.svc.RequestRefund(r.Context(), a, o.ID, r.PostFormValue("reason"))
		return "notice.refundRequested", err
	})
}

func (p *pages) withdrawRefund(w http.ResponseWriter, r *http.Request) {
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, err := p.svc.WithdrawRefund(r.Context(), a, o.ID)
		return "notice.refundWithdrawn", err
	})
}

func (p *pages) approveRefund(w http.ResponseWriter, r *http.Request) {
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, err := p.svc.ApproveRefund(r.Context(), a, o.ID)
		return "notice.refundApproved", err
	})
}

func (p *pages) rejectRefund(w http.ResponseWriter, r *http.Request) {
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		_, err := p.svc.RejectRefund(r.Context(), a, o.ID, r.PostFormValue("reason"))
		return "notice.refundRejected", err
	})
}

func (p *pages) intercept(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("package"), 10, 64)
	p.act(w, r, func(a fulfillment.Actor, o models.Order) (string, error) {
		if err != nil {
			return "", models.Errorf(models.CodeNotFound, "no such package")
		}
		_, err := p.svc.MarkPackageIntercepted(r.Context(), a, id)
		return "notice.intercepted", err
	})
}

// act runs one change to the order named in the URL: on success it
// redirects to the order (303) with a notice; on a refused rule it shows the
// order again with the rule's message (422).
func (p *pages) act(w http.ResponseWriter, r *http.Request, fn func(a fulfillment.Actor, o models.Order) (string, error)) {
	if !loggedIn(w, r) {
		return
	}
	a := fulfillment.ActorFrom(r.Context())
	o, err := p.svc.Order(r.Context(), a, numberRef(r))
	if err != nil {
		p.fail(w, r, langOf(w, r), err)
		return
	}
	notice, err := fn(a, o)
	if err != nil {
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal {
			p.fail(w, r, langOf(w, r), err)
			return
		}
		msg := ruleText(langOf(w, r), err)
		p.showOrder(w, r, http.StatusUnprocessableEntity, numberRef(r), nil, "", msg)
		return
	}
	http.Redirect(w, r, "/orders/"+url.PathEscape(o.Number)+"?notice="+notice, http.StatusSeeOther)
}

// shipSlots is how many packages the ship form offers at once.
const shipSlots = 3

func (p *pages) showOrder(w http.ResponseWriter, r *http.Request, status int, ref fulfillment.OrderRef, reveal []fulfillment.RecipientField, notice, failure string) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	d, err := p.svc.OrderDetail(ctx, a, ref)
	if err != nil {
		p.fail(w, r, langOf(w, r), err)
		return
	}
	pg := p.page(w, r, d.Order.Number)
	lang := pg.Lang
	o, pkgs, pkgLines := d.Order, d.Packages, d.PackageLines
	key := []fulfillment.Key{fulfillment.KeyOf(o)}
	shops, err := p.svc.ShopsByID(ctx, a, []int64{o.ShopID})
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	var scanKeys []fulfillment.TrackingKey
	for _, pk := range pkgs {
		scanKeys = append(scanKeys, fulfillment.TrackingKey{ShopID: pk.ShopID, CarrierCode: pk.CarrierCode, TrackingNumber: pk.TrackingNumber})
	}
	scans, err := p.svc.TrackingEvents(ctx, a, scanKeys)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	history, err := p.svc.OrderHistory(ctx, a, key)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	reports, err := p.svc.ReportsOfOrders(ctx, a, key)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	if n := r.URL.Query().Get("notice"); notice == "" && strings.HasPrefix(n, "notice.") {
		if _, ok := messages[n]; ok {
			notice = T(lang, n)
		}
	}
	view := OrderView{
		Number: o.Number, Status: T(lang, "status."+string(o.Status)), Shop: shops[o.ShopID].Name,
		Total: yuan(o.TotalCents), Freight: yuan(o.FreightCents), PaidAt: chinaTime(o.PaidAt),
		ShipBy: chinaTime(o.PromisedShipBy),
		Notice: notice, Error: failure,
	}
	if a.Kind != fulfillment.ActorLink {
		view.TrackingLink = "/track/" + p.svc.TrackingToken(o)
	}
	if o.RefundStatus != models.RefundNone {
		view.Refund = T(lang, "refundStatus."+string(o.RefundStatus))
	}
	if rep, ok := reports[key[0]]; ok {
		view.Report = T(lang, "reportType."+string(rep.Type)) + " · " + T(lang, "reportStatus."+string(rep.Status))
	}
	can := p.svc.ActionsOn(a, o)
	view.CanShip, view.CanAppend, view.CanIntercept, view.CanReveal = can.Ship, can.Append, can.Intercept, can.Reveal
	view.CanRequestRefund, view.CanWithdrawRefund, view.CanApproveRefund, view.CanRejectRefund = can.RequestRefund, can.WithdrawRefund, can.ApproveRefund, can.RejectRefund
	for i := 0; i < shipSlots; i++ {
		view.ShipSlots = append(view.ShipSlots, i)
	}
	for _, c := range carriers.All() {
		name := c.NameZh
		if lang == EN {
			name = c.NameEn
		}
		view.Carriers = append(view.Carriers, CarrierOption{Code: c.Code, Name: name})
	}
	rec := p.svc.RecipientOf(a, o)
	if reveal != nil {
		revealed, err := p.svc.RevealRecipient(ctx, a, o.ID, reveal)
		if err != nil {
			code := models.ErrorCodeOf(err)
			if code == models.CodeInternal {
				p.fail(w, r, lang, err)
				return
			}
			status = http.StatusUnprocessableEntity
			view.Error = errorText(lang, code)
		} else {
			rec = revealed
			view.RevealNote = T(lang, "recipient.revealed")
		}
	}
	view.Recipient = RecipientView{Name: rec.Name, Phone: rec.Phone, Region: rec.RegionName, Address: rec.AddressDetail,
		AddressKey: rec.AddressKey(), Masked: len(rec.Masked) > 0}
	shipped := map[int64]int64{}
	titles := map[int64]string{}
	for _, pk := range pkgs {
		for _, pl := range pkgLines[fulfillment.Key{ShopID: pk.ShopID, ID: pk.ID}] {
			shipped[pl.OrderLineID] += pl.Quantity
		}
	}
	for _, l := range d.Lines {
		titles[l.ID] = l.Title
		view.Lines = append(view.Lines, LineView{ID: l.ID, SKU: l.SKU, Title: l.Title, Quantity: l.Quantity, Remaining: l.Quantity - shipped[l.ID],
			Price: yuan(l.UnitPriceCents), Total: yuan(l.LineTotalMoney().Cents)})
	}
	for _, pk := range pkgs {
		c, err := pk.Carrier()
		if err != nil {
			p.fail(w, r, lang, err)
			return
		}
		pv := PackageView{ID: pk.ID, Carrier: c.NameZh, Number: pk.TrackingNumber, URL: pk.TrackingURL(),
			Status: T(lang, "pkg."+string(pk.Status)), ShippedAt: chinaTime(pk.ShippedAt), Appended: pk.Kind == models.PackageAppended,
			InterceptRequired: pk.InterceptStatus == models.InterceptRequired, Intercepted: pk.InterceptStatus == models.Intercepted}
		if lang == EN {
			pv.Carrier = c.NameEn
		}
		var parts []string
		for _, pl := range pkgLines[fulfillment.Key{ShopID: pk.ShopID, ID: pk.ID}] {
			parts = append(parts, fmt.Sprintf("%s × %d", titles[pl.OrderLineID], pl.Quantity))
		}
		if len(parts) > 0 {
			pv.Contents = T(lang, "package.holds") + " " + strings.Join(parts, "，")
		}
		for _, sc := range scans[fulfillment.TrackingKey{ShopID: pk.ShopID, CarrierCode: pk.CarrierCode, TrackingNumber: pk.TrackingNumber}] {
			pv.Scans = append(pv.Scans, ScanView{At: chinaTime(sc.OccurredAt), Status: T(lang, "pkg."+string(sc.Status)), Place: sc.Place, Description: sc.Description})
		}
		view.Packages = append(view.Packages, pv)
	}
	for _, h := range history[key[0]] {
		view.History = append(view.History, HistoryView{At: chinaTime(h.At), Actor: h.ActorName, Action: T(lang, "history."+h.Action), Detail: h.Detail})
	}
	p.render(w, r, status, orderPage(pg, view))
}

// chinaTime shows a time as merchants and buyers read it.
func chinaTime(t time.Time) string { return t.In(models.ChinaTime).Format("2006-01-02 15:04") }
