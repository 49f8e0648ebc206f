package app_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// stillServing fails the test unless the server answers a normal query after
// the bad one.
func stillServing(t *testing.T, a *apptest.App, token string) {
	t.Helper()
	a.MustDo(t, token, `{ me { role } }`, nil, nil)
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	_, url := dbtest.SQLite(t)
	a := apptest.New(t, url)
	tok := a.Login(t, ownerA)

	deep := `{ region(code: "440000") ` + strings.Repeat("{ children ", 49) + "{ code }" + strings.Repeat(" }", 50)
	wide := "{ regions { children { children { code name fullName } } } }"
	manyTokens := "{ me { " + strings.Repeat("role ", 20000) + "} }"
	cases := []struct {
		name, query string
		want        string
	}{
		{"malformed", "{ me { role ", "GRAPHQL_PARSE_FAILED"},
		{"unknown field", "{ me { rol } }", "GRAPHQL_VALIDATION_FAILED"},
		{"wrong type", `{ orders(first: "ten") { totalCount } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"nested 50 deep", deep, "QUERY_TOO_COMPLEX"},
		{"too costly", wide, "QUERY_TOO_COMPLEX"},
		{"every order of 100 reports", `{ delayReports(first: 100) { nodes { orders { number lines { sku } } } } }`, "QUERY_TOO_COMPLEX"},
		{"too many tokens", manyTokens, "GRAPHQL_PARSE_FAILED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := a.Do(t, tok, c.query, nil)
			if !slices.Equal(res.Codes(), []string{c.want}) {
				t.Fatalf("codes %v, want %s: %+v", res.Codes(), c.want, res.Errors)
			}
			stillServing(t, a, tok)
		})
	}

	// The cost of an operation is remembered by its text, its name and its
	// page sizes: the same text asking for a larger page, or naming the
	// costly operation of a document, is measured again.
	t.Run("costs remembered by page size and operation", func(t *testing.T) {
		const pages = `query P($n: Int, $after: String) { delayReports(first: $n, after: $after) { nodes { orders { number lines { sku } } } } }`
		for _, c := range []struct {
			vars map[string]any
			want []string
		}{
			{map[string]any{"n": 1}, nil},
			{map[string]any{"n": 100}, []string{"QUERY_TOO_COMPLEX"}},
			{map[string]any{"n": 1, "after": nil}, nil},
			{map[string]any{"n": 100, "after": nil}, []string{"QUERY_TOO_COMPLEX"}},
		} {
			if res := a.Do(t, tok, pages, c.vars); !slices.Equal(res.Codes(), c.want) {
				t.Errorf("%v: codes %v, want %v: %+v", c.vars, res.Codes(), c.want, res.Errors)
			}
		}
		// A query too long to be remembered is still measured, every time.
		long := wide + "\n# " + strings.Repeat("x", 20<<10)
		for range 2 {
			if res := a.Do(t, tok, long, nil); !slices.Equal(res.Codes(), []string{"QUERY_TOO_COMPLEX"}) {
				t.Errorf("a long costly query: codes %v", res.Codes())
			}
		}
		doc := "query Cheap { me { role } } query Costly " + wide
		for _, c := range []struct{ op, want string }{{"Cheap", ""}, {"Costly", "QUERY_TOO_COMPLEX"}, {"Cheap", ""}} {
			body := `{"operationName": "` + c.op + `", "query": "` + doc + `"}`
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			if _, out := a.Serve(req); strings.Contains(out, "QUERY_TOO_COMPLEX") != (c.want != "") {
				t.Errorf("operation %s: %.300s", c.op, out)
			}
		}
	})

	t.Run("no field suggestions", func(t *testing.T) {
		res := a.Do(t, tok, "{ me { rol } }", nil)
		if len(res.Errors) == 0 || strings.Contains(res.Errors[0].Message, "Did you mean") {
			t.Errorf("errors: %+v", res.Errors)
		}
	})

	t.Run("10 MB body", func(t *testing.T) {
		body := `{"query": "{ me { role } }", "variables": {"pad": "` + strings.Repeat("x", 10<<20) + `"}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if status, out := a.Serve(req); status != http.StatusRequestEntityTooLarge || !strings.Contains(out, "4 MB") {
			t.Errorf("status %d: %.200s", status, out)
		}
		// The same without a Content-Length: the cap holds while reading.
		req = httptest.NewRequest(http.MethodPost, "/graphql", struct{ *bytes.Reader }{bytes.NewReader([]byte(body))})
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		if status, _ := a.Serve(req); status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked: status %d", status)
		}
		stillServing(t, a, tok)
	})

	t.Run("not JSON", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("{{{{"))
		req.Header.Set("Content-Type", "application/json")
		if status, _ := a.Serve(req); status < 400 || status >= 500 {
			t.Errorf("status %d, want a 4xx", status)
		}
		stillServing(t, a, tok)
	})

	t.Run("introspection needs a login", func(t *testing.T) {
		q := `{ __schema { queryType { name } } }`
		if res := a.Do(t, "", q, nil); len(res.Errors) == 0 {
			t.Error("anonymous introspection answered")
		}
		a.MustDo(t, tok, q, nil, nil)
	})

	t.Run("the standard order page fits the limits", func(t *testing.T) {
		a.MustDo(t, tok, `{ orders(first: 50) { totalCount edges { cursor node { id number status placedAt
			total { cents currency } buyer { id name } recipient { name regionName }
			lines { id quantity lineTotal { cents } productId sku title }
			packages { id status carrier { code } trackingNumber lines { quantity orderLine { id } } } } } } }`, nil, nil)
	})
}

func TestInternalErrorsShowNoDetails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.CreateToken(t, a.Login(t, ownerA), "tool", "VIEWER")
		// Take the database away under the running server: the pool
		// and, on PostgreSQL, the read connections.
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		status, body := a.HTTP(t, tok, `{ orders(first: 5) { nodes { number } } }`)
		if status != http.StatusInternalServerError || !strings.Contains(body, `"INTERNAL"`) {
			t.Errorf("status %d: %s", status, body)
		}
		for _, leak := range []string{"sql", "SQL", "database", "closed", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("the answer leaks %q: %s", leak, body)
			}
		}
		req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		if status, _ := a.Serve(req); status != http.StatusServiceUnavailable {
			t.Errorf("readyz with no database: %d", status)
		}
		req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
		if status, _ := a.Serve(req); status != http.StatusOK {
			t.Errorf("healthz: %d", status)
		}
	})
}

// On PostgreSQL the server is ready only when its read connections answer
// too: without them no request authenticates.
func TestReadinessCoversTheReadConnections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		ready := func() int {
			status, _ := a.Serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
			return status
		}
		if got := ready(); got != http.StatusOK {
			t.Fatalf("readyz: %d", got)
		}
		m := a.Multiplexer()
		if m == nil {
			if database.DialectOf(db) == database.Postgres {
				t.Fatal("no multiplexer on PostgreSQL")
			}
			return
		}
		m.Close()
		if got := ready(); got != http.StatusServiceUnavailable {
			t.Errorf("readyz with the read connections closed: %d", got)
		}
	})
}

func TestCookieRequestsFromOtherSitesAreRefused(t *testing.T) {
	_, url := dbtest.SQLite(t)
	a := apptest.New(t, url)
	session := a.Login(t, ownerA)
	post := func(headers map[string]string) int {
		req := httptest.NewRequest(http.MethodPost, "http://fahuo.example/graphql",
			strings.NewReader(`{"query":"mutation { logout { userErrors { code } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "fahuo_session", Value: session})
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		status, _ := a.Serve(req)
		return status
	}
	if got := post(map[string]string{"Sec-Fetch-Site": "cross-site"}); got != http.StatusForbidden {
		t.Errorf("cross-site: %d, want 403", got)
	}
	if got := post(map[string]string{"Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("foreign Origin: %d, want 403", got)
	}
	stillServing(t, a, session)
	if got := post(map[string]string{"Sec-Fetch-Site": "same-origin"}); got != http.StatusOK {
		t.Errorf("same-origin: %d, want 200", got)
	}
	if status, _ := a.HTTP(t, session, `{ me { role } }`); status != http.StatusUnauthorized {
		t.Errorf("the same-origin logout did not end the session: %d", status)
	}
}
