package fulfillment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Secrets start with a prefix that says what they are, as GitHub's tokens do,
// so that a leaked one is recognised by secret scanners and by people.
const (
	sessionPrefix = "fhs_"
	tokenPrefix   = "fht_"
	// maxSecretLen bounds what is hashed for a presented secret.
	maxSecretLen = 128
)

// Login checks an e-mail and password and opens a session. It returns the
// session's secret, shown to the caller once and stored only as a hash, and
// the actor the session stands for.
//
// Errors: INVALID_CREDENTIALS for an unknown e-mail, a wrong password or a
// disabled account (one code for all three, so accounts cannot be probed).
func (s *Service) Login(ctx context.Context, email, password string) (string, Actor, error) {
	email = normalizeEmail(email)
	e := &audit{op: OpLogin, actorName: email}
	var (
		secret string
		actor  Actor
	)
	// The password is checked before the transaction: bcrypt takes a
	// quarter of a second, too long to hold a connection (and, on SQLite,
	// the write lock) for.
	var user models.User
	err := s.db.WithContext(ctx).Where("email = ?", email).Take(&user).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", Actor{}, err
	}
	hash := s.dummyHash
	if err == nil {
		hash = []byte(user.PasswordHash)
		e.object("User", user.ID)
		if user.ShopID != nil {
			e.shopID = *user.ShopID
		}
	}
	valid := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && err == nil && user.DisabledAt == nil
	err = s.change(ctx, Actor{}, e, func(tx *gorm.DB) error {
		if !valid {
			return models.Errorf(models.CodeInvalidCredentials, "wrong e-mail or password")
		}
		var hashed []byte
		secret, hashed = newSecret(sessionPrefix)
		now := s.clock.Now()
		sess := models.Session{UserID: user.ID, TokenHash: hashed, CreatedAt: now, ExpiresAt: now.Add(s.settings.SessionTTL)}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		actor = userActor(user, sess.ID)
		e.actor = &actor
		return nil
	})
	if err != nil {
		return "", Actor{}, err
	}
	return secret, actor, nil
}

// Logout ends the session the actor logged in with. It is a no-op for API
// tokens, which are revoked with RevokeAPIToken.
func (s *Service) Logout(ctx context.Context, a Actor) error {
	return s.change(ctx, a, &audit{op: OpLogout}, func(tx *gorm.DB) error {
		if a.SessionID == 0 {
			return nil
		}
		return tx.Model(&models.Session{}).
			Where("id = ? AND revoked_at IS NULL", a.SessionID).
			Update("revoked_at", s.clock.Now()).Error
	})
}

// Authenticate turns a presented secret (a session or an API token) into the
// actor it stands for. An unknown, expired or revoked secret, a disabled
// account, or a token whose creator has been disabled, is UNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, secret string) (Actor, error) {
	if len(secret) > maxSecretLen || !utf8.ValidString(secret) {
		return Actor{}, unauthenticated()
	}
	if strings.HasPrefix(secret, linkPrefix) {
		if a, ok := s.TrackingLinkActor(secret); ok {
			return a, nil
		}
		return Actor{}, unauthenticated()
	}
	sum := sha256.Sum256([]byte(secret))
	now := s.clock.Now()
	switch {
	case strings.HasPrefix(secret, sessionPrefix):
		// Every request starts here: one narrow row, scanned by hand, with
		// a statement written once (authStatements).
		var u models.User
		var sessionID int64
		err := s.selectRow(ctx, authStatements[database.DialectOf(s.db)].session, []any{sum[:], now},
			&sessionID, &u.ID, &u.Name, &u.Role, &u.ShopID)
		if errors.Is(err, sql.ErrNoRows) {
			return Actor{}, unauthenticated()
		}
		if err != nil {
			return Actor{}, err
		}
		return userActor(u, sessionID), nil
	case strings.HasPrefix(secret, tokenPrefix):
		var a Actor
		err := s.selectRow(ctx, authStatements[database.DialectOf(s.db)].token, []any{sum[:], now},
			&a.TokenID, &a.ShopID, &a.Role, &a.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return Actor{}, unauthenticated()
		}
		if err != nil {
			return Actor{}, err
		}
		a.Kind = ActorToken
		return a, nil
	}
	return Actor{}, unauthenticated()
}

// authStatements are Authenticate's statements by dialect, with their
// placeholders numbered for PostgreSQL: gorm's builder would parse them for
// every request.
var authStatements = func() map[database.Dialect]struct{ session, token string } {
	const (
		session = `SELECT sessions.id, users.id, users.name, users.role, users.shop_id
			FROM sessions JOIN users ON users.id = sessions.user_id
			WHERE sessions.token_hash = ? AND sessions.revoked_at IS NULL AND sessions.expires_at > ? AND users.disabled_at IS NULL`
		token = `SELECT api_tokens.id, api_tokens.shop_id, api_tokens.role, api_tokens.name
			FROM api_tokens JOIN users ON users.id = api_tokens.created_by_id
			WHERE api_tokens.token_hash = ? AND api_tokens.revoked_at IS NULL AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > ?)
			AND users.disabled_at IS NULL`
	)
	return map[database.Dialect]struct{ session, token string }{
		database.Postgres: {numbered(session), numbered(token)},
		database.SQLite:   {session, token},
	}
}()

// unauthenticated is Authenticate's refusal, made when it refuses rather
// than for every request it lets through.
func unauthenticated() error {
	return models.Errorf(models.CodeUnauthenticated, "the session or token is not valid; please log in again")
}

func userActor(u models.User, sessionID int64) Actor {
	a := Actor{Kind: ActorUser, UserID: u.ID, SessionID: sessionID, Role: u.Role, Name: u.Name}
	if u.ShopID != nil {
		a.ShopID = *u.ShopID
	}
	return a
}

// User returns the account behind a user actor.
func (s *Service) User(ctx context.Context, a Actor) (models.User, error) {
	if a.Kind != ActorUser {
		return models.User{}, models.Errorf(models.CodeNotFound, "no user behind this credential")
	}
	var u models.User
	err := s.db.WithContext(ctx).Take(&u, a.UserID).Error
	return u, err
}

// Shop returns the shop the actor acts for, or NOT_FOUND for actors of no
// shop.
func (s *Service) Shop(ctx context.Context, a Actor) (models.Shop, error) {
	if a.ShopID == 0 {
		return models.Shop{}, models.Errorf(models.CodeNotFound, "no shop behind this credential")
	}
	var sh models.Shop
	err := s.db.WithContext(ctx).Take(&sh, a.ShopID).Error
	return sh, err
}

// CreateAPITokenInput describes a token for a third-party tool.
type CreateAPITokenInput struct {
	Name      string
	Role      models.Role
	ExpiresAt *time.Time
}

// CreateAPIToken issues a token for the actor's shop. The secret is returned
// once; only its hash is kept.
//
// Errors: FORBIDDEN unless the actor is the shop's owner (a user, not a
// token); INVALID_ARGUMENT for an empty or over-long name, a role that is not
// a shop role, or an expiry in the past.
func (s *Service) CreateAPIToken(ctx context.Context, a Actor, in CreateAPITokenInput) (models.APIToken, string, error) {
	var (
		tok    models.APIToken
		secret string
	)
	e := &audit{op: OpCreateAPIToken}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		name := strings.TrimSpace(in.Name)
		if name == "" || utf8.RuneCountInString(name) > 64 {
			return models.FieldError(models.CodeInvalidArgument, []string{"name"}, "a token needs a name of 1 to 64 characters")
		}
		if !in.Role.IsShopRole() {
			return models.FieldError(models.CodeInvalidArgument, []string{"role"}, "%q is not a shop role", in.Role)
		}
		now := s.clock.Now()
		if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
			return models.FieldError(models.CodeInvalidArgument, []string{"expiresAt"}, "the expiry must lie in the future")
		}
		var hashed []byte
		secret, hashed = newSecret(tokenPrefix)
		tok = models.APIToken{
			ShopID: a.ShopID, Name: name, Role: in.Role, TokenHash: hashed,
			TokenPrefix: secret[:len(tokenPrefix)+6], CreatedByID: a.UserID, CreatedAt: now,
		}
		if in.ExpiresAt != nil {
			exp := in.ExpiresAt.UTC().Truncate(time.Microsecond)
			tok.ExpiresAt = &exp
		}
		if err := tx.Create(&tok).Error; err != nil {
			return err
		}
		e.object("ApiToken", tok.ID)
		return nil
	})
	if err != nil {
		return models.APIToken{}, "", err
	}
	return tok, secret, nil
}

// RevokeAPIToken ends a token of the actor's shop at once. Revoking a
// revoked token is a no-op that returns it.
//
// Errors: FORBIDDEN unless the actor is the shop's owner; NOT_FOUND for a
// token of another shop or none.
func (s *Service) RevokeAPIToken(ctx context.Context, a Actor, id int64) (models.APIToken, error) {
	var tok models.APIToken
	e := &audit{op: OpRevokeAPIToken}
	e.object("ApiToken", id)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Where("shop_id = ? AND id = ?", a.ShopID, id).Take(&tok).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such token")
			}
			return err
		}
		if tok.RevokedAt != nil {
			return nil
		}
		now := s.clock.Now()
		tok.RevokedAt = &now
		return tx.Model(&tok).Where("shop_id = ?", a.ShopID).Update("revoked_at", now).Error
	})
	return tok, err
}

// APITokens lists the tokens of the actor's shop, newest first.
//
// Errors: FORBIDDEN unless the actor is the shop's owner.
func (s *Service) APITokens(ctx context.Context, a Actor) ([]models.APIToken, error) {
	if err := authorize(a, OpReadAPITokens); err != nil {
		return nil, err
	}
	var toks []models.APIToken
	err := s.db.WithContext(ctx).Where("shop_id = ?", a.ShopID).Order("id DESC").Find(&toks).Error
	return toks, err
}

// newSecret returns a random secret with the given prefix and its SHA-256.
// A fast hash is right here, unlike for passwords: 256 random bits cannot be
// guessed, so the hash only has to keep a database copy from being usable.
func newSecret(prefix string) (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	secret := prefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:]
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// hashPassword hashes a password with bcrypt at the service's cost.
func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.settings.PasswordCost)
	return string(h), err
}

// CurrentAPIToken returns the token an API-token actor came with.
func (s *Service) CurrentAPIToken(ctx context.Context, a Actor) (models.APIToken, error) {
	if a.Kind != ActorToken {
		return models.APIToken{}, models.Errorf(models.CodeNotFound, "no token behind this credential")
	}
	var tok models.APIToken
	err := s.db.WithContext(ctx).Where("shop_id = ? AND id = ?", a.ShopID, a.TokenID).Take(&tok).Error
	return tok, err
}
