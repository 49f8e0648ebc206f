package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/frontend"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph"
	"github.com/fahuo/fahuo/models"
)

// Body limits: a JSON GraphQL request (a 5000-row batch is about 0.5 MB) and
// a page form. Multipart uploads have their own, larger cap in the GraphQL
// transport and in the page handlers.
const (
	maxJSONBody  = 4 << 20
	maxFormBody  = 1 << 20
	maxMultipart = 40 << 20
)

func (a *App) routes() http.Handler {
	log := a.cfg.Logger
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		err := database.Ping(ctx, a.DB)
		if err == nil && a.reads != nil {
			err = a.reads.Ping(ctx)
		}
		if err != nil {
			log.WarnContext(ctx, "readiness: database unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "database unreachable\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	gql := graph.NewServer(a.Service, log, a.cfg.Limits, a.gate)
	mux.Handle("/graphql", limitBody(graph.LoadersMiddleware(a.Service, a.cfg.Limits, gql)))
	if a.cfg.Playground {
		mux.Handle("GET /graphql/playground", playground.Handler("Fahuo GraphQL", "/graphql"))
	}
	mux.Handle("/", frontend.New(a.Service, frontend.Options{SecureCookies: a.cfg.SecureCookies, Logger: log}))

	var h http.Handler = mux
	h = a.authenticate(h)
	h = withRequestInfo(h)
	h = recoverPanics(log, h)
	h = logRequests(log, h)
	return h
}

// authenticate puts the request's actor into its context. A bearer token
// (API clients) must be valid, or the request is refused with 401. A session
// cookie (web pages) that is no longer valid counts as anonymous. Requests
// that do not carry a bearer token pass Go's cross-origin protection, so a
// page of another site cannot act with the user's cookie.
func (a *App) authenticate(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			secret, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				writeGraphQLError(w, http.StatusUnauthorized, models.CodeUnauthenticated, "use Authorization: Bearer <token>")
				return
			}
			actor, err := a.actorOf(r.Context(), strings.TrimSpace(secret))
			if r.Context().Err() != nil {
				// The client went away while waiting its turn.
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if err != nil {
				code := models.ErrorCodeOf(err)
				if code != models.CodeUnauthenticated {
					a.cfg.Logger.ErrorContext(r.Context(), "authenticate", "err", err)
					writeGraphQLError(w, http.StatusInternalServerError, models.CodeInternal, "internal error")
					return
				}
				writeGraphQLError(w, http.StatusUnauthorized, code, "the token is not valid (expired, revoked, or never issued)")
				return
			}
			next.ServeHTTP(w, r.WithContext(fulfillment.WithActor(r.Context(), actor)))
			return
		}
		if c, err := r.Cookie(frontend.SessionCookie); err == nil && c.Value != "" {
			if actor, err := a.actorOf(r.Context(), c.Value); err == nil {
				r = r.WithContext(fulfillment.WithActor(r.Context(), actor))
			}
		}
		protected.ServeHTTP(w, r)
	})
}

// actorOf authenticates a secret behind the gate: a session or an API
// token is a statement.
func (a *App) actorOf(ctx context.Context, secret string) (fulfillment.Actor, error) {
	if err := a.gate.Enter(ctx); err != nil {
		return fulfillment.Actor{}, err
	}
	defer a.gate.Leave()
	return a.Service.Authenticate(ctx, secret)
}

// limitBody reads a JSON request body up to its cap and answers 413 past it;
// multipart bodies are capped while the transport streams them.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			if r.ContentLength > maxMultipart {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, models.CodeInvalidArgument, "the upload is larger than 40 MB")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxJSONBody {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, models.CodeInvalidArgument, "the request body is larger than 4 MB")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, models.CodeInvalidArgument, "the request body is larger than 4 MB")
				return
			}
			writeGraphQLError(w, http.StatusBadRequest, models.CodeInvalidArgument, "the request body could not be read")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// writeGraphQLError answers in the shape GraphQL clients parse, for requests
// refused before they reach the GraphQL server.
func writeGraphQLError(w http.ResponseWriter, status int, code models.ErrorCode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": string(code)}}},
	})
}

type requestIDKey struct{}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests gives each request an id (the caller's X-Request-Id when it is
// sane, else a new one), echoes it in the response, and logs the request when
// it ends; failures at warn level so they stay visible in production.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(ctx))
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "bytes", rec.bytes, "duration", time.Since(start))
	})
}

// RequestID returns the id logRequests gave the request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// recoverPanics answers 500 for a handler that panicked, logs the panic with
// the request id, and keeps the server up.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "panic", p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withRequestInfo records where the request came from, for the audit log.
// The address is the peer's: behind a proxy, configure the proxy to pass
// the client's address in the connection, not in a header anyone can forge.
func withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := r.RemoteAddr
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ip = host
		}
		ctx := fulfillment.WithRequestInfo(r.Context(), fulfillment.RequestInfo{IP: ip, UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
