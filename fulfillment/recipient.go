package fulfillment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/fahuo/fahuo/models"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// RecipientField names a part of the recipient that is masked until
// revealed (DOMAIN.md R3, R4).
type RecipientField string

// The maskable fields.
const (
	FieldName    RecipientField = "NAME"
	FieldPhone   RecipientField = "PHONE"
	FieldAddress RecipientField = "ADDRESS"
)

// RecipientFields lists them in display order.
var RecipientFields = []RecipientField{FieldName, FieldPhone, FieldAddress}

// RevealWindow is how long after delivery or closing plaintext can still be
// revealed.
const RevealWindow = 14 * 24 * time.Hour

// Recipient is an order's receiving party as one actor may see it: masked
// for the shop's staff, tokens and the platform, in full for the buyer and
// for fields just revealed. AddressKey is the same for the same address
// whoever looks, so merged shipping and de-duplication need no plaintext.
type Recipient struct {
	Name          string
	Phone         string
	RegionCode    string
	RegionName    string
	AddressDetail string
	// Masked lists the fields shown masked.
	Masked []RecipientField

	// keyed and secret are what AddressKey hashes, kept so that the hash
	// is computed only for callers that read it (a page of 50 orders asks
	// for names and cities far more often than for keys).
	keyed  addressParts
	secret []byte
}

// addressParts are the unmasked recipient fields an address key covers.
type addressParts [4]string

func partsOf(o models.Order) addressParts {
	return addressParts{o.RecipientName, o.RecipientPhone, o.RegionCode, o.AddressDetail}
}

// AddressKey is the keyed hash of the unmasked recipient and address (see
// Service.addressKey).
func (r Recipient) AddressKey() string {
	if r.secret == nil {
		return ""
	}
	return addressKey(r.secret, r.keyed)
}

// RecipientOf returns the order's recipient as the actor may see it: in
// full for the order's buyer, masked for everyone else.
func (s *Service) RecipientOf(a Actor, o models.Order) Recipient {
	r := Recipient{
		Name: o.RecipientName, Phone: o.RecipientPhone, RegionCode: o.RegionCode, RegionName: o.RegionName,
		AddressDetail: o.AddressDetail, keyed: partsOf(o), secret: s.settings.AddressKey,
	}
	if a.Role == models.RoleBuyer && a.UserID == o.BuyerID {
		return r
	}
	return r.mask(RecipientFields...)
}

func (r Recipient) mask(fields ...RecipientField) Recipient {
	for _, f := range fields {
		switch f {
		case FieldName:
			r.Name = MaskName(r.Name)
		case FieldPhone:
			r.Phone = MaskPhone(r.Phone)
		case FieldAddress:
			r.AddressDetail = MaskAddress(r.AddressDetail)
		}
		r.Masked = append(r.Masked, f)
	}
	return r
}

// MaskName keeps the family name: 张三 → 张*.
func MaskName(name string) string {
	runes := []rune(strings.TrimSpace(name))
	if len(runes) == 0 {
		return ""
	}
	return string(runes[0]) + strings.Repeat("*", max(1, len(runes)-1))
}

// MaskPhone keeps the network prefix and the last four digits, as couriers
// print them: 13800138000 → 138****8000.
func MaskPhone(phone string) string {
	digits := []rune(strings.TrimSpace(phone))
	if len(digits) < 8 {
		return "****"
	}
	return string(digits[:3]) + "****" + string(digits[len(digits)-4:])
}

// MaskAddress keeps the first two characters of the street address, enough
// to tell a district's parts apart, and hides the rest.
func MaskAddress(detail string) string {
	runes := []rune(strings.TrimSpace(detail))
	if len(runes) <= 2 {
		return "****"
	}
	return string(runes[:2]) + "****"
}

// addressKey is a keyed hash of the normalised recipient and address: equal
// for equal addresses however they were typed (width, case, spacing), and
// useless to anyone without the key.
func (s *Service) addressKey(o models.Order) string {
	return addressKey(s.settings.AddressKey, partsOf(o))
}

func addressKey(secret []byte, parts addressParts) string {
	mac := hmac.New(sha256.New, secret)
	for _, part := range parts {
		mac.Write([]byte(normalizeAddressPart(part)))
		mac.Write([]byte{0})
	}
	return "ak_" + hex.EncodeToString(mac.Sum(nil)[:16])
}

func normalizeAddressPart(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// RevealRecipient shows fields of an order's recipient in plaintext. Each
// field revealed counts one against the shop's daily quota (days in China
// time), and every reveal is in the audit log, kept 365 days.
//
// Errors: FORBIDDEN for roles that may not see plaintext (only the owner and
// customer service may, and tokens with those roles), and once the order has
// been delivered or closed for 14 days; NOT_FOUND for an order not in the
// actor's shop; INVALID_ARGUMENT for no or unknown fields; QUOTA_EXCEEDED
// past the daily quota.
func (s *Service) RevealRecipient(ctx context.Context, a Actor, orderID int64, fields []RecipientField) (Recipient, error) {
	var r Recipient
	e := &audit{op: OpRevealRecipient, sensitive: true}
	e.object("Order", orderID)
	want, err := revealFields(fields)
	if err != nil {
		return r, s.refuse(ctx, a, e, err)
	}
	err = s.change(ctx, a, e, func(tx *gorm.DB) error {
		var o models.Order
		if err := tx.Where("shop_id = ? AND id = ?", a.ShopID, orderID).Take(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such order")
			}
			return err
		}
		now := s.clock.Now()
		if err := revealable(o, now); err != nil {
			return err
		}
		if err := s.countReveals(tx, a.ShopID, now, int64(len(want))); err != nil {
			return err
		}
		full := s.RecipientOf(Actor{Role: models.RoleBuyer, UserID: o.BuyerID}, o)
		var hidden []RecipientField
		for _, f := range RecipientFields {
			if !slices.Contains(want, f) {
				hidden = append(hidden, f)
			}
		}
		r = full.mask(hidden...)
		return nil
	})
	return r, err
}

// revealable checks that an order's recipient may still be revealed: not
// 14 days or more after the order was delivered or closed.
func revealable(o models.Order, now time.Time) *models.Error {
	for _, ended := range []*time.Time{o.DeliveredAt, o.ClosedAt} {
		if ended != nil && !now.Before(ended.Add(RevealWindow)) {
			return models.Errorf(models.CodeForbidden, "the order ended more than 14 days ago; its recipient can no longer be revealed")
		}
	}
	return nil
}

func revealFields(fields []RecipientField) ([]RecipientField, error) {
	var want []RecipientField
	for _, f := range fields {
		if !slices.Contains(RecipientFields, f) {
			return nil, models.FieldError(models.CodeInvalidArgument, []string{"fields"}, "%q is not a recipient field", f)
		}
		if !slices.Contains(want, f) {
			want = append(want, f)
		}
	}
	if len(want) == 0 {
		return nil, models.FieldError(models.CodeInvalidArgument, []string{"fields"}, "name at least one field to reveal")
	}
	return want, nil
}

// countReveals adds n to the shop's reveals of the day, or refuses when
// that would pass the quota. The check and the increment are one statement,
// so parallel reveals can never pass the quota together.
func (s *Service) countReveals(tx *gorm.DB, shopID int64, now time.Time, n int64) error {
	quota, err := revealQuota(tx)
	if err != nil {
		return err
	}
	exceeded := models.Errorf(models.CodeQuotaExceeded, "the shop's daily quota of %d reveals is used up", quota)
	if n > quota {
		return exceeded
	}
	day := now.In(models.ChinaTime).Format(time.DateOnly)
	var used []int64
	err = tx.Raw(`INSERT INTO reveal_usage (shop_id, day, used) VALUES (?, ?, ?)
		ON CONFLICT (shop_id, day) DO UPDATE SET used = reveal_usage.used + excluded.used
		WHERE reveal_usage.used + excluded.used <= ?
		RETURNING used`, shopID, day, n, quota).Scan(&used).Error
	if err != nil {
		return err
	}
	if len(used) == 0 {
		return exceeded
	}
	return nil
}

// RevealsUsed returns how many reveals the actor's shop has used today.
func (s *Service) RevealsUsed(ctx context.Context, a Actor) (used, quota int64, err error) {
	if err := authorize(a, OpRevealRecipient); err != nil {
		return 0, 0, err
	}
	day := s.clock.Now().In(models.ChinaTime).Format(time.DateOnly)
	if err := s.db.WithContext(ctx).Raw("SELECT COALESCE(SUM(used), 0) FROM reveal_usage WHERE shop_id = ? AND day = ?", a.ShopID, day).
		Scan(&used).Error; err != nil {
		return 0, 0, err
	}
	quota, err = revealQuota(s.db.WithContext(ctx))
	return used, quota, err
}

func revealQuota(tx *gorm.DB) (int64, error) {
	st, err := loadPlatformSettings(tx)
	return st.RevealDailyQuota, err
}

// loadPlatformSettings reads the settings, with the defaults for a platform
// that never changed them.
func loadPlatformSettings(tx *gorm.DB) (models.PlatformSettings, error) {
	var st []models.PlatformSettings
	if err := tx.Where("id = 1").Find(&st).Error; err != nil {
		return models.PlatformSettings{}, err
	}
	if len(st) == 0 {
		return models.PlatformSettings{
			ID: 1, RevealDailyQuota: models.DefaultRevealDailyQuota,
			TieredMinScoreHundredths: models.DefaultTieredMinScore, TieredMinSpotShareBP: models.DefaultTieredMinSpot,
		}, nil
	}
	return st[0], nil
}

// PlatformSettings returns the platform's settings.
//
// Errors: FORBIDDEN for everyone but the platform.
func (s *Service) PlatformSettings(ctx context.Context, a Actor) (models.PlatformSettings, error) {
	if err := authorize(a, OpReadPlatformSettings); err != nil {
		return models.PlatformSettings{}, err
	}
	return loadPlatformSettings(s.db.WithContext(ctx))
}

// PlatformSettingsUpdate changes some settings; nil fields stay.
type PlatformSettingsUpdate struct {
	RevealDailyQuota         *int64
	TieredMinScoreHundredths *int
	TieredMinSpotShareBP     *int
}

// UpdatePlatformSettings changes the platform's settings.
//
// Errors: FORBIDDEN for everyone but the platform; INVALID_ARGUMENT for a
// negative quota, or a threshold outside 0-5 (score) or 0-100 % (share).
func (s *Service) UpdatePlatformSettings(ctx context.Context, a Actor, in PlatformSettingsUpdate) (models.PlatformSettings, error) {
	var st models.PlatformSettings
	err := s.change(ctx, a, &audit{op: OpUpdatePlatformSettings}, func(tx *gorm.DB) error {
		var err error
		if st, err = loadPlatformSettings(tx); err != nil {
			return err
		}
		if v := in.RevealDailyQuota; v != nil {
			if *v < 0 {
				return models.FieldError(models.CodeInvalidArgument, []string{"revealDailyQuota"}, "the quota cannot be negative")
			}
			st.RevealDailyQuota = *v
		}
		if v := in.TieredMinScoreHundredths; v != nil {
			if *v < 0 || *v > models.MaxScoreHundredths {
				return models.FieldError(models.CodeInvalidArgument, []string{"tieredMinShopScore"}, "a shop score runs from 0 to 5")
			}
			st.TieredMinScoreHundredths = *v
		}
		if v := in.TieredMinSpotShareBP; v != nil {
			if *v < 0 || *v > models.FullShareBP {
				return models.FieldError(models.CodeInvalidArgument, []string{"tieredMinSpotShare"}, "a share runs from 0 to 1")
			}
			st.TieredMinSpotShareBP = *v
		}
		st.ID, st.UpdatedAt = 1, s.clock.Now()
		return tx.Exec(`INSERT INTO platform_settings (id, reveal_daily_quota, tiered_min_score_hundredths, tiered_min_spot_share_bp, updated_at)
			VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET reveal_daily_quota = excluded.reveal_daily_quota,
				tiered_min_score_hundredths = excluded.tiered_min_score_hundredths,
				tiered_min_spot_share_bp = excluded.tiered_min_spot_share_bp, updated_at = excluded.updated_at`,
			st.RevealDailyQuota, st.TieredMinScoreHundredths, st.TieredMinSpotShareBP, st.UpdatedAt).Error
	})
	return st, err
}
