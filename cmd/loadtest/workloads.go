package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/fulfillment"
)

// The operations, with the fields WORKLOADS.md asks for.
const (
	loginQuery = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token userErrors { code message } } }`

	// W1: the buyer's tracking view of one order.
	w1Query = `query W1($number: String!) {
  order(number: $number) {
    number status placedAt
    lines { id quantity sku title }
    packages { id carrier { code } trackingNumber status shippedAt lines { quantity orderLine { id } } }
  } }`

	// W2: the merchant's first page of 50 orders, newest first.
	w2Query = `query W2 {
  orders(first: 50) {
    totalCount
    nodes {
      id number status placedAt
      total { cents currency }
      buyer { id name }
      recipient { name regionName }
      lines { id quantity lineTotal { cents } productId sku title }
      packages { id status carrier { code } trackingNumber lines { quantity orderLine { id } } }
    } } }`

	// W3: ship one pending order in one package with no lines listed.
	w3Query = `mutation W3($in: ShipOrderInput!) {
  shipOrder(input: $in) { order { number status } packages { id trackingNumber } userErrors { code field message } } }`

	// W4: one package appended to each row's order.
	w4Query = `mutation W4($in: BatchInput!) {
  batchAppendPackages(input: $in) { total succeeded failed userErrors { code message } rows { index ok userErrors { code } } } }`
)

// w2PageSize is W2's page.
const w2PageSize = 50

// gqlClient holds the connections every load goroutine shares. It is
// fasthttp's client, not net/http's: WORKLOADS.md measures with wrk, whose
// requests cost the machine a few microseconds each, and net/http's client
// spent about 90 µs of CPU on each W1 request (two goroutines a connection,
// a request object and headers built anew), CPU that the server it measures
// shares and the plain SQL it is compared with does not pay. fasthttp writes
// and reads on the calling goroutine and reuses its request and response.
type gqlClient struct {
	c *fasthttp.Client
}

func newGQLClient(conns int) *gqlClient {
	return &gqlClient{c: &fasthttp.Client{
		MaxConnsPerHost:               conns,
		MaxIdleConnDuration:           90 * time.Second,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		// The W4 answer of 5000 rows is a few hundred KB; the data set's
		// largest page of links too.
		MaxResponseBodySize: 64 << 20,
	}}
}

// httpClient is one goroutine's way to send requests, each with the
// timeout.
func (c *gqlClient) httpClient(timeout time.Duration) *httpClient {
	return &httpClient{c: c.c, timeout: timeout}
}

// closeIdle closes the connections no request is using: between runs, so
// that a run starts with new ones, and at the end.
func (c *gqlClient) closeIdle() { c.c.CloseIdleConnections() }

// httpClient sends a goroutine's requests.
type httpClient struct {
	c       *fasthttp.Client
	timeout time.Duration
}

// gqlBody builds a request body.
func gqlBody(query string, vars map[string]any) []byte {
	b, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		panic(err)
	}
	return b
}

// post sends one GraphQL request and reads the whole answer. A request
// runs until its answer or the client's timeout, or ctx's deadline when
// that is sooner; cancelling ctx does not cut it short.
func post(ctx context.Context, hc *httpClient, base, token string, body []byte) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(base + "/graphql")
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.SetBodyRaw(body)
	deadline := time.Now().Add(hc.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := hc.c.DoDeadline(req, resp, deadline); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), bytes.Clone(resp.Body()), nil
}

// failure is a failed request, with a kind to count it under.
type failure struct{ kind, detail string }

func (f *failure) Error() string { return f.kind + ": " + f.detail }

func fail(kind, format string, args ...any) error {
	return &failure{kind: kind, detail: fmt.Sprintf(format, args...)}
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type userError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// checkAnswer fails a non-2xx answer, a transport error and an answer with
// GraphQL errors. The body is only decoded when it holds errors.
func checkAnswer(status int, body []byte, err error) error {
	if err != nil {
		return fail("transport", "%v", err)
	}
	if bytes.Contains(body, []byte(`"errors":`)) {
		var e struct {
			Errors []gqlError `json:"errors"`
		}
		if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
			return fail("GraphQL "+e.Errors[0].Extensions.Code, "%s (HTTP %d)", e.Errors[0].Message, status)
		}
	}
	if status < 200 || status > 299 {
		return fail(fmt.Sprintf("HTTP %d", status), "%s", clip(body, 200))
	}
	return nil
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// tokens are the bearer tokens of a run.
type tokens struct {
	merchant string
	buyers   []string // by k
	// links are the orders' tracking link tokens, by order number.
	links map[string]string
}

// loginOne logs in over the API and returns the session token.
func (r *runner) loginOne(ctx context.Context, hc *httpClient, email, password string) (string, error) {
	status, body, err := post(ctx, hc, r.base, "", gqlBody(loginQuery, map[string]any{"email": email, "password": password}))
	if err := checkAnswer(status, body, err); err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	var resp struct {
		Data struct {
			Login struct {
				Token      *string     `json:"token"`
				UserErrors []userError `json:"userErrors"`
			} `json:"login"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	if l := resp.Data.Login; len(l.UserErrors) > 0 || l.Token == nil {
		return "", fmt.Errorf("login %s refused: %+v", email, l.UserErrors)
	}
	return *resp.Data.Login.Token, nil
}

// login gets the merchant's token and, when W1 runs, every buyer's.
func (r *runner) login(ctx context.Context) error {
	hc := r.client.httpClient(30 * time.Second)
	var err error
	if r.tokens.merchant, err = r.loginOne(ctx, hc, merchantEmail, fulfillment.DemoPassword); err != nil {
		return err
	}
	r.tokens.buyers, r.tokens.links = nil, nil
	if r.cfg.workloads["W1L"] {
		if r.tokens.links, err = r.trackingLinks(ctx, hc); err != nil {
			return err
		}
	}
	if !r.cfg.workloads["W1"] && !r.cfg.w4WithW1 {
		return nil
	}
	r.tokens.buyers = make([]string, buyerCount)
	for k := range r.tokens.buyers {
		if r.tokens.buyers[k], err = r.loginOne(ctx, hc, buyerEmail(k), buyerPassword); err != nil {
			return err
		}
	}
	return nil
}

// trackingLinks reads every order's tracking link token through the API,
// as the merchant, a page of 100 at a time.
func (r *runner) trackingLinks(ctx context.Context, hc *httpClient) (map[string]string, error) {
	links := make(map[string]string, len(r.data.orders))
	after := ""
	for {
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		status, body, err := post(ctx, hc, r.base, r.tokens.merchant, gqlBody(`query Links($after: String) {
			orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { number trackingToken } } }`, vars))
		if err := checkAnswer(status, body, err); err != nil {
			return nil, fmt.Errorf("tracking links: %w", err)
		}
		var page struct {
			Data struct {
				Orders struct {
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
					Nodes []struct {
						Number        string `json:"number"`
						TrackingToken string `json:"trackingToken"`
					} `json:"nodes"`
				} `json:"orders"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("tracking links: %w", err)
		}
		for _, n := range page.Data.Orders.Nodes {
			links[n.Number] = n.TrackingToken
		}
		if !page.Data.Orders.PageInfo.HasNextPage {
			break
		}
		after = page.Data.Orders.PageInfo.EndCursor
	}
	for _, i := range r.data.shipped {
		if links[r.data.orders[i].number] == "" {
			return nil, fmt.Errorf("tracking links: order %s has none", r.data.orders[i].number)
		}
	}
	return links, nil
}

// worker is one load goroutine's own state.
type worker struct {
	id  int
	hc  *httpClient
	rng *rand.Rand
}

// runResult is what a run measured.
type runResult struct {
	Summary
	// cpu is the CPU used while measuring, in cores.
	cpu     cpuUse
	kinds   map[string]int
	samples map[string]string
	lat     []time.Duration
}

// maxSamplesPerWorker bounds the memory one goroutine's latencies take.
const maxSamplesPerWorker = 1 << 22

// errorNote describes a run's errors, or is empty.
func (res runResult) errorNote(name string) string {
	if res.Errors == 0 {
		return ""
	}
	var keys []string
	for k := range res.kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d × %s (e.g. %s)", res.kinds[k], k, res.samples[k]))
	}
	return fmt.Sprintf("%s: %d errors: %s", name, res.Errors, strings.Join(parts, "; "))
}

type workerLog struct {
	lat      []time.Duration
	errs     int
	kinds    map[string]int
	samples  map[string]string
	lastDone time.Time
}

func (l *workerLog) record(d time.Duration, err error, done time.Time) {
	if len(l.lat) < maxSamplesPerWorker {
		l.lat = append(l.lat, d)
	}
	if done.After(l.lastDone) {
		l.lastDone = done
	}
	if err == nil {
		return
	}
	l.errs++
	kind := "error"
	var f *failure
	if errors.As(err, &f) {
		kind = f.kind
	}
	l.kinds[kind]++
	if _, ok := l.samples[kind]; !ok {
		l.samples[kind] = clip([]byte(err.Error()), 300)
	}
}

func merge(logs []*workerLog, from time.Time) runResult {
	res := runResult{kinds: map[string]int{}, samples: map[string]string{}}
	var last time.Time
	errs := 0
	for _, l := range logs {
		res.lat = append(res.lat, l.lat...)
		errs += l.errs
		for k, v := range l.kinds {
			res.kinds[k] += v
		}
		for k, v := range l.samples {
			res.samples[k] = v
		}
		if l.lastDone.After(last) {
			last = l.lastDone
		}
	}
	elapsed := last.Sub(from)
	res.Summary = Summarize(res.lat, errs, elapsed)
	return res
}

func newWorker(id int, c *gqlClient, timeout time.Duration) *worker {
	w := &worker{id: id, rng: rand.New(rand.NewPCG(uint64(id)+1, uint64(time.Now().UnixNano())))}
	if c != nil {
		w.hc = c.httpClient(timeout)
	}
	return w
}

// closedLoop runs conc goroutines that each send a request as soon as the
// previous one is answered, for warmup (discarded) and then measure. It
// stops early when ctx ends; requests cut off by that are not counted.
func closedLoop(ctx context.Context, conc int, warmup, measure time.Duration, c *gqlClient, fn func(context.Context, *worker) error) runResult {
	start := time.Now()
	from := start.Add(warmup)
	end := from.Add(measure)
	ctx, cancel := context.WithDeadline(ctx, end.Add(2*time.Minute))
	defer cancel()
	logs := make([]*workerLog, conc)
	var wg sync.WaitGroup
	for g := range conc {
		logs[g] = &workerLog{kinds: map[string]int{}, samples: map[string]string{}}
		wg.Add(1)
		go func(l *workerLog, w *worker) {
			defer wg.Done()
			for {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				err := fn(ctx, w)
				done := time.Now()
				if ctx.Err() != nil {
					return
				}
				if t0.Before(from) {
					continue
				}
				l.record(done.Sub(t0), err, done)
			}
		}(logs[g], newWorker(g, c, time.Minute))
	}
	select {
	case <-time.After(time.Until(from)):
	case <-ctx.Done():
	}
	c0 := sampleCPU()
	wg.Wait()
	res := merge(logs, from)
	res.cpu = cpuBetween(c0, sampleCPU())
	return res
}

// fixedWork runs n requests, each once, on conc goroutines that take the
// next index as soon as they are free, and reports the rate over the time
// the whole took.
func fixedWork(ctx context.Context, conc, n int, c *gqlClient, fn func(context.Context, *worker, int) error) runResult {
	c0 := sampleCPU()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	logs := make([]*workerLog, conc)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= n {
			return -1
		}
		next++
		return next - 1
	}
	for g := range conc {
		logs[g] = &workerLog{kinds: map[string]int{}, samples: map[string]string{}}
		wg.Add(1)
		go func(l *workerLog, w *worker) {
			defer wg.Done()
			for ctx.Err() == nil {
				i := take()
				if i < 0 {
					return
				}
				t0 := time.Now()
				err := fn(ctx, w, i)
				done := time.Now()
				l.record(done.Sub(t0), err, done)
			}
		}(logs[g], newWorker(g, c, time.Minute))
	}
	wg.Wait()
	res := merge(logs, start)
	res.cpu = cpuBetween(c0, sampleCPU())
	return res
}

// w1Request reads one random shipped order as its buyer.
func (r *runner) w1Request(ctx context.Context, w *worker) error {
	o := r.data.orders[r.data.shipped[w.rng.IntN(len(r.data.shipped))]]
	return r.w1Check(ctx, w, o, r.tokens.buyers[o.buyer])
}

// w1LinkRequest reads one random shipped order through its tracking link.
func (r *runner) w1LinkRequest(ctx context.Context, w *worker) error {
	o := r.data.orders[r.data.shipped[w.rng.IntN(len(r.data.shipped))]]
	return r.w1Check(ctx, w, o, r.tokens.links[o.number])
}

// w1Check sends W1 for an order with a bearer token and checks the answer.
func (r *runner) w1Check(ctx context.Context, w *worker, o order, token string) error {
	status, body, err := post(ctx, w.hc, r.base, token, gqlBody(w1Query, map[string]any{"number": o.number}))
	if err := checkAnswer(status, body, err); err != nil {
		return err
	}
	switch {
	case bytes.Contains(body, []byte(`"order":null`)):
		return fail("order null", "order %s not found for its buyer", o.number)
	case !bytes.Contains(body, []byte(`"number":"`+o.number+`"`)):
		return fail("wrong answer", "order %s: %s", o.number, clip(body, 200))
	case bytes.Count(body, []byte(`"trackingNumber"`)) < 2 || bytes.Count(body, []byte(`"sku"`)) != 2:
		return fail("wrong answer", "order %s: expected 2 lines and at least 2 packages: %s", o.number, clip(body, 300))
	}
	return nil
}

// w2Request reads the merchant's first page of orders.
func (r *runner) w2Request(ctx context.Context, w *worker) error {
	status, body, err := post(ctx, w.hc, r.base, r.tokens.merchant, gqlBody(w2Query, nil))
	if err := checkAnswer(status, body, err); err != nil {
		return err
	}
	if !bytes.Contains(body, []byte(`"totalCount":`)) {
		return fail("wrong answer", "no totalCount: %s", clip(body, 200))
	}
	if n := bytes.Count(body, []byte(`"number":`)); n != w2PageSize {
		return fail("wrong answer", "%d orders on the page, want %d", n, w2PageSize)
	}
	return nil
}

// w3Request ships one pending order in one package.
func (r *runner) w3Request(ctx context.Context, w *worker, number, tracking string) error {
	body := gqlBody(w3Query, map[string]any{"in": map[string]any{
		"orderNumber": number,
		"packages":    []any{map[string]any{"carrier": "SF", "trackingNumber": tracking}},
	}})
	status, resp, err := post(ctx, w.hc, r.base, r.tokens.merchant, body)
	if err := checkAnswer(status, resp, err); err != nil {
		return err
	}
	var out struct {
		Data struct {
			ShipOrder struct {
				Order *struct {
					Number string `json:"number"`
					Status string `json:"status"`
				} `json:"order"`
				Packages []struct {
					ID             string `json:"id"`
					TrackingNumber string `json:"trackingNumber"`
				} `json:"packages"`
				UserErrors []userError `json:"userErrors"`
			} `json:"shipOrder"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return fail("bad JSON", "%v", err)
	}
	p := out.Data.ShipOrder
	switch {
	case len(p.UserErrors) > 0:
		return fail("userError "+p.UserErrors[0].Code, "order %s: %s", number, p.UserErrors[0].Message)
	case len(p.Packages) != 1 || p.Packages[0].TrackingNumber != tracking:
		return fail("wrong answer", "order %s: packages %+v", number, p.Packages)
	case p.Order == nil || p.Order.Status != "SHIPPED":
		return fail("wrong answer", "order %s not SHIPPED after shipping everything: %+v", number, p.Order)
	}
	return nil
}

// cpuNote explains the CPU columns.
const cpuNote = "CPU self/db/other = cores used while measuring by this process (in-process server + load generator, or the SQL client), by PostgreSQL's processes, and by anything else on the machine (other programs: a non-zero figure means the run shared the CPUs)"

// readHeader is the header of the W1 and W2 tables.
var readHeader = []string{"conns", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms",
	"SQL ref", "SQL req/s", "SQL p50", "SQL p99", "server/SQL req/s", "server/SQL p50", "server/SQL p99", "CPU self/db/other"}

// sqlDetailHeader is the header of the plain-SQL detail tables.
var sqlDetailHeader = []string{"conns", "variant", "statements", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "server/SQL req/s", "CPU self/db/other"}

func (r *runner) runW1(ctx context.Context) error {
	return r.runRead(ctx, "W1", "W1 buyer order read: order(number:) as the order's buyer, a random shipped order", r.w1Request,
		[]sqlVariant{
			{"one statement", "1 (JSON built in SQL)", func(b *sqlBase) func(context.Context, *worker) error { return b.w1One(r.data) }},
			{"ORM eager load", "4 (order, lines, packages, package lines)", func(b *sqlBase) func(context.Context, *worker) error { return b.w1ORM(r.data) }},
		})
}

func (r *runner) runW1Link(ctx context.Context) error {
	return r.runRead(ctx, "W1L", "W1 through the tracking link: order(number:) with the order's signed link as bearer token, a random shipped order", r.w1LinkRequest,
		[]sqlVariant{
			{"one statement", "1 (JSON built in SQL)", func(b *sqlBase) func(context.Context, *worker) error { return b.w1One(r.data) }},
			{"ORM eager load", "4 (order, lines, packages, package lines)", func(b *sqlBase) func(context.Context, *worker) error { return b.w1ORM(r.data) }},
		})
}

func (r *runner) runW2(ctx context.Context) error {
	return r.runRead(ctx, "W2", "W2 merchant order list: orders(first: 50) with totalCount, lines and packages", r.w2Request,
		[]sqlVariant{
			{"one statement", "1 (JSON built in SQL, count included)", func(b *sqlBase) func(context.Context, *worker) error { return b.w2One(r.data) }},
			{"ORM eager load", "6 (page, count, lines IN, packages IN, package lines IN, buyers IN)", func(b *sqlBase) func(context.Context, *worker) error { return b.w2ORM(r.data) }},
		})
}

// sqlVariant is one way of doing a read workload in plain SQL.
type sqlVariant struct {
	name, statements string
	fn               func(*sqlBase) func(context.Context, *worker) error
}

// runRead runs a read workload at every concurrency, and its plain-SQL
// variants at the same concurrency and duration, in -rounds rounds: the
// server's slice of the measured time, then each variant's, again and
// again. This machine is shared, and its speed drifts by a third within
// minutes; measured in one block each, the server and the SQL it is
// compared with could fall on either side of such a change.
func (r *runner) runRead(ctx context.Context, name, title string, fn func(context.Context, *worker) error, variants []sqlVariant) error {
	rounds := r.cfg.rounds
	slice := r.cfg.duration / time.Duration(rounds)
	t := &Table{Title: fmt.Sprintf("%s — closed loop, %s warm-up, %s measured in %d rounds", title, r.cfg.warmup, r.cfg.duration, rounds), Header: readHeader}
	detail := &Table{Title: name + " plain SQL through database/sql, prepared statements, same concurrency and duration, in the same rounds", Header: sqlDetailHeader}
	if !r.cfg.sql {
		variants = nil
	}
	for _, c := range r.cfg.conc {
		var b *sqlBase
		if len(variants) > 0 {
			var err error
			if b, err = r.openSQL(ctx, c); err != nil {
				return err
			}
		}
		server := make([]runResult, 0, rounds)
		sqlRuns := make([][]runResult, len(variants))
		for round := range rounds {
			warmup := r.cfg.warmup
			if round > 0 {
				warmup = min(warmup, time.Second)
			}
			r.waitIdle(ctx)
			stopProfile := func() {}
			if round == 0 {
				stopProfile = r.profile(fmt.Sprintf("%s-%d", name, c))
			}
			res := closedLoop(ctx, c, warmup, slice, r.client, fn)
			stopProfile()
			r.progress(name+" server", c, res)
			server = append(server, res)
			for i, v := range variants {
				r.waitIdle(ctx)
				sres := closedLoop(ctx, c, warmup, slice, nil, v.fn(b))
				r.progress(name+" SQL "+v.name, c, sres)
				sqlRuns[i] = append(sqlRuns[i], sres)
			}
		}
		if b != nil {
			b.close()
		}
		res := combine(server)
		if note := res.errorNote(fmt.Sprintf("%s server at %d conns", name, c)); note != "" {
			t.Notes = append(t.Notes, note)
		}
		var best *runResult
		bestName, bestIndex := "–", -1
		for i, v := range variants {
			sres := combine(sqlRuns[i])
			if note := sres.errorNote(fmt.Sprintf("%s SQL %s at %d conns", name, v.name, c)); note != "" {
				detail.Notes = append(detail.Notes, note)
			}
			detail.Add(strconv.Itoa(c), v.name, v.statements, strconv.Itoa(sres.Requests), strconv.Itoa(sres.Errors),
				rate(sres.RPS()), ms(sres.P50), ms(sres.P90), ms(sres.P99), ratio(res.RPS(), sres.RPS()), sres.cpu.String())
			if best == nil || sres.RPS() > best.RPS() {
				best, bestName, bestIndex = &sres, v.name, i
			}
		}
		row := []string{strconv.Itoa(c), strconv.Itoa(res.Requests), strconv.Itoa(res.Errors), rate(res.RPS()), ms(res.P50), ms(res.P90), ms(res.P99)}
		if best != nil {
			row = append(row, bestName, rate(best.RPS()), ms(best.P50), ms(best.P99),
				ratio(res.RPS(), best.RPS()), ratio(float64(res.P50), float64(best.P50)), ratio(float64(res.P99), float64(best.P99)))
			if rounds > 1 {
				t.Notes = append(t.Notes, fmt.Sprintf("%d conns, server/SQL req/s round by round: %s", c, roundRatios(server, sqlRuns[bestIndex])))
			}
		} else {
			row = append(row, "–", "–", "–", "–", "–", "–", "–")
		}
		t.Add(append(row, res.cpu.String())...)
		if r.cfg.verbose {
			fmt.Fprintf(r.out, "%s server latency at %d conns:\n%s", name, c, NewHistogram(res.lat, 250*time.Microsecond, 14))
		}
	}
	t.Notes = append(t.Notes, "SQL ref is the faster plain-SQL variant (see the next table); server/SQL req/s is the share of the SQL rate the server reaches, server/SQL p50/p99 how many times longer its requests take; each side's figures are of all its rounds together",
		cpuNote,
		"errors: non-2xx, GraphQL errors, or an answer without the asked-for order(s); server and load generator share the machine")
	r.addTable(t)
	if len(variants) > 0 {
		r.addTable(detail)
	}
	return nil
}

// combine makes one result of the rounds of one side: every request of
// every round, over the time they were measured together, and the CPU use
// averaged over that time.
func combine(runs []runResult) runResult {
	if len(runs) == 1 {
		return runs[0]
	}
	out := runResult{kinds: map[string]int{}, samples: map[string]string{}}
	var (
		elapsed time.Duration
		errs    int
		cpu     cpuUse
	)
	for _, run := range runs {
		out.lat = append(out.lat, run.lat...)
		errs += run.Errors
		elapsed += run.Elapsed
		for k, v := range run.kinds {
			out.kinds[k] += v
		}
		maps.Copy(out.samples, run.samples)
		w := run.Elapsed.Seconds()
		cpu.self += run.cpu.self * w
		cpu.db += run.cpu.db * w
		cpu.other += run.cpu.other * w
	}
	if secs := elapsed.Seconds(); secs > 0 {
		cpu = cpuUse{self: cpu.self / secs, db: cpu.db / secs, other: cpu.other / secs}
	}
	out.Summary = Summarize(out.lat, errs, elapsed)
	out.cpu = cpu
	return out
}

// roundRatios lists the server's rate over the SQL's, round by round.
func roundRatios(server, plain []runResult) string {
	var parts []string
	for i := range min(len(server), len(plain)) {
		parts = append(parts, ratio(server[i].RPS(), plain[i].RPS()))
	}
	return strings.Join(parts, " ")
}

// progress prints one line per finished run.
func (r *runner) progress(name string, conc int, res runResult) {
	fmt.Fprintf(r.out, "%-28s conns=%-3d requests=%-7d errors=%-5d %8s req/s  p50 %6s  p90 %6s  p99 %6s ms  CPU self/db/other %s\n",
		name, conc, res.Requests, res.Errors, rate(res.RPS()), ms(res.P50), ms(res.P90), ms(res.P99), res.cpu)
	if note := res.errorNote(name); note != "" {
		fmt.Fprintln(r.out, "  ", note)
	}
}

// w3Check is what the database says after a W3 run.
type w3Check struct {
	newPackages     int64 // packages added, all numbers
	inRange         int64 // packages with this run's numbers
	doubleOrders    int64 // orders with two packages of this run
	shippedTargets  int64 // targeted orders now SHIPPED
	packagesPerLine bool  // every new package holds both lines of its order
}

// countPackages counts all packages.
func (r *runner) countPackages(ctx context.Context) (int64, error) {
	var n int64
	err := r.db().WithContext(ctx).Raw("SELECT count(*) FROM packages").Scan(&n).Error
	return n, err
}

// checkW3 reads back what a W3 run (server or SQL) left.
func (r *runner) checkW3(ctx context.Context, run int, before int64, targets []int) (w3Check, error) {
	var c w3Check
	db := r.db().WithContext(ctx)
	after, err := r.countPackages(ctx)
	if err != nil {
		return c, err
	}
	c.newPackages = after - before
	lo, hi := w3SFNumber(run, 0), w3SFNumber(run, 999_999)
	if err := db.Raw("SELECT count(*) FROM packages WHERE carrier_code = 'SF' AND tracking_number BETWEEN ? AND ?", lo, hi).Scan(&c.inRange).Error; err != nil {
		return c, err
	}
	if err := db.Raw(`SELECT count(*) FROM (SELECT order_id FROM packages WHERE carrier_code = 'SF' AND tracking_number BETWEEN ? AND ?
		GROUP BY order_id HAVING count(*) > 1) d`, lo, hi).Scan(&c.doubleOrders).Error; err != nil {
		return c, err
	}
	ids := make([]int64, len(targets))
	for i, t := range targets {
		ids[i] = r.data.orders[t].id
	}
	for _, chunk := range slices.Collect(slices.Chunk(ids, 1000)) {
		var n int64
		if err := db.Raw("SELECT count(*) FROM orders WHERE id IN ? AND status = 'SHIPPED'", chunk).Scan(&n).Error; err != nil {
			return c, err
		}
		c.shippedTargets += n
	}
	var lines int64
	if err := db.Raw(`SELECT count(*) FROM package_lines pl JOIN packages p ON p.shop_id = pl.shop_id AND p.id = pl.package_id
		WHERE p.carrier_code = 'SF' AND p.tracking_number BETWEEN ? AND ?`, lo, hi).Scan(&lines).Error; err != nil {
		return c, err
	}
	c.packagesPerLine = lines == 2*c.inRange
	return c, nil
}

// verdict compares a W3 check with the successes the client counted.
func (c w3Check) verdict(successes int) string {
	var bad []string
	if c.newPackages != int64(successes) {
		bad = append(bad, fmt.Sprintf("%d new packages for %d successes", c.newPackages, successes))
	}
	if c.inRange != int64(successes) {
		bad = append(bad, fmt.Sprintf("%d packages with the run's numbers", c.inRange))
	}
	if c.doubleOrders > 0 {
		bad = append(bad, fmt.Sprintf("%d orders with two packages of the run", c.doubleOrders))
	}
	if c.shippedTargets != int64(successes) {
		bad = append(bad, fmt.Sprintf("%d targeted orders SHIPPED", c.shippedTargets))
	}
	if !c.packagesPerLine {
		bad = append(bad, "packages without both lines")
	}
	if len(bad) == 0 {
		return "ok"
	}
	return "MISMATCH: " + strings.Join(bad, ", ")
}

func (r *runner) runW3(ctx context.Context) error {
	if !r.canRestore() {
		fmt.Fprintln(r.out, "W3: no snapshot to restore (-target): shipping orders that are pending now")
	}
	t := &Table{Title: fmt.Sprintf("W3 ship: shipOrder, one package with no lines listed, a different pending order per request — %d warm-up, %d measured",
		r.cfg.w3Warmup, r.cfg.w3Count),
		Header: []string{"conns", "orders", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "SQL tx/s", "SQL p50", "SQL p99",
			"server/SQL req/s", "server/SQL p50", "server/SQL p99", "DB check server", "DB check SQL", "CPU server run", "CPU SQL run"}}
	for _, c := range r.cfg.conc {
		if err := r.restore(ctx); err != nil {
			return err
		}
		data, err := readDataset(ctx, r.db())
		if err != nil {
			return err
		}
		r.data = data
		pending := data.pending
		if len(pending) < r.cfg.w3Warmup+r.cfg.w3Count {
			return fmt.Errorf("%d pending orders, %d needed", len(pending), r.cfg.w3Warmup+r.cfg.w3Count)
		}
		warm := pending[len(pending)-r.cfg.w3Warmup:]
		measured := pending[:r.cfg.w3Count]
		targets := append(slices.Clone(warm), measured...)
		run, err := r.nextRun(ctx)
		if err != nil {
			return err
		}
		before, err := r.countPackages(ctx)
		if err != nil {
			return err
		}
		r.waitIdle(ctx)
		stopProfile := r.profile(fmt.Sprintf("W3-%d", c))
		wres := fixedWork(ctx, c, len(warm), r.client, func(ctx context.Context, w *worker, i int) error {
			return r.w3Request(ctx, w, data.orders[warm[i]].number, w3SFNumber(run, i))
		})
		res := fixedWork(ctx, c, len(measured), r.client, func(ctx context.Context, w *worker, i int) error {
			return r.w3Request(ctx, w, data.orders[measured[i]].number, w3SFNumber(run, len(warm)+i))
		})
		stopProfile()
		r.progress("W3 server", c, res)
		for _, x := range []struct {
			name string
			res  runResult
		}{{"warm-up", wres}, {"measured", res}} {
			if note := x.res.errorNote(fmt.Sprintf("W3 server %s at %d conns", x.name, c)); note != "" {
				t.Notes = append(t.Notes, note)
			}
		}
		chk, err := r.checkW3(ctx, run, before, targets)
		if err != nil {
			return err
		}
		successes := wres.Requests - wres.Errors + res.Requests - res.Errors
		serverVerdict := chk.verdict(successes)
		fmt.Fprintf(r.out, "  W3 server DB check: %s (%d successes, %d new packages)\n", serverVerdict, successes, chk.newPackages)

		var sres runResult
		sqlVerdict := "–"
		if r.cfg.sql && r.canRestore() {
			if err := r.restore(ctx); err != nil {
				return err
			}
			sres, sqlVerdict, err = r.sqlW3(ctx, c, warm, measured, targets)
			if err != nil {
				return err
			}
			if note := sres.errorNote(fmt.Sprintf("W3 SQL at %d conns", c)); note != "" {
				t.Notes = append(t.Notes, note)
			}
		}
		row := []string{strconv.Itoa(c), strconv.Itoa(res.Requests), strconv.Itoa(res.Errors), rate(res.RPS()), ms(res.P50), ms(res.P90), ms(res.P99)}
		if sres.Requests > 0 {
			row = append(row, rate(sres.RPS()), ms(sres.P50), ms(sres.P99), ratio(res.RPS(), sres.RPS()),
				ratio(float64(res.P50), float64(sres.P50)), ratio(float64(res.P99), float64(sres.P99)))
		} else {
			row = append(row, "–", "–", "–", "–", "–", "–")
		}
		sqlCPU := "–"
		if sres.Requests > 0 {
			sqlCPU = sres.cpu.String()
		}
		t.Add(append(row, serverVerdict, sqlVerdict, res.cpu.String(), sqlCPU)...)
		if r.cfg.verbose {
			fmt.Fprintf(r.out, "W3 server latency at %d conns:\n%s", c, NewHistogram(res.lat, time.Millisecond, 14))
		}
	}
	t.Notes = append(t.Notes,
		"req/s = measured orders ÷ the time from the first measured request to the last answer; the snapshot is restored before each server and each SQL run",
		"SQL: one transaction per order: lock the order (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE), check it is pending, read its lines, insert the package and its 2 package lines, update the order; no waybill claim, history or audit row, which the server also writes",
		"DB check: new packages = successful requests, each holding both lines, no order with two packages of the run, every successful target SHIPPED",
		cpuNote)
	r.addTable(t)
	return nil
}

// sqlW3 runs W3 as plain SQL transactions and checks the database.
func (r *runner) sqlW3(ctx context.Context, conc int, warm, measured, targets []int) (runResult, string, error) {
	data, err := readDataset(ctx, r.db())
	if err != nil {
		return runResult{}, "", err
	}
	run, err := r.nextRun(ctx)
	if err != nil {
		return runResult{}, "", err
	}
	before, err := r.countPackages(ctx)
	if err != nil {
		return runResult{}, "", err
	}
	b, err := r.openSQL(ctx, conc)
	if err != nil {
		return runResult{}, "", err
	}
	defer b.close()
	r.waitIdle(ctx)
	wres := fixedWork(ctx, conc, len(warm), nil, func(ctx context.Context, w *worker, i int) error {
		return b.ship(ctx, data.orders[warm[i]], w3SFNumber(run, i))
	})
	res := fixedWork(ctx, conc, len(measured), nil, func(ctx context.Context, w *worker, i int) error {
		return b.ship(ctx, data.orders[measured[i]], w3SFNumber(run, len(warm)+i))
	})
	r.progress("W3 SQL", conc, res)
	chk, err := r.checkW3(ctx, run, before, targets)
	if err != nil {
		return res, "", err
	}
	successes := wres.Requests - wres.Errors + res.Requests - res.Errors
	v := chk.verdict(successes)
	fmt.Fprintf(r.out, "  W3 SQL DB check: %s (%d successes, %d new packages)\n", v, successes, chk.newPackages)
	return res, v, nil
}

// nextRun numbers a writing run, whose tracking numbers (w3SFNumber,
// w4YTNumber) carry that number: one above every run whose numbers the
// database holds. A restored snapshot holds none; a served database
// (-target) holds those of every earlier invocation, which a count kept in
// this process would number again.
func (r *runner) nextRun(ctx context.Context) (int, error) {
	used := 0
	for _, rng := range []struct {
		carrier, lo, hi string
		first, per      int64
	}{
		{"SF", w3SFNumber(0, 0), w3SFNumber(maxRun, 999_999), 3_000_000_000_000, 1_000_000},
		{"YTO", w4YTNumber(0, 0), w4YTNumber(maxRun, 99_999), 8_000_000_000_000, 100_000},
	} {
		var last sql.NullString
		if err := r.db().WithContext(ctx).Raw("SELECT max(tracking_number) FROM packages WHERE carrier_code = ? AND tracking_number BETWEEN ? AND ?",
			rng.carrier, rng.lo, rng.hi).Scan(&last).Error; err != nil {
			return 0, fmt.Errorf("tracking numbers in use: %w", err)
		}
		if !last.Valid {
			continue
		}
		n, err := strconv.ParseInt(last.String[2:], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("tracking number %q: %w", last.String, err)
		}
		used = max(used, int((n-rng.first)/rng.per))
	}
	r.nonce = max(r.nonce, used) + 1
	if r.nonce > maxRun {
		return 0, fmt.Errorf("run number %d: the tracking-number ranges are used up", r.nonce)
	}
	return r.nonce, nil
}

// w4Answer is batchAppendPackages' answer.
type w4Answer struct {
	Total      int         `json:"total"`
	Succeeded  int         `json:"succeeded"`
	Failed     int         `json:"failed"`
	UserErrors []userError `json:"userErrors"`
	Rows       []struct {
		Index      int         `json:"index"`
		OK         bool        `json:"ok"`
		UserErrors []userError `json:"userErrors"`
	} `json:"rows"`
}

// codes counts the rows' first user-error codes.
func (a w4Answer) codes() map[string]int {
	out := map[string]int{}
	for _, r := range a.Rows {
		if len(r.UserErrors) > 0 {
			out[r.UserErrors[0].Code]++
		} else if !r.OK {
			out["(not ok, no code)"]++
		}
	}
	return out
}

// w4Once sends one batch and measures it: wall time from the first byte sent
// to the last byte read, and the process's resident memory, sampled every
// 10 ms while the request runs.
func (r *runner) w4Once(ctx context.Context, body []byte) (w4Answer, time.Duration, int, int64, int64, error) {
	hc := r.client.httpClient(10 * time.Minute)
	runtime.GC()
	baseline := readRSS()
	stop := make(chan struct{})
	peakc := make(chan int64, 1)
	go func() {
		peak := baseline
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peakc <- max(peak, readRSS())
				return
			case <-tick.C:
				peak = max(peak, readRSS())
			}
		}
	}()
	t0 := time.Now()
	status, resp, err := post(ctx, hc, r.base, r.tokens.merchant, body)
	wall := time.Since(t0)
	close(stop)
	peak := <-peakc
	var out struct {
		Data struct {
			BatchAppendPackages w4Answer `json:"batchAppendPackages"`
		} `json:"data"`
	}
	if err := checkAnswer(status, resp, err); err != nil {
		return w4Answer{}, wall, len(resp), baseline, peak, err
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return w4Answer{}, wall, len(resp), baseline, peak, err
	}
	return out.Data.BatchAppendPackages, wall, len(resp), baseline, peak, nil
}

// readRSS returns the process's resident set size in bytes (VmRSS).
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

// w4Check is what the database says after a batch.
type w4Check struct {
	newPackages, appended, orders, numbers int64
}

func (r *runner) checkW4(ctx context.Context, run int, before int64) (w4Check, error) {
	var c w4Check
	after, err := r.countPackages(ctx)
	if err != nil {
		return c, err
	}
	c.newPackages = after - before
	var row struct{ N, Orders, Numbers int64 }
	err = r.db().WithContext(ctx).Raw(`SELECT count(*) AS n, count(DISTINCT order_id) AS orders, count(DISTINCT tracking_number) AS numbers
		FROM packages WHERE kind = 'APPENDED' AND carrier_code = 'YTO' AND tracking_number BETWEEN ? AND ?`,
		w4YTNumber(run, 0), w4YTNumber(run, 99_999)).Scan(&row).Error
	c.appended, c.orders, c.numbers = row.N, row.Orders, row.Numbers
	return c, err
}

func (r *runner) runW4(ctx context.Context) error {
	rows := len(r.data.shipped)
	if !r.canRestore() {
		fmt.Fprintln(r.out, "W4: no snapshot to restore (-target): each run appends one more package to every shipped order; RSS is this process's, not the server's")
	}
	header := []string{"run", "rows", "wall ms", "succeeded", "failed", "request KB", "answer KB", "RSS before MiB", "peak RSS MiB", "DB check", "CPU self/db/other"}
	if r.cfg.w4WithW1 {
		header = append(header, "W1 during: req", "errors", "p50 ms", "p99 ms")
	}
	t := &Table{Title: "W4 batch append: one batchAppendPackages request with a row (YTO) per shipped order", Header: header}
	var walls []time.Duration
	for k := 1; k <= r.cfg.w4Runs; k++ {
		if err := r.restore(ctx); err != nil {
			return err
		}
		data, err := readDataset(ctx, r.db())
		if err != nil {
			return err
		}
		r.data = data
		run, err := r.nextRun(ctx)
		if err != nil {
			return err
		}
		rows = len(data.shipped)
		list := make([]any, len(data.shipped))
		for j, idx := range data.shipped {
			list[j] = map[string]any{"orderNumber": data.orders[idx].number, "carrier": "YTO", "trackingNumber": w4YTNumber(run, j)}
		}
		body := gqlBody(w4Query, map[string]any{"in": map[string]any{"rows": list}})
		before, err := r.countPackages(ctx)
		if err != nil {
			return err
		}
		var (
			w1res  runResult
			w1done chan struct{}
			cancel context.CancelFunc
		)
		if r.cfg.w4WithW1 {
			var w1ctx context.Context
			w1ctx, cancel = context.WithCancel(ctx)
			w1done = make(chan struct{})
			go func() {
				defer close(w1done)
				w1res = closedLoop(w1ctx, 16, 0, 10*time.Minute, r.client, r.w1Request)
			}()
		}
		r.waitIdle(ctx)
		stopProfile := r.profile(fmt.Sprintf("W4-%d", k))
		c0 := sampleCPU()
		ans, wall, respLen, rssBefore, rssPeak, err := r.w4Once(ctx, body)
		use := cpuBetween(c0, sampleCPU())
		stopProfile()
		if cancel != nil {
			cancel()
			<-w1done
		}
		if err != nil {
			return fmt.Errorf("run %d: %w", k, err)
		}
		walls = append(walls, wall)
		chk, err := r.checkW4(ctx, run, before)
		if err != nil {
			return err
		}
		var bad []string
		if ans.Succeeded != len(list) || ans.Failed != 0 || len(ans.UserErrors) > 0 {
			bad = append(bad, fmt.Sprintf("answer: %d ok, %d failed, codes %v %v", ans.Succeeded, ans.Failed, ans.codes(), ans.UserErrors))
		}
		if chk.newPackages != int64(len(list)) || chk.appended != int64(len(list)) || chk.orders != int64(len(list)) || chk.numbers != int64(len(list)) {
			bad = append(bad, fmt.Sprintf("database: %d new packages, %d appended with the run's numbers, on %d orders, %d distinct numbers",
				chk.newPackages, chk.appended, chk.orders, chk.numbers))
		}
		verdict := "ok"
		if len(bad) > 0 {
			verdict = "MISMATCH"
			t.Notes = append(t.Notes, fmt.Sprintf("run %d: %s", k, strings.Join(bad, "; ")))
		}
		fmt.Fprintf(r.out, "W4 run %d: %d rows in %s, %d ok, %d failed; RSS %s → peak %s MiB; DB check %s\n",
			k, len(list), wall.Round(time.Millisecond), ans.Succeeded, ans.Failed, mib(rssBefore), mib(rssPeak), verdict)
		row := []string{strconv.Itoa(k), strconv.Itoa(len(list)), ms(wall), strconv.Itoa(ans.Succeeded), strconv.Itoa(ans.Failed),
			fmt.Sprintf("%.0f", float64(len(body))/1024), fmt.Sprintf("%.0f", float64(respLen)/1024), mib(rssBefore), mib(rssPeak), verdict, use.String()}
		if r.cfg.w4WithW1 {
			row = append(row, strconv.Itoa(w1res.Requests), strconv.Itoa(w1res.Errors), ms(w1res.P50), ms(w1res.P99))
			if note := w1res.errorNote(fmt.Sprintf("W1 during W4 run %d", k)); note != "" {
				t.Notes = append(t.Notes, note)
			}
		}
		t.Add(row...)
		if k == 1 {
			note, err := r.w4Repeat(ctx, body, len(list))
			if err != nil {
				return err
			}
			t.Notes = append(t.Notes, note)
			fmt.Fprintln(r.out, "  "+note)
		}
	}
	t.Add("median", strconv.Itoa(rows), ms(Median(walls)), "", "", "", "", "", "", "", "")
	t.Add("max", strconv.Itoa(rows), ms(slices.Max(walls)), "", "", "", "", "", "", "", "")
	if r.cfg.w4WithW1 {
		for _, i := range []int{len(t.Rows) - 2, len(t.Rows) - 1} {
			t.Rows[i] = append(t.Rows[i], "", "", "", "")
		}
	}
	t.Notes = append(t.Notes, "wall = client-side, from sending the request to reading the last byte; the snapshot is restored before each run",
		"RSS = the whole process (the in-process server and the load generator), VmRSS sampled every 10 ms during the request; 'before' is after a GC",
		cpuNote)
	r.addTable(t)
	return nil
}

// w4Repeat sends the same batch again: every row must be refused with
// TRACKING_NUMBER_IN_USE and nothing may change.
func (r *runner) w4Repeat(ctx context.Context, body []byte, n int) (string, error) {
	before, err := r.countPackages(ctx)
	if err != nil {
		return "", err
	}
	ans, wall, _, _, _, err := r.w4Once(ctx, body)
	if err != nil {
		return "", fmt.Errorf("repeat: %w", err)
	}
	after, err := r.countPackages(ctx)
	if err != nil {
		return "", err
	}
	codes := ans.codes()
	verdict := "ok"
	if ans.Succeeded != 0 || ans.Failed != n || codes["TRACKING_NUMBER_IN_USE"] != n || after != before {
		verdict = "MISMATCH"
	}
	return fmt.Sprintf("repeat of run 1 with the same numbers: %s — %d ok, %d refused, codes %v, packages %+d, in %s",
		verdict, ans.Succeeded, ans.Failed, codes, after-before, wall.Round(time.Millisecond)), nil
}

// openSQL opens the plain-SQL side on the working database.
func (r *runner) openSQL(ctx context.Context, conns int) (*sqlBase, error) {
	url := r.cfg.dbURL
	if r.store != nil {
		url = r.store.url
	}
	return openSQLBase(ctx, database.DialectOf(r.db()), url, conns, r.log)
}
