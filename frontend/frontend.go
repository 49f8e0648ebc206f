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

// maxUploadBytes caps a page's post: a batch file or evidence files.
const maxUploadBytes = 40 << 20

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
	mux.HandleFunc("GET /orders", p.orders)
	mux.HandleFunc("GET /orders/{number}", p.order)
	mux.HandleFunc("GET /track/{token}", p.track)
	mux.HandleFunc("POST /orders/{number}/reveal", p.reveal)
	mux.HandleFunc("POST /orders/{number}/ship", p.ship)
	mux.HandleFunc("POST /orders/{number}/append", p.appendPackage)
	mux.HandleFunc("POST /orders/{number}/refund", p.requestRefund)
	mux.HandleFunc("POST /orders/{number}/approve-refund", p.approveRefund)
	mux.HandleFunc("POST /orders/{number}/reject-refund", p.rejectRefund)
	mux.HandleFunc("POST /orders/{number}/withdraw-refund", p.withdrawRefund)
	mux.HandleFunc("POST /orders/{number}/intercept/{package}", p.intercept)
	mux.HandleFunc("GET /batch", p.batchForm)
	mux.HandleFunc("POST /batch", p.batch)
	mux.HandleFunc("GET /reports", p.reports)
	mux.HandleFunc("GET /reports/new", p.reportForm)
	mux.HandleFunc("POST /reports/new", p.createReport)
	mux.HandleFunc("GET /reports/{id}", p.report)
	mux.HandleFunc("POST /reports/{id}/review", p.reviewReport)
	mux.HandleFunc("GET /evidence/{id}", p.evidence)
	mux.HandleFunc("GET /review", p.reviewQueue)
	mux.HandleFunc("GET /figures", p.figures)
	mux.HandleFunc("GET /templates", p.catalog)
	mux.HandleFunc("GET /templates/{id}", p.templateForm)
	mux.HandleFunc("POST /templates/{id}", p.saveTemplate)
	mux.HandleFunc("POST /products", p.createProduct)
	mux.HandleFunc("GET /announcements", p.announcements)
	mux.HandleFunc("POST /announcements", p.publishAnnouncement)
	return withCSRF(mux)
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
	p.render(w, r, http.StatusOK, loginPage(Page{Lang: lang, Title: T(lang, "login.title"), CSRF: csrfToken(w, r)}, LoginForm{}))
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	lang := langOf(w, r)
	email := r.PostForm.Get("email")
	secret, _, err := p.svc.Login(r.Context(), email, r.PostForm.Get("password"))
	if err != nil {
		code := models.ErrorCodeOf(err)
		status := http.StatusUnprocessableEntity
		if code == models.CodeInternal {
			p.opts.Logger.ErrorContext(r.Context(), "login", "err", err)
			status = http.StatusInternalServerError
		}
		p.render(w, r, status, loginPage(Page{Lang: lang, Title: T(lang, "login.title"), CSRF: csrfToken(w, r)},
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

// home sends each role to its first page.
func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	a := fulfillment.ActorFrom(r.Context())
	switch {
	case !a.Authenticated():
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case a.Role == models.RolePlatform:
		http.Redirect(w, r, "/review", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/orders", http.StatusSeeOther)
	}
}

// page builds the layout's data for a logged-in page: language, viewer,
// the sections the role may open, and the form token.
func (p *pages) page(w http.ResponseWriter, r *http.Request, title string) Page {
	lang := langOf(w, r)
	a := fulfillment.ActorFrom(r.Context())
	pg := Page{Lang: lang, Title: title, Viewer: a.Name, CSRF: csrfToken(w, r)}
	add := func(href, key string) { pg.Nav = append(pg.Nav, NavLink{Href: href, Label: T(lang, key)}) }
	switch {
	case a.Kind == fulfillment.ActorLink:
		// A tracking link's reader is nobody to log out, with nowhere else
		// to go.
		pg.Viewer = ""
	case a.Role == models.RolePlatform:
		add("/review", "nav.review")
		add("/announcements", "nav.announcements")
	case a.Role == models.RoleBuyer:
		add("/orders", "nav.myOrders")
	case a.IsShopActor():
		add("/orders", "nav.orders")
		if fulfillment.Allowed(a, fulfillment.OpBatchShipOrders) {
			add("/batch", "nav.batch")
		}
		add("/reports", "nav.reports")
		add("/templates", "nav.templates")
		add("/figures", "nav.figures")
	}
	return pg
}

// loggedIn sends anonymous visitors to the login page; it tells whether
// the handler may go on.
func loggedIn(w http.ResponseWriter, r *http.Request) bool {
	if !fulfillment.ActorFrom(r.Context()).Authenticated() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return false
	}
	return true
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
