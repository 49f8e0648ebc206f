package fulfillment

import (
	"context"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// RequestInfo is where a request came from, for the audit log.
type RequestInfo struct {
	IP        string
	UserAgent string
}

type requestInfoKey struct{}

// WithRequestInfo returns a context carrying the request's origin.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

func requestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}

// Retention of audit entries (DOMAIN.md R2).
const (
	AuditRetention          = 180 * 24 * time.Hour
	SensitiveAuditRetention = 365 * 24 * time.Hour
)

// audit is what a mutation tells the log about itself; the mutation fills
// in the objects (and, for actors of no shop, the shop) as it learns them.
type audit struct {
	op        Operation
	shopID    int64
	objects   []string
	sensitive bool
	// actor overrides the request's actor, for login, where the actor is
	// known only once the password matched.
	actor *Actor
	// actorName names an anonymous actor, e.g. the e-mail a failed login
	// typed.
	actorName string
	// pending are the change's last writes, sent with the audit entry in
	// one round trip when the change succeeds (see writes).
	pending writes
}

func (e *audit) object(kind string, id int64) {
	e.objects = append(e.objects, models.GlobalID(kind, id))
}

// change runs a mutation: it checks the actor's role, runs fn in one
// transaction and writes the audit entry in that same transaction, so the
// change and its entry stand or fall together. When the mutation is refused
// or fails, the transaction is rolled back and the refusal is logged in a
// transaction of its own, so no attempt goes unrecorded.
func (s *Service) change(ctx context.Context, a Actor, e *audit, fn func(tx *gorm.DB) error) error {
	err := authorize(a, e.op)
	if e.op == OpLogin {
		err = nil
	}
	if err == nil {
		known := len(e.objects)
		err = database.Transact(ctx, s.db, func(tx *gorm.DB) error {
			// A retried transaction starts over with what was known
			// before it.
			e.objects = e.objects[:known]
			e.pending = writes{}
			if err := fn(tx); err != nil {
				return err
			}
			return s.writeAudit(ctx, tx, a, e, "OK", &e.pending)
		})
	}
	if err != nil && (a.Authenticated() || e.op == OpLogin) {
		outcome := string(models.ErrorCodeOf(err))
		if werr := s.writeAudit(ctx, s.db.WithContext(ctx), a, e, outcome, &writes{}); werr != nil {
			s.log.ErrorContext(ctx, "write audit entry of a refused action", "action", e.op, "err", werr)
		}
	}
	return err
}

// Limits on what one audit entry keeps of request-supplied text.
const (
	maxAuditUserAgent = 256
	maxAuditName      = 128
)

// writeAudit adds the audit entry to w and sends w.
func (s *Service) writeAudit(ctx context.Context, tx *gorm.DB, a Actor, e *audit, outcome string, w *writes) error {
	if e.actor != nil {
		a = *e.actor
	}
	ri := requestInfoFrom(ctx)
	objects, err := json.Marshal(append([]string{}, e.objects...))
	if err != nil {
		return err
	}
	entry := models.AuditEntry{
		At: s.clock.Now(), ActorKind: string(a.Kind), ActorName: truncate(a.Name, maxAuditName),
		IP: truncate(ri.IP, 64), UserAgent: truncate(ri.UserAgent, maxAuditUserAgent),
		Action: string(e.op), ObjectIDs: string(objects), Outcome: outcome, Sensitive: e.sensitive,
	}
	switch a.Kind {
	case ActorUser:
		entry.ActorUserID = &a.UserID
	case ActorToken:
		entry.ActorTokenID = &a.TokenID
	default:
		entry.ActorKind = "ANONYMOUS"
		entry.ActorName = truncate(e.actorName, maxAuditName)
	}
	shop := e.shopID
	if shop == 0 {
		shop = a.ShopID
	}
	if shop != 0 {
		entry.ShopID = &shop
	}
	w.insert("audit_log", []string{"shop_id", "at", "actor_kind", "actor_user_id", "actor_token_id", "actor_name", "ip",
		"user_agent", "action", "object_ids", "outcome", "sensitive"},
		[][]any{{entry.ShopID, entry.At, entry.ActorKind, entry.ActorUserID, entry.ActorTokenID, entry.ActorName, entry.IP,
			entry.UserAgent, entry.Action, entry.ObjectIDs, entry.Outcome, entry.Sensitive}})
	return w.flush(tx)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// AuditFilter narrows the audit log. Zero fields do not filter.
type AuditFilter struct {
	ActorUserID  int64
	ActorTokenID int64
	Action       string
	// ObjectID is a global id the entry must name.
	ObjectID string
	From, To *time.Time
}

// AuditPage is one page of the log, newest first.
type AuditPage struct {
	Entries     []models.AuditEntry
	HasNextPage bool
}

// AuditLog lists audit entries, newest first: a shop's owner sees the
// shop's entries, the platform all.
//
// Errors: FORBIDDEN for other roles; INVALID_ARGUMENT for a page size out of
// range or a foreign cursor.
func (s *Service) AuditLog(ctx context.Context, a Actor, f AuditFilter, first int, after string) (AuditPage, error) {
	if err := authorize(a, OpReadAuditLog); err != nil {
		return AuditPage{}, err
	}
	if first < 1 || first > MaxPageSize {
		return AuditPage{}, models.FieldError(models.CodeInvalidArgument, []string{"first"}, "page size must be 1 to %d", MaxPageSize)
	}
	q := s.db.WithContext(ctx).Model(&models.AuditEntry{})
	if a.Role != models.RolePlatform {
		q = q.Where("shop_id = ?", a.ShopID)
	}
	if f.ActorUserID != 0 {
		q = q.Where("actor_user_id = ?", f.ActorUserID)
	}
	if f.ActorTokenID != 0 {
		q = q.Where("actor_token_id = ?", f.ActorTokenID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ObjectID != "" {
		quoted, _ := json.Marshal(f.ObjectID)
		q = q.Where("object_ids LIKE ?", "%"+likeEscape(string(quoted))+"%")
	}
	if f.From != nil {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("at < ?", f.To.UTC())
	}
	if after != "" {
		id, err := decodeIDCursor(after)
		if err != nil {
			return AuditPage{}, err
		}
		q = q.Where("id < ?", id)
	}
	var entries []models.AuditEntry
	if err := q.Order("id DESC").Limit(first + 1).Find(&entries).Error; err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Entries: entries}
	if len(entries) > first {
		page.Entries, page.HasNextPage = entries[:first], true
	}
	return page, nil
}

// likeEscape keeps LIKE's wildcards in a searched string literal. The
// object ids it is used for hold none, but a caller's filter might.
func likeEscape(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

// PurgeAuditLog deletes the entries past retention (180 days, 365 for
// plaintext reveals and exports), in small batches so that no long lock is
// held. It is the only code that deletes entries. Two servers running it at
// once delete the same rows harmlessly.
func (s *Service) PurgeAuditLog(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	var total int64
	for {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM audit_log WHERE id IN (
			SELECT id FROM audit_log WHERE (sensitive = ? AND at < ?) OR (sensitive = ? AND at < ?) LIMIT 1000)`,
			false, now.Add(-AuditRetention), true, now.Add(-SensitiveAuditRetention))
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
		if res.RowsAffected < 1000 {
			return total, nil
		}
	}
}

// RunRetention purges the audit log and expired idempotency keys every
// period until ctx ends.
func (s *Service) RunRetention(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.PurgeAuditLog(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.ErrorContext(ctx, "audit retention", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "audit retention", "deleted", n)
		}
		if n, err := purgeIdempotencyKeys(s.db.WithContext(ctx), s.clock.Now()); err != nil && !errors.Is(err, context.Canceled) {
			s.log.ErrorContext(ctx, "idempotency key retention", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "idempotency key retention", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
