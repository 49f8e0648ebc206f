// Package fulfillment holds Fahuo's domain rules: who may do what, and every
// change to orders, packages, templates and reports. It is the only code that
// writes to the database; the GraphQL resolvers and the web handlers both call
// it, so each rule lives here once. Every exported method that changes data is
// one transaction, and returns either a value or an error that is a
// *models.Error (a rule's code) or an internal failure.
package fulfillment

import (
	"log/slog"
	"time"

	"github.com/fahuo/fahuo/clock"
	"github.com/fahuo/fahuo/database"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Settings are the domain's tunable numbers.
type Settings struct {
	// SessionTTL is how long a login stays valid.
	SessionTTL time.Duration
	// PasswordCost is bcrypt's work factor; tests lower it, production keeps
	// the default.
	PasswordCost int
	// AddressKey keys the hash behind addressKey. It must stay the same
	// across restarts and instances, or keys of equal addresses differ.
	AddressKey []byte
	// LinkKey signs the buyers' tracking links. Like AddressKey it must be
	// the same on every instance; changing it withdraws every link.
	LinkKey []byte
}

// DevelopmentAddressKey is used when no key is configured, so that `go run .`
// works out of the box; production sets its own (ADDRESS_KEY).
var DevelopmentAddressKey = []byte("fahuo-development-address-key")

// DevelopmentLinkKey signs tracking links when no key is configured
// (LINK_KEY in production).
var DevelopmentLinkKey = []byte("fahuo-development-link-key")

// DefaultSettings are the values production runs with.
func DefaultSettings() Settings {
	return Settings{
		SessionTTL:   30 * 24 * time.Hour,
		PasswordCost: 12,
	}
}

// Service is the domain layer. It is safe for concurrent use and keeps no
// per-user state: everything lives in the database, so several instances can
// serve the same users.
type Service struct {
	db       *gorm.DB
	clock    clock.Clock
	settings Settings
	log      *slog.Logger
	// dummyHash is compared against when an e-mail is unknown, so that a
	// failed login takes as long whether or not the account exists.
	dummyHash []byte
	// reads, when set, carries the hot single-statement reads of
	// PostgreSQL (authentication, an order's detail) in pipelines shared
	// by concurrent requests (UseMultiplexer).
	reads *database.Multiplexer
}

// UseMultiplexer has the service send its hot reads — authentication and
// an order's detail, each one statement outside any transaction — through
// m instead of the connection pool. m must be on the service's PostgreSQL
// database. Call it before the service serves requests.
func (s *Service) UseMultiplexer(m *database.Multiplexer) { s.reads = m }

// New returns a Service on db. A nil clock means the wall clock; zero
// settings take their defaults.
func New(db *gorm.DB, c clock.Clock, s Settings, log *slog.Logger) *Service {
	def := DefaultSettings()
	if s.SessionTTL == 0 {
		s.SessionTTL = def.SessionTTL
	}
	if s.PasswordCost == 0 {
		s.PasswordCost = def.PasswordCost
	}
	if len(s.AddressKey) == 0 {
		s.AddressKey = DevelopmentAddressKey
	}
	if len(s.LinkKey) == 0 {
		s.LinkKey = DevelopmentLinkKey
	}
	if c == nil {
		c = clock.System{}
	}
	if log == nil {
		log = slog.Default()
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("fahuo: no such account"), s.PasswordCost)
	if err != nil {
		panic("bcrypt: " + err.Error())
	}
	return &Service{db: db, clock: c, settings: s, log: log, dummyHash: dummy}
}

// Now is the service's clock reading.
func (s *Service) Now() time.Time { return s.clock.Now() }

// SessionTTL is how long a login lasts, for the cookie that carries it.
func (s *Service) SessionTTL() time.Duration { return s.settings.SessionTTL }

// lockForUpdate locks the rows a mutation reads before it checks and writes
// them (SELECT … FOR UPDATE). SQLite has no row locks and ignores it; there
// every write transaction holds the database's one write lock from BEGIN.
var lockForUpdate = clause.Locking{Strength: "UPDATE"}

// lockOrderRows locks the rows of orders only, when orders are read joined
// with another table (FOR UPDATE OF orders).
var lockOrderRows = clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "orders"}}
