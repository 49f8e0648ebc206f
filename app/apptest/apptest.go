// Package apptest runs a whole Fahuo server in a test: a fresh database (from
// dbtest), the demo data seeded through the same code `go run .` uses, a
// manual clock, and a GraphQL client that goes through every middleware.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app"
	"github.com/fahuo/fahuo/clock"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// UserAgent is what the test client calls itself.
const UserAgent = "fahuo-apptest/1"

// Start is where every test's clock stands at first: a Wednesday in 2026.
var Start = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// App is a running test server.
type App struct {
	*app.App
	Clock *clock.Manual

	countOnce  sync.Once
	counting   atomic.Bool
	statements atomic.Int64
}

// New starts a server on the database at dbURL (already migrated or not)
// with the demo data; options change its configuration.
func New(t testing.TB, dbURL string, options ...func(*app.Config)) *App {
	t.Helper()
	clk := clock.NewManual(Start)
	cfg := app.Config{
		DatabaseURL: dbURL, Seed: true, Playground: true, Clock: clk,
		Logger:   testLogger(),
		Settings: fulfillment.Settings{PasswordCost: bcrypt.MinCost},
	}
	// In tests, a read that batches only because its keys happened to
	// arrive within a loader's wait costs a statement per key, so that the
	// statement-count tests see it whatever the machine's load. Benchmarks
	// run as production does.
	if _, bench := t.(*testing.B); !bench {
		cfg.Limits = graph.Limits{LoaderBatch: 1}
	}
	for _, o := range options {
		o(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return &App{App: a, Clock: clk}
}

// Login logs in with the demo password and returns the session token.
func (a *App) Login(t testing.TB, email string) string {
	t.Helper()
	var resp struct {
		Login struct {
			Token      *string
			UserErrors []struct{ Code string }
		}
	}
	a.MustDo(t, "", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token userErrors { code } } }`,
		&resp, map[string]any{"e": email, "p": fulfillment.DemoPassword})
	if resp.Login.Token == nil {
		t.Fatalf("login %s: %+v", email, resp.Login.UserErrors)
	}
	return *resp.Login.Token
}

// Result is a GraphQL answer: the data, and the top-level errors with their
// codes.
type Result struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Path       []any
		Extensions struct{ Code string }
	}
}

// Codes lists the top-level error codes.
func (r Result) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Extensions.Code)
	}
	return out
}

// Do sends a query as the holder of token ("" for anonymous) through the
// whole handler and returns the answer, whatever its HTTP status (GraphQL
// validation errors come with 422).
func (a *App) Do(t testing.TB, token, query string, vars map[string]any) Result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, out := a.Serve(req)
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("status %d, not a GraphQL answer: %v: %.300s", status, err, out)
	}
	return res
}

// MustDo is Do that fails the test on any top-level error and decodes the
// data into out.
func (a *App) MustDo(t testing.TB, token, query string, out any, vars map[string]any) {
	t.Helper()
	res := a.Do(t, token, query, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("query failed: %+v", res.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatalf("decode %s: %v", res.Data, err)
		}
	}
}

// HTTP posts a query with a bearer token ("" for none) and returns the HTTP
// status and body as they are, for tests of refusals before GraphQL.
func (a *App) HTTP(t testing.TB, token, query string) (int, string) {
	t.Helper()
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	return a.HTTPWithHeader(t, auth, query)
}

// HTTPWithHeader posts a query with the given Authorization header.
func (a *App) HTTPWithHeader(t testing.TB, authorization, query string) (int, string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return a.Serve(req)
}

// Serve runs one request through the whole handler and returns the status
// and body.
func (a *App) Serve(req *http.Request) (int, string) {
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// CreateToken has the owner behind ownerToken issue an API token with the
// role, and returns its secret.
func (a *App) CreateToken(t testing.TB, ownerToken, name, role string) string {
	t.Helper()
	var resp struct {
		CreateAPIToken struct {
			Token      *string
			UserErrors []struct{ Code string }
		}
	}
	a.MustDo(t, ownerToken, `mutation($n: String!, $r: Role!) { createApiToken(input: { name: $n, role: $r }) { token userErrors { code } } }`,
		&resp, map[string]any{"n": name, "r": role})
	if resp.CreateAPIToken.Token == nil {
		t.Fatalf("create token: %+v", resp.CreateAPIToken.UserErrors)
	}
	return *resp.CreateAPIToken.Token
}

// CreateStaff has the owner behind ownerToken add a staff login with the
// demo password and the role, and returns its global id.
func (a *App) CreateStaff(t testing.TB, ownerToken, email, role string) string {
	t.Helper()
	var resp struct {
		CreateStaffMember struct {
			StaffMember *struct{ ID string }
			UserErrors  []struct{ Code string }
		}
	}
	a.MustDo(t, ownerToken, `mutation($e: String!, $p: String!, $r: Role!) {
		createStaffMember(input: { email: $e, name: "员工", password: $p, role: $r }) { staffMember { id } userErrors { code } } }`,
		&resp, map[string]any{"e": email, "p": fulfillment.DemoPassword, "r": role})
	if resp.CreateStaffMember.StaffMember == nil {
		t.Fatalf("create staff %s: %+v", email, resp.CreateStaffMember.UserErrors)
	}
	return resp.CreateStaffMember.StaffMember.ID
}

// testLogger discards the server's logs unless FAHUO_TEST_LOG is set, for
// looking into a failing test.
func testLogger() *slog.Logger {
	if os.Getenv("FAHUO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Upload sends a query with one file, as the GraphQL multipart request spec
// has it: the file goes to the variable at path (e.g. "input.file").
func (a *App) Upload(t testing.TB, token, query string, vars map[string]any, path, filename string, data []byte) Result {
	t.Helper()
	return a.UploadFiles(t, token, query, vars, File{Path: path, Name: filename, Data: data})
}

// File is one file of a multipart upload, for the variable at Path.
type File struct {
	Path, Name string
	Data       []byte
}

// UploadFiles sends a query with several files.
func (a *App) UploadFiles(t testing.TB, token, query string, vars map[string]any, files ...File) Result {
	t.Helper()
	ops, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for i, f := range files {
		m[fmt.Sprint(i)] = []string{"variables." + f.Path}
	}
	mapJSON, _ := json.Marshal(m)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", string(mapJSON))
	for i, f := range files {
		part, err := w.CreateFormFile(fmt.Sprint(i), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(f.Data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("User-Agent", UserAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, out := a.Serve(req)
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("status %d, not a GraphQL answer: %v: %.300s", status, err, out)
	}
	return res
}

// CountStatements runs fn and returns how many SQL statements the server
// ran meanwhile (every query, insert, update, delete and raw statement
// through gorm, and every read through the multiplexer). Tests that count
// must not run requests in parallel.
func (a *App) CountStatements(t testing.TB, fn func()) int64 {
	t.Helper()
	a.countOnce.Do(func() {
		// A dry run sends nothing: gorm makes one to build a subquery.
		count := func(db *gorm.DB) {
			if a.counting.Load() && !db.DryRun {
				a.statements.Add(1)
			}
		}
		if m := a.App.Multiplexer(); m != nil {
			m.Observe(func(context.Context) {
				if a.counting.Load() {
					a.statements.Add(1)
				}
			})
		}
		cb := a.DB.Callback()
		for name, err := range map[string]error{
			"query":  cb.Query().After("gorm:query").Register("apptest:count", count),
			"row":    cb.Row().After("gorm:row").Register("apptest:count", count),
			"raw":    cb.Raw().After("gorm:raw").Register("apptest:count", count),
			"create": cb.Create().After("gorm:create").Register("apptest:count", count),
			"update": cb.Update().After("gorm:update").Register("apptest:count", count),
			"delete": cb.Delete().After("gorm:delete").Register("apptest:count", count),
		} {
			if err != nil {
				t.Fatalf("count %s statements: %v", name, err)
			}
		}
	})
	a.statements.Store(0)
	a.counting.Store(true)
	fn()
	a.counting.Store(false)
	return a.statements.Load()
}

// CountGoroutines runs fn and returns how many goroutines the process
// started meanwhile. Tests that count must not run anything in parallel.
func CountGoroutines(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	fn()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}
