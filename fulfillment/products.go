package fulfillment

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// ProductInput describes a product; on update, nil fields stay as they are.
type ProductInput struct {
	Title       *string
	SKU         *string
	PriceCents  *int64
	WeightGrams *int64
	Stock       *int64
	TemplateID  *int64
	Promise     *PromiseInput
}

// PromiseInput is a ship-time promise (DOMAIN.md P1).
type PromiseInput struct {
	Mode models.PromiseMode
	// PresaleDays: 3-15 for PRESALE, 3-5 for TIERED's units past the spot
	// stock.
	PresaleDays int
	// SpotStock: for TIERED, how many units ship as spot.
	SpotStock int64
}

func (in PromiseInput) validate() error {
	switch in.Mode {
	case models.PromiseSpot:
		if in.PresaleDays != 0 || in.SpotStock != 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"promise"}, "a spot promise takes no presale days or spot stock")
		}
	case models.PromisePresale:
		if in.PresaleDays < models.MinPresaleDays || in.PresaleDays > models.MaxPresaleDays {
			return models.FieldError(models.CodeInvalidArgument, []string{"promise", "presaleDays"}, "presale ships within %d to %d days", models.MinPresaleDays, models.MaxPresaleDays)
		}
		if in.SpotStock != 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"promise", "spotStock"}, "a presale product has no spot stock")
		}
	case models.PromiseTiered:
		if in.PresaleDays < models.MinTieredPresaleDays || in.PresaleDays > models.MaxTieredPresaleDays {
			return models.FieldError(models.CodeInvalidArgument, []string{"promise", "presaleDays"},
				"tiered presale ships within %d to %d days; longer lead times belong in a full presale", models.MinTieredPresaleDays, models.MaxTieredPresaleDays)
		}
		if in.SpotStock < 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"promise", "spotStock"}, "the spot stock cannot be negative")
		}
	default:
		return models.FieldError(models.CodeInvalidArgument, []string{"promise", "mode"}, "the promise is SPOT, PRESALE or TIERED")
	}
	return nil
}

// apply checks and copies the input onto p; creating is updating an empty
// product with every field given.
func (in ProductInput) apply(p *models.Product, creating bool) error {
	if creating && (in.Title == nil || in.PriceCents == nil || in.Stock == nil || in.TemplateID == nil || in.Promise == nil) {
		return models.Errorf(models.CodeInvalidArgument, "a new product needs a title, price, stock, shipping template and promise")
	}
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if t == "" || utf8.RuneCountInString(t) > 100 {
			return models.FieldError(models.CodeInvalidArgument, []string{"title"}, "a title has 1 to 100 characters")
		}
		p.Title = t
	}
	if in.SKU != nil {
		if utf8.RuneCountInString(*in.SKU) > 64 {
			return models.FieldError(models.CodeInvalidArgument, []string{"sku"}, "a SKU has at most 64 characters")
		}
		p.SKU = strings.TrimSpace(*in.SKU)
	}
	if in.PriceCents != nil {
		if *in.PriceCents < 0 || *in.PriceCents > 100_000_000 {
			return models.FieldError(models.CodeInvalidArgument, []string{"price"}, "the price is 0 to ¥1,000,000")
		}
		p.PriceCents = *in.PriceCents
	}
	if in.WeightGrams != nil {
		if *in.WeightGrams < 0 || *in.WeightGrams > 1_000_000 {
			return models.FieldError(models.CodeInvalidArgument, []string{"weightGrams"}, "the weight is 0 to 1,000 kg")
		}
		p.WeightGrams = *in.WeightGrams
	}
	if in.Stock != nil {
		if *in.Stock < 0 || *in.Stock > 100_000_000 {
			return models.FieldError(models.CodeInvalidArgument, []string{"stock"}, "the stock is 0 to 100,000,000")
		}
		p.Stock = *in.Stock
	}
	if in.Promise != nil {
		if err := in.Promise.validate(); err != nil {
			return err
		}
		p.PromiseMode, p.PresaleDays, p.SpotStock = in.Promise.Mode, in.Promise.PresaleDays, in.Promise.SpotStock
	}
	if p.PromiseMode == models.PromiseTiered && p.SpotStock > p.Stock {
		return models.FieldError(models.CodeInvalidArgument, []string{"promise", "spotStock"}, "the spot stock cannot exceed the stock")
	}
	return nil
}

// CreateProduct adds a product to the actor's shop.
//
// Errors: FORBIDDEN for roles other than owner and operations;
// INVALID_ARGUMENT for a missing field, numbers out of range, or a promise
// outside P1; NOT_FOUND for a template not of the shop;
// TIERED_NOT_ELIGIBLE for a TIERED promise when the shop's score or
// spot-order share is below the platform's thresholds (P2).
func (s *Service) CreateProduct(ctx context.Context, a Actor, in ProductInput) (models.Product, error) {
	var p models.Product
	e := &audit{op: OpCreateProduct}
	if err := in.apply(&p, true); err != nil {
		return p, s.refuse(ctx, a, e, err)
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if _, err := templateOf(tx, a.ShopID, *in.TemplateID); err != nil {
			return withField(err, "templateId")
		}
		if p.PromiseMode == models.PromiseTiered {
			if err := tieredEligible(tx, a.ShopID); err != nil {
				return err
			}
		}
		p.ShopID, p.TemplateID, p.CreatedAt = a.ShopID, in.TemplateID, s.clock.Now()
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		e.object("Product", p.ID)
		return nil
	})
	return p, err
}

// UpdateProduct changes a product of the actor's shop. Switching to TIERED
// needs an eligible shop (P2); a product already TIERED stays on sale and
// editable when the shop later falls below the thresholds (P3).
//
// Errors: as CreateProduct, and NOT_FOUND for a product of another shop.
func (s *Service) UpdateProduct(ctx context.Context, a Actor, id int64, in ProductInput) (models.Product, error) {
	var p models.Product
	e := &audit{op: OpUpdateProduct}
	e.object("Product", id)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate).Where("shop_id = ? AND id = ?", a.ShopID, id).Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such product in your shop")
			}
			return err
		}
		wasTiered := p.PromiseMode == models.PromiseTiered
		if err := in.apply(&p, false); err != nil {
			return err
		}
		if in.TemplateID != nil {
			if _, err := templateOf(tx, a.ShopID, *in.TemplateID); err != nil {
				return withField(err, "templateId")
			}
			p.TemplateID = in.TemplateID
		}
		if p.PromiseMode == models.PromiseTiered && !wasTiered {
			if err := tieredEligible(tx, a.ShopID); err != nil {
				return err
			}
		}
		now := s.clock.Now()
		p.UpdatedAt = &now
		return tx.Where("shop_id = ?", a.ShopID).Save(&p).Error
	})
	return p, err
}

func withField(err error, field string) error {
	if e, ok := models.AsError(err); ok && len(e.Field) == 0 {
		e.Field = []string{field}
	}
	return err
}

// tieredEligible checks P2 against the shop's standing and the platform's
// thresholds.
func tieredEligible(tx *gorm.DB, shopID int64) error {
	var shop models.Shop
	if err := tx.Take(&shop, shopID).Error; err != nil {
		return err
	}
	st, err := loadPlatformSettings(tx)
	if err != nil {
		return err
	}
	if shop.ScoreHundredths < st.TieredMinScoreHundredths || shop.SpotShareBP < st.TieredMinSpotShareBP {
		return models.FieldError(models.CodeTieredNotEligible, []string{"promise", "mode"},
			"tiered shipping needs a shop score of at least %.2f and a spot-order share of at least %.0f%% (the shop has %.2f and %.0f%%)",
			float64(st.TieredMinScoreHundredths)/100, float64(st.TieredMinSpotShareBP)/100,
			float64(shop.ScoreHundredths)/100, float64(shop.SpotShareBP)/100)
	}
	return nil
}

// Product returns a product of the actor's shop.
func (s *Service) Product(ctx context.Context, a Actor, id int64) (models.Product, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return models.Product{}, err
	}
	var p models.Product
	err := s.db.WithContext(ctx).Where("shop_id = ? AND id = ?", a.ShopID, id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, models.Errorf(models.CodeNotFound, "no such product")
	}
	return p, err
}

// Products lists the actor's shop's products by id.
func (s *Service) Products(ctx context.Context, a Actor) ([]models.Product, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return nil, err
	}
	var ps []models.Product
	err := s.db.WithContext(ctx).Where("shop_id = ?", a.ShopID).Order("id").Limit(1000).Find(&ps).Error
	return ps, err
}

// UpdateShopStanding records a shop's score and spot-order share, as the
// platform's scoring computes them.
//
// Errors: FORBIDDEN for everyone but the platform; NOT_FOUND for no such
// shop; INVALID_ARGUMENT for a score outside 0-5 or a share outside 0-1.
func (s *Service) UpdateShopStanding(ctx context.Context, a Actor, shopID int64, scoreHundredths, spotShareBP int) (models.Shop, error) {
	var shop models.Shop
	e := &audit{op: OpUpdateShopStanding, shopID: shopID}
	e.object("Shop", shopID)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if scoreHundredths < 0 || scoreHundredths > models.MaxScoreHundredths {
			return models.FieldError(models.CodeInvalidArgument, []string{"score"}, "a shop score runs from 0 to 5")
		}
		if spotShareBP < 0 || spotShareBP > models.FullShareBP {
			return models.FieldError(models.CodeInvalidArgument, []string{"spotOrderShare"}, "a share runs from 0 to 1")
		}
		if err := tx.Take(&shop, shopID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such shop")
			}
			return err
		}
		shop.ScoreHundredths, shop.SpotShareBP = scoreHundredths, spotShareBP
		return tx.Model(&shop).Updates(map[string]any{"score_hundredths": scoreHundredths, "spot_share_bp": spotShareBP}).Error
	})
	return shop, err
}
