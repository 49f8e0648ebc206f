// Package database opens Fahuo's database — an embedded SQLite file for
// development and demos, PostgreSQL in production — and keeps its schema up
// to date with versioned migrations that both databases run.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database behind a *gorm.DB.
type Dialect string

// The two databases Fahuo runs on.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Options tune the connection pool and timeouts. The zero value is usable.
type Options struct {
	// MaxOpenConns caps PostgreSQL connections per instance (default 16: a
	// 2-core server gains nothing from more, and several instances share
	// the database's max_connections).
	MaxOpenConns int
	// StatementTimeout ends a PostgreSQL statement that runs longer
	// (default 15 s), so a bad query cannot hold locks for ever.
	StatementTimeout time.Duration
	// Logger receives slow and failed statements; nil means slog's default.
	Logger *slog.Logger
}

// Open connects to the database that url names: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" (or a bare path) for an
// embedded SQLite file, created if missing. It does not migrate.
func Open(ctx context.Context, rawURL string, opt Options) (*gorm.DB, error) {
	if opt.MaxOpenConns == 0 {
		opt.MaxOpenConns = 16
	}
	if opt.StatementTimeout == 0 {
		opt.StatementTimeout = 15 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		PrepareStmt:            false,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		Logger: quietLogger{logger.NewSlogLogger(opt.Logger, logger.Config{
			SlowThreshold:             slowStatement,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		})},
	}
	var (
		db  *gorm.DB
		err error
	)
	switch {
	case IsPostgresURL(rawURL):
		dsn, derr := postgresDSN(rawURL, opt)
		if derr != nil {
			return nil, derr
		}
		db, err = gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
	default:
		// Instances that start at once on a new file race to switch it
		// to WAL, and SQLite refuses the loser at once (SQLITE_BUSY)
		// rather than through the busy timeout: it tries again.
		for try := 1; ; try++ {
			db, err = gorm.Open(sqliteDialector{&sqlite.Dialector{DSN: sqliteDSN(rawURL)}}, cfg)
			var serr *gosqlite.Error
			if err == nil || !errors.As(err, &serr) || serr.Code()&0xff != sqliteBusy || try == 50 {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(try) * 10 * time.Millisecond):
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if DialectOf(db) == Postgres {
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
		sqlDB.SetMaxIdleConns(opt.MaxOpenConns)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// SQLite serialises writers itself (every transaction begins
		// IMMEDIATE, and waits up to the busy timeout for the lock); a few
		// connections let WAL readers run beside the writer.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return db, nil
}

// IsPostgresURL reports whether a database URL names PostgreSQL
// ("postgres://…" or "postgresql://…") rather than a SQLite file.
func IsPostgresURL(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://")
}

// postgresDSN adds the settings Fahuo relies on to a PostgreSQL URL unless
// the URL sets them itself.
func postgresDSN(rawURL string, opt Options) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", errors.New("DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	setDefault := func(k, v string) {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	setDefault("statement_timeout", fmt.Sprint(opt.StatementTimeout.Milliseconds()))
	setDefault("application_name", "fahuo")
	setDefault("timezone", "UTC")
	setDefault("connect_timeout", "10")
	// The planner's default random_page_cost of 4 prices an index lookup
	// for spinning disks; with the working set in memory or on SSD it chose
	// to hash a whole table of package lines for the 50 packages of a page
	// (1.2 ms) over an index lookup per package (0.2 ms). 1.1 is the usual
	// setting for SSD and what the indexes here are designed for.
	setDefault("random_page_cost", "1.1")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sqliteDSN turns "sqlite:PATH" into the driver's DSN with the pragmas every
// connection needs: WAL so readers never block the writer, a busy timeout so
// writers queue instead of failing, foreign keys on, IMMEDIATE transactions so
// two writers never deadlock upgrading a read lock, and times written in a
// format that sorts as text.
func sqliteDSN(rawURL string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite://"), "sqlite:")
	if path == "" {
		path = "fahuo.db"
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	return path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// DialectOf tells which database db talks to.
func DialectOf(db *gorm.DB) Dialect {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// Ping reports whether the database answers, for the readiness probe.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// sqliteDialector adds the check-constraint error to the SQLite dialector's
// error translation, so a broken CHECK reads as gorm.ErrCheckConstraintViolated
// on both databases.
type sqliteDialector struct{ *sqlite.Dialector }

// SQLite's result codes: SQLITE_BUSY, and the extended SQLITE_CONSTRAINT_CHECK.
const (
	sqliteBusy            = 5
	sqliteConstraintCheck = 275
)

func (d sqliteDialector) Translate(err error) error {
	var serr *gosqlite.Error
	if errors.As(err, &serr) && serr.Code() == sqliteConstraintCheck {
		return gorm.ErrCheckConstraintViolated
	}
	return d.Dialector.Translate(err)
}

// quietLogger keeps constraint violations out of the error log: the domain
// relies on them (a tracking number claimed twice, a migration already
// applied) and reports them as codes, so they are answers, not failures.
type quietLogger struct{ logger.Interface }

func (l quietLogger) LogMode(level logger.LogLevel) logger.Interface {
	return quietLogger{l.Interface.LogMode(level)}
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	// Constraint violations are rules at work, and a canceled context is a
	// client that went away: neither is a database failure.
	if errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, gorm.ErrForeignKeyViolated) ||
		errors.Is(err, gorm.ErrCheckConstraintViolated) || errors.Is(err, gorm.ErrRecordNotFound) ||
		errors.Is(err, context.Canceled) {
		err = nil
	}
	// Only failures and slow statements are logged; skipping the rest here
	// saves building every statement's text with its values, which the
	// wrapped logger does before it looks at the level.
	if err == nil && time.Since(begin) < slowStatement {
		return
	}
	l.Interface.Trace(ctx, begin, fc, err)
}

// slowStatement is the duration past which a statement is logged.
const slowStatement = 500 * time.Millisecond
