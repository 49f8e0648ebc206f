package fulfillment

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// IdempotencyTTL is how long a key is remembered: a retry after that is a
// new request, as with Stripe's keys.
const IdempotencyTTL = 24 * time.Hour

const maxIdempotencyKey = 128

// actorKey names the actor an idempotency key belongs to: two callers never
// share a key's answer.
func actorKey(a Actor) string {
	if a.Kind == ActorToken {
		return fmt.Sprintf("token:%d", a.TokenID)
	}
	return fmt.Sprintf("user:%d", a.UserID)
}

func validIdempotencyKey(key string) error {
	if utf8.RuneCountInString(key) > maxIdempotencyKey || strings.TrimSpace(key) != key {
		return models.FieldError(models.CodeInvalidArgument, []string{"idempotencyKey"}, "an idempotency key has at most %d characters and no surrounding space", maxIdempotencyKey)
	}
	return nil
}

// claimIdempotencyKey claims the key inside the mutation's transaction,
// before any change. It returns the id of the object the first request made
// when the key was used already: the caller then changes nothing and
// answers with that object. A concurrent request with the same key waits
// here (PostgreSQL's unique index; SQLite's write lock) until the first
// commits, and then sees its answer. When the first request failed, its
// claim was rolled back with it, so the retry runs afresh.
func claimIdempotencyKey(tx *gorm.DB, a Actor, op Operation, key string, shopID int64, now time.Time) (int64, bool, error) {
	id, _, seen, err := claimIdempotencyKeyResponse(tx, a, op, key, shopID, now)
	return id, seen, err
}

// claimIdempotencyKeyResponse is claimIdempotencyKey for requests whose
// answer is kept whole (batches): it returns the first answer too.
func claimIdempotencyKeyResponse(tx *gorm.DB, a Actor, op Operation, key string, shopID int64, now time.Time) (int64, string, bool, error) {
	if key == "" {
		return 0, "", false, nil
	}
	ak := actorKey(a)
	var shop *int64
	if shopID != 0 {
		shop = &shopID
	}
	res := tx.Exec(`INSERT INTO idempotency_keys (shop_id, actor, operation, idempotency_key, object_id, created_at)
		VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (actor, operation, idempotency_key) DO NOTHING`, shop, ak, string(op), key, now)
	if res.Error != nil {
		return 0, "", false, res.Error
	}
	if res.RowsAffected == 1 {
		return 0, "", false, nil
	}
	var row struct {
		ObjectID  int64
		Response  *string
		CreatedAt time.Time
	}
	if err := tx.Raw(`SELECT object_id, response, created_at FROM idempotency_keys WHERE actor = ? AND operation = ? AND idempotency_key = ?`,
		ak, string(op), key).Scan(&row).Error; err != nil {
		return 0, "", false, err
	}
	if now.Sub(row.CreatedAt) > IdempotencyTTL {
		// Expired but not yet purged: the key starts over.
		if err := tx.Exec(`UPDATE idempotency_keys SET object_id = 0, response = NULL, created_at = ? WHERE actor = ? AND operation = ? AND idempotency_key = ?`,
			now, ak, string(op), key).Error; err != nil {
			return 0, "", false, err
		}
		return 0, "", false, nil
	}
	resp := ""
	if row.Response != nil {
		resp = *row.Response
	}
	return row.ObjectID, resp, true, nil
}

// settleIdempotencyKey records the object the request made under its key,
// with the change's last writes w: nothing in the transaction reads it.
func settleIdempotencyKey(w *writes, a Actor, op Operation, key string, objectID int64) {
	if key == "" {
		return
	}
	w.add(nil, `UPDATE idempotency_keys SET object_id = ? WHERE actor = ? AND operation = ? AND idempotency_key = ?`,
		objectID, actorKey(a), string(op), key)
}

// settleIdempotencyResponse records a request's whole answer under its key.
func settleIdempotencyResponse(tx *gorm.DB, a Actor, op Operation, key, response string) error {
	if key == "" {
		return nil
	}
	return tx.Exec(`UPDATE idempotency_keys SET response = ? WHERE actor = ? AND operation = ? AND idempotency_key = ?`,
		response, actorKey(a), string(op), key).Error
}

// purgeIdempotencyKeys deletes keys past their time.
func purgeIdempotencyKeys(db *gorm.DB, now time.Time) (int64, error) {
	res := db.Exec("DELETE FROM idempotency_keys WHERE created_at < ?", now.Add(-IdempotencyTTL))
	return res.RowsAffected, res.Error
}
