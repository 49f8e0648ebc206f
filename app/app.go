// Package app assembles Fahuo's HTTP server: settings, the database, the
// domain service, the GraphQL API and the web pages behind one handler with
// the middleware every request passes (request id, logging, recovery,
// authentication, cross-origin protection, body limits). server.go only
// reads settings and runs it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fahuo/fahuo/clock"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph"
	"gorm.io/gorm"
)

// Config is everything the server is started with.
type Config struct {
	// Addr is the address to listen on, e.g. ":8080".
	Addr string
	// DatabaseURL is "postgres://…" or "sqlite:PATH".
	DatabaseURL string
	// Seed fills an empty database with the demo platform.
	Seed bool
	// Playground serves the GraphQL IDE at /graphql/playground.
	Playground bool
	// SecureCookies marks the session cookie Secure (behind HTTPS).
	SecureCookies bool
	// Logger receives structured logs; nil means slog's default.
	Logger *slog.Logger
	// Clock is the domain's clock; nil means the wall clock.
	Clock clock.Clock
	// Settings tune the domain; zero values take defaults.
	Settings fulfillment.Settings
	// Limits bound the cost of GraphQL requests; zero values take defaults.
	Limits graph.Limits
	// MaxDBConns caps the PostgreSQL connections of this instance; zero
	// takes database.Options' default.
	MaxDBConns int
	// ReadConns, on PostgreSQL, is how many connections of their own carry
	// the hot reads of all requests in shared pipelines
	// (database.Multiplexer); zero takes its default, a negative number
	// sends those reads through the pool.
	ReadConns int
	// MaxInFlight is how many requests' GraphQL work and authentication
	// run at once; the others wait their turn (graph.Gate). Zero takes
	// graph.DefaultInFlight.
	MaxInFlight int
}

// App is a ready server: migrated database, service and handler.
type App struct {
	cfg     Config
	DB      *gorm.DB
	Service *fulfillment.Service
	Handler http.Handler
	// Demo is what seeding created; empty when nothing was seeded.
	Demo fulfillment.Demo
	// gate admits requests' database and GraphQL work a few at a time.
	gate *graph.Gate
	// reads is the service's multiplexer, nil when it has none.
	reads *database.Multiplexer
}

// New opens and migrates the database, seeds it when asked and it is empty,
// and builds the handler.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, database.Options{Logger: cfg.Logger, MaxOpenConns: cfg.MaxDBConns})
	if err != nil {
		return nil, err
	}
	if err := database.Migrate(ctx, db); err != nil {
		_ = database.Close(db)
		return nil, err
	}
	svc := fulfillment.New(db, cfg.Clock, cfg.Settings, cfg.Logger)
	a := &App{cfg: cfg, DB: db, Service: svc}
	if cfg.ReadConns >= 0 && database.DialectOf(db) == database.Postgres {
		a.reads, err = database.OpenMultiplexer(cfg.DatabaseURL, database.MultiplexOptions{Conns: cfg.ReadConns, Logger: cfg.Logger})
		if err != nil {
			_ = database.Close(db)
			return nil, err
		}
		svc.UseMultiplexer(a.reads)
	}
	inFlight := cfg.MaxInFlight
	if inFlight <= 0 {
		inFlight = graph.DefaultInFlight(a.reads != nil)
	}
	a.gate = graph.NewGate(inFlight)
	if cfg.Seed {
		demo, seeded, err := svc.SeedDemo(ctx)
		if err != nil {
			_ = a.Close()
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		if seeded {
			a.Demo = demo
		}
	}
	if err := database.Analyze(ctx, db); err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("analyze: %w", err)
	}
	a.Handler = a.routes()
	return a, nil
}

// Close releases the database.
func (a *App) Close() error {
	if a.reads != nil {
		a.reads.Close()
	}
	return database.Close(a.DB)
}

// Multiplexer is the connections that carry the service's hot reads on
// PostgreSQL (Config.ReadConns), nil when there are none.
func (a *App) Multiplexer() *database.Multiplexer { return a.reads }

// analyzeEvery refreshes the planner's statistics as the data grows.
func (a *App) analyzeEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := database.Analyze(ctx, a.DB); err != nil && ctx.Err() == nil {
				a.cfg.Logger.Warn("refreshing planner statistics failed", "err", err)
			}
		}
	}
}

// Serve listens on the configured address until ctx ends, then stops
// accepting connections and waits up to 30 s for requests in flight.
// ready, when not nil, is called with the address once the listener is up.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              a.cfg.Addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      3 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.cfg.Logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	jobs, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	go a.Service.RunRetention(jobs, time.Hour)
	go a.analyzeEvery(jobs, time.Hour)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.cfg.Logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
