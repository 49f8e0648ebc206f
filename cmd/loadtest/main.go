// Command loadtest loads the standard data set of shared/WORKLOADS.md and
// runs the four standard workloads W1–W4 against Fahuo's GraphQL API over
// real HTTP on the loopback interface, next to the same reads and writes done
// as plain SQL, and prints one table per workload.
//
// What it does, in order:
//
//  1. Creates a fresh database: a SQLite file in a temporary directory, or,
//     with -db postgres://…, a new database fahuo_loadtest_<random> on that
//     server (the URL is only the admin connection). Both are removed at the
//     end unless -keep.
//  2. Loads the data set in-process through the domain layer
//     (fulfillment.Service): the demo seed's shop A (app.New with Seed), a
//     free-shipping template, three products (the three "variants"), 100
//     buyers, 10,000 orders placed with PlaceOrder (order i by buyer i mod
//     100, lines variant 1 × (1 + i mod 2) and variant 2 + i mod 2 × 1), and
//     every odd order shipped with ShipOrder in two packages, one per line
//     (SF + 13 digits). There is no domain method that creates buyers, so the
//     100 buyer accounts are inserted directly (gorm, bcrypt at MinCost); the
//     output says so. On PostgreSQL it runs VACUUM ANALYZE afterwards; on
//     SQLite only with -sqlite-analyze.
//  3. Keeps a snapshot (PostgreSQL: CREATE DATABASE … TEMPLATE; SQLite: a
//     copy of the closed file) and restores it before every run of a writing
//     workload (W3, W4), restarting the in-process server on it.
//  4. Starts the server in-process (app.New + Serve on 127.0.0.1:0, no seed,
//     no playground, warn-level log), logs in the merchant (merchant-a, the
//     shop's owner) and the 100 buyers with the login mutation (again after
//     each restore: sessions are rows, and the snapshot predates them), and
//     runs:
//     W1 buyer order reads and W2 merchant order lists in a closed loop at each
//     -conc (warm-up, then -duration measured); W1L, the same read through
//     each order's signed tracking link (WORKLOADS.md's other way for a
//     buyer; the links are read once as the merchant); W3 shipOrder on -w3-warmup
//     then -w3-count different pending orders; W4 one batchAppendPackages
//     request with a row per shipped order, -w4-runs times.
//  5. Runs the plain-SQL comparison through database/sql with prepared
//     statements (pgx for PostgreSQL, the project's SQLite driver for SQLite)
//     at the same concurrency: W1 and W2 both as one JSON-building statement
//     and as the statements an ORM's eager loading sends; W3 as one
//     transaction that locks the order, checks it, inserts the package and its
//     lines and updates the order.
//
// The load generator is this program's own: N goroutines, each with its own
// keep-alive connection from one shared fasthttp client, request bodies built per
// request, every latency kept and the percentiles computed at the end. An
// error is a non-2xx answer, a GraphQL error, a non-empty userErrors, or an
// answer that does not hold what was asked for. Server and load generator
// share the machine (and, in-process, the Go runtime): the profiles that
// -cpuprofile writes show both.
//
// Flags:
//
//	-db URL          database: "" = fresh SQLite file in a temp dir; sqlite:PATH (a new
//	                 file); postgres://… = admin connection, a fresh database is created on it
//	-keep            keep the created database (and its snapshot) at the end
//	-conc 16,64      client counts for W1–W3
//	-duration 30s    measured time per W1/W2 run; -warmup 10s before it
//	-rounds 3        W1/W2: the measured time in rounds of the server's slice and then each
//	                 plain-SQL variant's (each slice after the first warmed up for at most
//	                 1s), so that the machine's drift weighs on both sides of the ratio
//	-workloads W1,W1L,W2,W3,W4 (W1L: W1 through the orders' tracking links)
//	-orders 10000    orders in the data set (half shipped)
//	-w3-warmup 500   pending orders shipped before measuring W3; -w3-count 4500 measured
//	-w4-runs 5       W4 requests, each on a freshly restored snapshot
//	-w4-with-w1      also run W1 at 16 connections during each W4 request
//	-sql=true        run the plain-SQL comparison
//	-cpuprofile F    write a CPU profile of each server run (F with .W1-16 etc. before the
//	                 extension; the load generator runs in the same process and shows in it)
//	-sqlite-analyze  on SQLite, run a full ANALYZE after loading (the server itself runs one
//	                 bounded by analysis_limit when it starts and every hour)
//	-out FILE        also write the results as Markdown
//	-quick           smoke run: 1000 orders, 3 s measured, 1 s warm-up, W3 50+450, 2 W4 runs
//	                 (flags given explicitly win)
//	-load-only       load the data set, keep the database, print how to use it, exit
//	-target URL      run against an already running server (http://127.0.0.1:PORT); -db
//	                 must then name the database it serves (loaded with -load-only), which
//	                 is read for targets and checks; W3/W4 cannot restore a snapshot then,
//	                 and their tracking numbers go on past those of earlier invocations
//	-v               print latency histograms
//	-wait-idle 0     before each measured run, wait up to this long until other programs use
//	                 less than a quarter core (for shared machines; every table shows the
//	                 CPU used by this process, the database and everything else)
//
// Examples:
//
//	go run ./cmd/loadtest -quick
//	go run ./cmd/loadtest -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//	go run ./cmd/loadtest -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	    -workloads W1,W2 -conc 16,64 -duration 10s -out results.md
//	go run ./cmd/loadtest -db 'postgres://…' -workloads W4 -w4-with-w1 -cpuprofile cpu.pprof
//	go tool pprof -top cpu.W4-1.pprof
//	go run ./cmd/loadtest -db 'postgres://…/postgres?sslmode=disable' -load-only
//	go run . -db 'postgres://…/fahuo_loadtest_1a2b3c4d?sslmode=disable' -seed=false -addr 127.0.0.1:8080 &
//	go run ./cmd/loadtest -target http://127.0.0.1:8080 -db 'postgres://…/fahuo_loadtest_1a2b3c4d?sslmode=disable' -workloads W1,W2
//
// Traffic goes to 127.0.0.1 only; every loop is bounded in time or count.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fahuo/fahuo/app"
	"github.com/fahuo/fahuo/database"
	"gorm.io/gorm"
)

// config is what the flags say.
type config struct {
	dbURL      string
	keep       bool
	conc       []int
	duration   time.Duration
	warmup     time.Duration
	rounds     int
	workloads  map[string]bool
	orders     int
	w3Warmup   int
	w3Count    int
	w4Runs     int
	w4WithW1   bool
	sql        bool
	cpuProfile string
	out        string
	quick      bool
	loadOnly   bool
	sqliteStat bool
	target     string
	verbose    bool
	waitIdle   time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	// The in-process server collects garbage as the real one does.
	gogc = app.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	var cfg config
	var conc, workloads string
	fs.StringVar(&cfg.dbURL, "db", "", `database: empty for a fresh SQLite file in a temp dir, "sqlite:PATH", or "postgres://…" (admin connection; a fresh database is created)`)
	fs.BoolVar(&cfg.keep, "keep", false, "keep the created database and its snapshot")
	fs.StringVar(&conc, "conc", "16,64", "comma-separated client counts for W1–W3")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "measured time of each W1/W2 run")
	fs.DurationVar(&cfg.warmup, "warmup", 10*time.Second, "warm-up before each W1/W2 run (discarded)")
	fs.IntVar(&cfg.rounds, "rounds", 3, "W1/W2: split the measured time into this many rounds, each the server's slice then each plain-SQL variant's, so that a machine that speeds up or slows down meanwhile weighs on both sides alike")
	fs.StringVar(&workloads, "workloads", "W1,W1L,W2,W3,W4", "workloads to run (W1L: W1 through the orders' tracking links)")
	fs.IntVar(&cfg.orders, "orders", 10000, "orders in the data set (every odd one shipped)")
	fs.IntVar(&cfg.w3Warmup, "w3-warmup", 500, "W3: pending orders shipped as warm-up (the last ones)")
	fs.IntVar(&cfg.w3Count, "w3-count", 4500, "W3: pending orders shipped while measuring")
	fs.IntVar(&cfg.w4Runs, "w4-runs", 5, "W4: batch requests, each on a restored snapshot")
	fs.BoolVar(&cfg.w4WithW1, "w4-with-w1", false, "W4: run W1 at 16 connections during each batch")
	fs.BoolVar(&cfg.sql, "sql", true, "run the plain-SQL comparison")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of each server run to this file name with the run's name inserted (cpu.pprof → cpu.W1-16.pprof)")
	fs.StringVar(&cfg.out, "out", "", "also write the results as Markdown to this file")
	fs.BoolVar(&cfg.quick, "quick", false, "smoke run: 1000 orders, 3 s, small W3/W4")
	fs.BoolVar(&cfg.sqliteStat, "sqlite-analyze", false, "on SQLite, run a full ANALYZE after loading (the server runs a bounded one at start; PostgreSQL always gets VACUUM ANALYZE)")
	fs.BoolVar(&cfg.loadOnly, "load-only", false, "load the data set into a kept database and exit")
	fs.StringVar(&cfg.target, "target", "", "URL of an already running server (loading is skipped; -db names its database)")
	fs.BoolVar(&cfg.verbose, "v", false, "print latency histograms")
	fs.DurationVar(&cfg.waitIdle, "wait-idle", 0, "before each measured run, wait up to this long for other programs to leave the CPUs (< 0.25 cores)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.quick {
		quick := map[string]func(){
			"orders":    func() { cfg.orders = 1000 },
			"duration":  func() { cfg.duration = 3 * time.Second },
			"warmup":    func() { cfg.warmup = time.Second },
			"w3-warmup": func() { cfg.w3Warmup = 50 },
			"w3-count":  func() { cfg.w3Count = 450 },
			"w4-runs":   func() { cfg.w4Runs = 2 },
			"rounds":    func() { cfg.rounds = 1 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return cfg, fmt.Errorf("-conc: %q is not a client count (1-1024)", s)
		}
		cfg.conc = append(cfg.conc, n)
	}
	cfg.workloads = map[string]bool{}
	for _, w := range strings.Split(workloads, ",") {
		w = strings.ToUpper(strings.TrimSpace(w))
		if !slices.Contains([]string{"W1", "W1L", "W2", "W3", "W4"}, w) {
			return cfg, fmt.Errorf("-workloads: unknown workload %q", w)
		}
		cfg.workloads[w] = true
	}
	switch {
	case cfg.orders < 2:
		return cfg, errors.New("-orders must be at least 2")
	case cfg.duration <= 0 || cfg.duration > time.Hour || cfg.warmup < 0 || cfg.warmup > time.Hour:
		return cfg, errors.New("-duration and -warmup must lie between 0 and 1h")
	case cfg.rounds < 1 || cfg.rounds > 100 || cfg.duration/time.Duration(cfg.rounds) < 100*time.Millisecond:
		return cfg, errors.New("-rounds must be 1 to 100, each round at least 100ms of -duration")
	case cfg.w3Warmup < 0 || cfg.w3Count < 1:
		return cfg, errors.New("-w3-warmup must be at least 0 and -w3-count at least 1")
	case cfg.workloads["W3"] && !cfg.loadOnly && cfg.target == "" && cfg.w3Warmup+cfg.w3Count > cfg.orders/2:
		return cfg, fmt.Errorf("-w3-warmup + -w3-count must fit in the %d pending orders", cfg.orders/2)
	case cfg.w4Runs < 1 || cfg.w4Runs > 19:
		return cfg, errors.New("-w4-runs must be 1 to 19")
	case cfg.target != "" && cfg.loadOnly:
		return cfg, errors.New("-target and -load-only exclude each other")
	case cfg.target != "" && cfg.dbURL == "":
		return cfg, errors.New("-target needs -db: the database the server serves, for targets and checks")
	}
	if cfg.target != "" {
		u, err := url.Parse(cfg.target)
		if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
			return cfg, errors.New("-target must be http://127.0.0.1:PORT or http://localhost:PORT")
		}
		cfg.target = strings.TrimSuffix(cfg.target, "/")
	}
	return cfg, nil
}

// runner holds the state of one invocation.
type runner struct {
	cfg    config
	out    io.Writer
	log    *slog.Logger
	store  *store
	srv    *server
	dataDB *gorm.DB // target mode: our own connection to the server's database
	base   string   // the server's base URL
	data   *dataset
	tokens tokens
	client *gqlClient
	tables []*Table
	facts  []string
	nonce  int
	// profiles are the CPU profile files written.
	profiles []string
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	r := &runner{cfg: cfg, out: out,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	r.facts = machineFacts()
	for _, f := range r.facts {
		fmt.Fprintln(out, f)
	}
	maxConc := slices.Max(cfg.conc)
	r.client = newGQLClient(max(maxConc, 16) + 16)
	defer r.client.closeIdle()

	if cfg.target == "" {
		st, err := newStore(ctx, cfg.dbURL, cfg.keep || cfg.loadOnly)
		if err != nil {
			return err
		}
		r.store = st
		defer func() {
			if r.srv != nil {
				_ = r.srv.stop()
			}
			if msg := st.cleanup(context.Background()); msg != "" {
				fmt.Fprintln(out, msg)
			}
		}()
		fmt.Fprintf(out, "database: %s (%s)\n", st.describe(), st.dialect)
		if err := r.load(ctx); err != nil {
			return err
		}
		if cfg.loadOnly {
			fmt.Fprintf(out, "\nloaded and kept. Serve it with:\n  go run . -db '%s' -seed=false -playground=false -log-level warn -addr 127.0.0.1:8080\n", st.url)
			fmt.Fprintf(out, "and measure it with:\n  go run ./cmd/loadtest -target http://127.0.0.1:8080 -db '%s'\n", st.url)
			return nil
		}
		if err := r.startServer(ctx); err != nil {
			return err
		}
	} else {
		db, err := database.Open(ctx, cfg.dbURL, database.Options{Logger: r.log, MaxOpenConns: 4})
		if err != nil {
			return err
		}
		defer func() { _ = database.Close(db) }()
		r.dataDB, r.base = db, cfg.target
		fmt.Fprintf(out, "target: %s (database %s, read for targets and checks; no snapshot restores)\n", cfg.target, redact(cfg.dbURL))
	}
	data, err := readDataset(ctx, r.db())
	if err != nil {
		return err
	}
	r.data = data
	printed := len(r.facts)
	r.facts = append(r.facts, fmt.Sprintf("data set: %d orders (%d shipped, %d pending) of shop %d, %d buyers; the shop has %d orders in all (the demo seed's included)",
		len(data.orders), len(data.shipped), len(data.pending), data.shopID, len(data.buyers), data.shopOrders))
	r.facts = append(r.facts, r.databaseFacts(ctx)...)
	for _, f := range r.facts[printed:] {
		fmt.Fprintln(out, f)
	}
	if err := r.login(ctx); err != nil {
		return err
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{{"W1", r.runW1}, {"W1L", r.runW1Link}, {"W2", r.runW2}, {"W3", r.runW3}, {"W4", r.runW4}}
	for _, s := range steps {
		if !cfg.workloads[s.name] {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if len(r.profiles) > 0 {
		names := make([]string, len(r.profiles))
		for i, p := range r.profiles {
			names[i] = filepath.Base(p)
		}
		r.facts = append(r.facts, "CPU profiles of the server runs (server and load generator, one process), next to -cpuprofile: "+strings.Join(names, ", "))
	}
	return r.report()
}

// profile starts a CPU profile of one server run, written next to
// -cpuprofile with the run's name in the file name, and returns its stop.
// SQL runs are not profiled.
func (r *runner) profile(name string) func() {
	if r.cfg.cpuProfile == "" {
		return func() {}
	}
	ext := filepath.Ext(r.cfg.cpuProfile)
	if ext == "" {
		ext = ".pprof"
	}
	path := strings.TrimSuffix(r.cfg.cpuProfile, filepath.Ext(r.cfg.cpuProfile)) + "." + name + ext
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(r.out, "cpu profile %s: %v\n", path, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
		r.profiles = append(r.profiles, path)
	}
}

// db is the database for targets and checks.
func (r *runner) db() *gorm.DB {
	if r.srv != nil {
		return r.srv.app.DB
	}
	return r.dataDB
}

// canRestore tells whether writing workloads can start from the snapshot.
func (r *runner) canRestore() bool { return r.store != nil }

// startServer starts the in-process server on the working database.
func (r *runner) startServer(ctx context.Context) error {
	srv, err := startServer(ctx, r.store.url, false, r.log)
	if err != nil {
		return err
	}
	r.srv, r.base = srv, srv.base
	return nil
}

// restore stops the server, puts the snapshot back, starts the server again
// and logs in again (sessions made after the snapshot are gone).
func (r *runner) restore(ctx context.Context) error {
	if !r.canRestore() {
		return nil
	}
	if r.srv != nil {
		if err := r.srv.stop(); err != nil {
			return fmt.Errorf("stop server: %w", err)
		}
		r.srv = nil
	}
	r.client.closeIdle()
	t0 := time.Now()
	if err := r.store.restore(ctx); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if err := r.startServer(ctx); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "  (snapshot restored and server restarted in %s)\n", time.Since(t0).Round(time.Millisecond))
	return r.login(ctx)
}

// waitIdle waits, up to -wait-idle, until programs other than this one and
// the database use less than a quarter of a core, sampling a second at a
// time.
func (r *runner) waitIdle(ctx context.Context) {
	if r.cfg.waitIdle <= 0 {
		return
	}
	deadline := time.Now().Add(r.cfg.waitIdle)
	for {
		a := sampleCPU()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		u := cpuBetween(a, sampleCPU())
		if u.other < 0.25 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(r.out, "  (other programs still use %.2f cores after waiting %s; measuring anyway)\n", u.other, r.cfg.waitIdle)
			return
		}
	}
}

// report prints every table and writes the Markdown file.
func (r *runner) report() error {
	fmt.Fprintln(r.out, "\n================ results ================")
	for _, f := range r.facts {
		fmt.Fprintln(r.out, f)
	}
	for _, t := range r.tables {
		t.Text(r.out)
	}
	if r.cfg.out == "" {
		return nil
	}
	f, err := os.Create(r.cfg.out)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "## Load test results (cmd/loadtest)")
	fmt.Fprintln(f)
	for _, fact := range r.facts {
		fmt.Fprintf(f, "- %s\n", fact)
	}
	for _, t := range r.tables {
		t.Markdown(f)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "\nMarkdown written to %s\n", r.cfg.out)
	return nil
}

// addTable records a finished table and prints it at once.
func (r *runner) addTable(t *Table) {
	r.tables = append(r.tables, t)
	t.Text(r.out)
}

// machineFacts describes the machine and the run.
func machineFacts() []string {
	facts := []string{
		"date: " + time.Now().Format(time.RFC3339),
		fmt.Sprintf("machine: %d CPUs (GOMAXPROCS %d), %s memory, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), cpuModel()),
		fmt.Sprintf("go: %s %s/%s, GOGC %d in this process (the in-process server's; app.TuneGC)", runtime.Version(), runtime.GOOS, runtime.GOARCH, gogc),
	}
	return facts
}

// gogc is the collector's target in force, as app.TuneGC set it.
var gogc int

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// databaseFacts names the database, its version and, on PostgreSQL, the
// settings that differ from the defaults.
func (r *runner) databaseFacts(ctx context.Context) []string {
	db := r.db().WithContext(ctx)
	if database.DialectOf(db) == database.SQLite {
		var v string
		db.Raw("SELECT sqlite_version()").Scan(&v)
		return []string{"database: SQLite " + v + " (github.com/glebarez/go-sqlite, pure Go; WAL, synchronous=NORMAL)"}
	}
	var v string
	db.Raw("SELECT version()").Scan(&v)
	facts := []string{"database: " + v}
	var settings []struct{ Name, Setting, Unit string }
	db.Raw(`SELECT name, setting, COALESCE(unit, '') AS unit FROM pg_settings
		WHERE source NOT IN ('default', 'override', 'client', 'session') ORDER BY name`).Scan(&settings)
	var parts []string
	for _, s := range settings {
		parts = append(parts, s.Name+"="+s.Setting+s.Unit)
	}
	if len(parts) > 0 {
		facts = append(facts, "postgresql non-default settings: "+strings.Join(parts, ", "))
	}
	return facts
}

// redact hides a password in a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

// server is the in-process Fahuo server.
type server struct {
	app    *app.App
	base   string
	cancel context.CancelFunc
	done   chan error
}

// startServer opens the database and serves it on a free loopback port, as
// production runs it: no seed, no playground, warn-level logs.
func startServer(ctx context.Context, dbURL string, seed bool, log *slog.Logger) (*server, error) {
	a, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DatabaseURL: dbURL, Seed: seed, Playground: false, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		return &server{app: a, base: "http://" + addr, cancel: cancel, done: done}, nil
	case err := <-done:
		cancel()
		_ = a.Close()
		return nil, fmt.Errorf("serve: %w", err)
	case <-time.After(30 * time.Second):
		cancel()
		_ = a.Close()
		return nil, errors.New("server did not start listening within 30 s")
	}
}

// stop shuts the server down and closes its database.
func (s *server) stop() error {
	s.cancel()
	err := <-s.done
	if cerr := s.app.Close(); err == nil {
		err = cerr
	}
	return err
}
