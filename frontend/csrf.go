package frontend

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// csrfCookie holds the form token of the double-submit pattern: every form
// carries the cookie's value in a hidden field, and a post whose field does
// not match the cookie is refused. A page of another site can neither read
// the cookie nor set it, so it cannot forge the field. It keeps nothing on
// the server, so any instance checks any form. Go's cross-origin protection
// in front of the pages is the first line; this is the second.
const csrfCookie = "fahuo_csrf"

// csrfField is the hidden form field's name.
const csrfField = "csrf"

// csrfToken returns the request's form token, setting the cookie when it
// has none yet.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	// Later handlers of this request read it back from the request.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// csrfValid tells whether a posted form carries the cookie's token. The
// form must have been parsed.
func csrfValid(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	field := r.PostFormValue(csrfField)
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) == 1
}

// withCSRF refuses every page post that fails the token check with 403.
// Multipart forms are parsed here with the page's upload cap.
func withCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		if err := r.ParseMultipartForm(8 << 20); err != nil && err != http.ErrNotMultipart {
			http.Error(w, "the form could not be read / 表单无法读取", http.StatusBadRequest)
			return
		}
		if !csrfValid(r) {
			http.Error(w, "the form has expired; reload the page and try again / 页面已过期，请刷新后重试", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
