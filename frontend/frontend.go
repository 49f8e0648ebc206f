// Package frontend is Fahuo's server-rendered web pages (templ), for
// merchants, buyers and the platform. Handlers decode the form, call one
// fulfillment method and render the answer; they hold no rule of their own.
package frontend

import (
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
)

//go:generate go tool templ generate

//go:embed static
var static embed.FS

// SessionCookie holds the login session of the pages.
const SessionCookie = "fahuo_session"

// maxFormBytes caps a page's form post.
const maxFormBytes = 64 << 10

// Options configure the pages.
type Options struct {
	// SecureCookies marks the session cookie Secure.
	SecureCookies bool
	Logger        *slog.Logger
}

type pages struct {
	svc  *fulfillment.Service
	opts Options
}

// New returns the handler of every page. It expects the request's actor in
// the context (set from the session cookie) and cross-origin protection in
// front of it.
func New(svc *fulfillment.Service, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &pages{svc: svc, opts: opts}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.FileServerFS(static))
	mux.HandleFunc("GET /{$}", p.home)
	mux.HandleFunc("GET /login", p.loginForm)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
	mux.HandleFunc("GET /orders/{number}", p.order)
	mux.HandleFunc("POST /orders/{number}/reveal", p.reveal)
	return mux
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		p.opts.Logger.ErrorContext(r.Context(), "render page", "err", err)
	}
}

func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	lang := langOf(w, r)
	if fulfillment.ActorFrom(r.Context()).Authenticated() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, loginPage(Page{Lang: lang, Title: T(lang, "login.title")}, LoginForm{}))
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	lang := langOf(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.render(w, r, http.StatusBadRequest, loginPage(Page{Lang: lang, Title: T(lang, "login.title")},
			LoginForm{Error: errorText(lang, models.CodeInvalidArgument)}))
		return
	}
	email := r.PostForm.Get("email")
	secret, _, err := p.svc.Login(r.Context(), email, r.PostForm.Get("password"))
	if err != nil {
		code := models.ErrorCodeOf(err)
		status := http.StatusUnprocessableEntity
		if code == models.CodeInternal {
			p.opts.Logger.ErrorContext(r.Context(), "login", "err", err)
			status = http.StatusInternalServerError
		}
		p.render(w, r, status, loginPage(Page{Lang: lang, Title: T(lang, "login.title")},
			LoginForm{Email: email, Error: errorText(lang, code)}))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: p.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(p.svc.SessionTTL().Seconds()),
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request) {
	if a := fulfillment.ActorFrom(r.Context()); a.Authenticated() {
		if err := p.svc.Logout(r.Context(), a); err != nil {
			p.opts.Logger.ErrorContext(r.Context(), "logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	lang := langOf(w, r)
	a := fulfillment.ActorFrom(r.Context())
	if !a.Authenticated() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	h := Home{Name: a.Name, Role: T(lang, "role."+string(a.Role))}
	if a.ShopID != 0 {
		shop, err := p.svc.Shop(ctx, a)
		if err != nil {
			p.fail(w, r, lang, err)
			return
		}
		h.Shop = shop.Name
	}
	page, err := p.svc.Orders(ctx, a, fulfillment.OrderFilter{}, 20, "")
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	shopIDs := make([]int64, 0, len(page.Orders))
	for _, o := range page.Orders {
		shopIDs = append(shopIDs, o.ShopID)
	}
	shops, err := p.svc.ShopsByID(ctx, a, shopIDs)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	for _, o := range page.Orders {
		h.Orders = append(h.Orders, OrderRow{
			Number: o.Number, Status: T(lang, "status."+string(o.Status)), Shop: shops[o.ShopID].Name,
			Total: yuan(o.TotalCents), ShipBy: chinaTime(o.PromisedShipBy),
			Region: o.RegionName,
		})
	}
	p.render(w, r, http.StatusOK, homePage(Page{Lang: lang, Title: T(lang, "home.title"), Viewer: a.Name}, h))
}

// fail shows an error page: the code's message for a rule, a generic one for
// anything internal, which is logged.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, lang Lang, err error) {
	code := models.ErrorCodeOf(err)
	status := http.StatusUnprocessableEntity
	switch code {
	case models.CodeInternal:
		p.opts.Logger.ErrorContext(r.Context(), "page", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
	case models.CodeForbidden:
		status = http.StatusForbidden
	case models.CodeNotFound:
		status = http.StatusNotFound
	}
	http.Error(w, errorText(lang, code), status)
}

// yuan formats cents as ¥12.34.
func yuan(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, cents/100, cents%100)
}

// order shows one order: lines, packages with tracking links, and the
// recipient, masked for the shop until revealed.
func (p *pages) order(w http.ResponseWriter, r *http.Request) {
	p.showOrder(w, r, nil)
}

// reveal shows the order with its recipient in plaintext, through the same
// domain call as the API's revealRecipient (quota and audit log included).
// The answer is rendered, not redirected to, so plaintext never lands in a
// URL or the browser history.
func (p *pages) reveal(w http.ResponseWriter, r *http.Request) {
	lang := langOf(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, lang, models.Errorf(models.CodeInvalidArgument, "bad form"))
		return
	}
	fields := []fulfillment.RecipientField{}
	for _, f := range r.PostForm["field"] {
		fields = append(fields, fulfillment.RecipientField(f))
	}
	p.showOrder(w, r, fields)
}

func (p *pages) showOrder(w http.ResponseWriter, r *http.Request, reveal []fulfillment.RecipientField) {
	lang := langOf(w, r)
	a := fulfillment.ActorFrom(r.Context())
	if !a.Authenticated() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	o, err := p.svc.Order(ctx, a, fulfillment.OrderRef{Number: r.PathValue("number")})
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	key := []fulfillment.Key{fulfillment.KeyOf(o)}
	lines, err := p.svc.OrderLines(ctx, a, key)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	pkgs, err := p.svc.Packages(ctx, a, key)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	shops, err := p.svc.ShopsByID(ctx, a, []int64{o.ShopID})
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	var pkgKeys []fulfillment.Key
	for _, pk := range pkgs[key[0]] {
		pkgKeys = append(pkgKeys, fulfillment.Key{ShopID: pk.ShopID, ID: pk.ID})
	}
	pkgLines, err := p.svc.PackageLines(ctx, a, pkgKeys)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	view := OrderView{
		Number: o.Number, Status: T(lang, "status."+string(o.Status)), Shop: shops[o.ShopID].Name,
		Total: yuan(o.TotalCents), Freight: yuan(o.FreightCents), PaidAt: chinaTime(o.PaidAt),
		ShipBy: chinaTime(o.PromisedShipBy), CanReveal: fulfillment.Allowed(a, fulfillment.OpRevealRecipient),
	}
	rec := p.svc.RecipientOf(a, o)
	status := http.StatusOK
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
		AddressKey: rec.AddressKey, Masked: len(rec.Masked) > 0}
	titles := map[int64]string{}
	for _, l := range lines[key[0]] {
		titles[l.ID] = l.Title
		view.Lines = append(view.Lines, LineView{SKU: l.SKU, Title: l.Title, Quantity: l.Quantity,
			Price: yuan(l.UnitPriceCents), Total: yuan(l.UnitPriceCents * l.Quantity)})
	}
	for _, pk := range pkgs[key[0]] {
		c, _ := carriers.Lookup(pk.CarrierCode)
		pv := PackageView{Carrier: c.NameZh, Number: pk.TrackingNumber, URL: c.TrackingURL(pk.TrackingNumber),
			Status: T(lang, "pkg."+string(pk.Status)), ShippedAt: chinaTime(pk.ShippedAt), Appended: pk.Kind == models.PackageAppended}
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
		view.Packages = append(view.Packages, pv)
	}
	p.render(w, r, status, orderPage(Page{Lang: lang, Title: o.Number, Viewer: a.Name}, view))
}

// chinaTime shows a time as merchants and buyers read it.
func chinaTime(t time.Time) string { return t.In(models.ChinaTime).Format("2006-01-02 15:04") }
