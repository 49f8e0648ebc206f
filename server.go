// Command fahuo is the order-fulfilment server: GraphQL API, web pages and
// database migrations in one binary.
//
//	go run .                                  # embedded SQLite with demo data
//	DATABASE_URL=postgres://… go run .        # PostgreSQL
package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fahuo/fahuo/app"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/fulfillment"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fahuo:", err)
		os.Exit(1)
	}
}

// run starts the server with the given flags and serves until ctx ends (on
// SIGINT or SIGTERM), then finishes the requests in flight. It prints the URL
// and the demo logins to stdout and logs to logs.
func run(ctx context.Context, args []string, stdout, logs io.Writer) error {
	fs := flag.NewFlagSet("fahuo", flag.ContinueOnError)
	fs.SetOutput(logs)
	addr := fs.String("addr", env("ADDR", ":8080"), "address to listen on (ADDR)")
	dbURL := fs.String("db", env("DATABASE_URL", "sqlite:fahuo.db"), "database: postgres://… or sqlite:PATH (DATABASE_URL)")
	seed := fs.String("seed", env("SEED", ""), "demo data on an empty database: true or false (SEED; default true for SQLite, false for PostgreSQL)")
	playground := fs.Bool("playground", envBool("PLAYGROUND", true), "serve the GraphQL IDE at /graphql/playground (PLAYGROUND)")
	secure := fs.Bool("secure-cookies", envBool("SECURE_COOKIES", false), "mark the session cookie Secure, behind HTTPS (SECURE_COOKIES)")
	addressKey := fs.String("address-key", env("ADDRESS_KEY", ""), "secret that keys the addressKey hash; the same on every instance, kept across restarts (ADDRESS_KEY)")
	linkKey := fs.String("link-key", env("LINK_KEY", ""), "secret that signs the buyers' tracking links; the same on every instance, kept across restarts (LINK_KEY)")
	profile := fs.String("pprof", env("PPROF_ADDR", ""), "serve net/http/pprof profiles on this address, apart from the app; keep it private (PPROF_ADDR; off when empty)")
	level := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	maxConns := fs.Int("db-max-conns", envInt("DB_MAX_CONNS", 0), "most PostgreSQL connections this instance opens; 0 for the default (DB_MAX_CONNS)")
	readConns := fs.Int("db-read-conns", envInt("DB_READ_CONNS", 0), "PostgreSQL connections that carry the hot reads (authentication, an order's detail) of all requests in shared pipelines; 0 for the default, 2; -1 sends them through the pool like the rest (DB_READ_CONNS)")
	maxInFlight := fs.Int("max-inflight", envInt("MAX_INFLIGHT", 0), "most requests whose GraphQL work and authentication run at once, the others waiting their turn; 0 for the default: on PostgreSQL with read connections eight times the processors, otherwise twice, and at least 4 (MAX_INFLIGHT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *maxConns < 0 {
		return fmt.Errorf("-db-max-conns: %d is not a connection count", *maxConns)
	}
	if *readConns < -1 {
		return fmt.Errorf("-db-read-conns: %d is not a connection count", *readConns)
	}
	if *maxInFlight < 0 {
		return fmt.Errorf("-max-inflight: %d is not a request count", *maxInFlight)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(app.RequestIDHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: lvl})))
	slog.SetDefault(log)
	log.Debug("garbage collector", "gogc", app.TuneGC())

	postgres := database.IsPostgresURL(*dbURL)
	doSeed := !postgres
	if *seed != "" {
		v, err := strconv.ParseBool(*seed)
		if err != nil {
			return fmt.Errorf("-seed: %w", err)
		}
		doSeed = v
	}

	if *addressKey == "" {
		log.Warn("ADDRESS_KEY is not set: addressKey values use the development key; set a secret of your own in production")
	}
	if *linkKey == "" {
		log.Warn("LINK_KEY is not set: tracking links are signed with the development key; set a secret of your own in production")
	}
	a, err := app.New(ctx, app.Config{
		Addr: *addr, DatabaseURL: *dbURL, Seed: doSeed, Playground: *playground,
		SecureCookies: *secure, Logger: log, MaxDBConns: *maxConns, ReadConns: *readConns, MaxInFlight: *maxInFlight,
		Settings: fulfillment.Settings{AddressKey: []byte(*addressKey), LinkKey: []byte(*linkKey)},
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if *profile != "" {
		if m := a.Multiplexer(); m != nil {
			// How many reads a pipeline carries, at /debug/vars.
			expvar.Publish("read_multiplexer", expvar.Func(func() any { return m.Stats() }))
		}
		bound, err := serveProfiles(ctx, *profile, log)
		if err != nil {
			return fmt.Errorf("-pprof: %w", err)
		}
		fmt.Fprintf(stdout, "Profiles: http://%s/debug/pprof/\n", displayAddr(bound))
	}
	return a.Serve(ctx, func(bound string) {
		url := "http://" + displayAddr(bound)
		fmt.Fprintf(stdout, "Fahuo is running at %s (database: %s)\n", url, redact(*dbURL))
		if *playground {
			fmt.Fprintf(stdout, "GraphQL: %s/graphql  IDE: %s/graphql/playground\n", url, url)
		}
		if len(a.Demo.Accounts) > 0 {
			fmt.Fprintf(stdout, "Demo data created. Log in with password %q as:\n", fulfillment.DemoPassword)
			for _, acc := range a.Demo.Accounts {
				fmt.Fprintf(stdout, "  %-24s %-10s %s\n", acc.Email, acc.Role, acc.Shop)
			}
		}
	})
}

// serveProfiles serves the runtime's profiles on their own listener, so
// that they never share a port with the public app, until ctx ends.
func serveProfiles(ctx context.Context, addr string, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("profile server stopped", "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	return ln.Addr().String(), nil
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envBool(key string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// displayAddr turns a listener address into one a browser can open.
func displayAddr(bound string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// redact hides a password in a database URL before it is printed.
func redact(dbURL string) string {
	if i := strings.Index(dbURL, "://"); i >= 0 {
		if at := strings.LastIndex(dbURL, "@"); at > i {
			creds := dbURL[i+3 : at]
			if user, _, ok := strings.Cut(creds, ":"); ok {
				return dbURL[:i+3] + user + ":***" + dbURL[at:]
			}
		}
	}
	return dbURL
}
