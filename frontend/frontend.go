// Package frontend is Fahuo's server-rendered web pages (templ), for
// merchants, buyers and the platform. Handlers decode the form, call one
// fulfillment method and render the answer; they hold no rule of their own.
package frontend

import (
	"embed"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
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
			Total: yuan(o.TotalCents), ShipBy: o.PromisedShipBy.In(models.ChinaTime).Format("2006-01-02 15:04"),
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
