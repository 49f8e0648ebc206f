package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
)

// Limits on a template's size, so that one template cannot make every
// quote slow.
const (
	maxTemplateRules   = 100
	maxTemplateRegions = 3500
)

// TemplateInput is a whole shipping template as the merchant edits it.
type TemplateInput struct {
	Name                string
	ShipFromRegion      string
	Pricing             models.PricingMode
	Default             models.FeeRule
	RegionRules         []models.RegionFeeRule
	FreeRules           []models.FreeShippingRule
	FreeExcludedRegions []string
	NonDeliveryRegions  []string
}

// validate checks rules T1 and T3 and the numbers of a template. Regions are
// compared by coverage: a province in one list and one of its districts in
// another overlap.
func (in *TemplateInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 50 {
		return models.FieldError(models.CodeInvalidArgument, []string{"name"}, "a template needs a name of 1 to 50 characters")
	}
	if !regions.Valid(in.ShipFromRegion) {
		return models.FieldError(models.CodeInvalidRegion, []string{"shipFromRegion"}, "%q is not a region code", in.ShipFromRegion)
	}
	if in.Pricing != models.PricingByPiece && in.Pricing != models.PricingByWeight {
		return models.FieldError(models.CodeInvalidArgument, []string{"pricing"}, "pricing is BY_PIECE or BY_WEIGHT")
	}
	if err := validateFee(in.Default, "defaultRule"); err != nil {
		return err
	}
	// Region lists are kept as the smallest list covering the same places
	// (T6), whichever way they were entered: a picker's every district of a
	// city is that city.
	if err := validRegions(in.FreeExcludedRegions, "freeShippingExcludedRegions"); err != nil {
		return err
	}
	if err := validRegions(in.NonDeliveryRegions, "nonDeliveryRegions"); err != nil {
		return err
	}
	in.FreeExcludedRegions = CollapseRegions(in.FreeExcludedRegions)
	in.NonDeliveryRegions = CollapseRegions(in.NonDeliveryRegions)
	if len(in.RegionRules)+len(in.FreeRules) > maxTemplateRules {
		return models.Errorf(models.CodeInvalidArgument, "a template has at most %d rules", maxTemplateRules)
	}
	total := len(in.FreeExcludedRegions) + len(in.NonDeliveryRegions)
	feeRegions := map[string]int{}
	for i, r := range in.RegionRules {
		field := fmt.Sprint(i)
		if len(r.Regions) == 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"regionRules", field, "regions"}, "a region rule needs at least one region")
		}
		if err := validRegions(r.Regions, "regionRules", field, "regions"); err != nil {
			return err
		}
		if err := validateFee(r.FeeRule, "regionRules", field); err != nil {
			return err
		}
		for _, code := range r.Regions {
			if j, ok := feeRegions[code]; ok {
				return models.FieldError(models.CodeTemplateConflict, []string{"regionRules", field, "regions"},
					"%s is in region rules %d and %d", regions.FullName(code), j+1, i+1)
			}
			feeRegions[code] = i
		}
		total += len(r.Regions)
	}
	for i, r := range in.FreeRules {
		field := fmt.Sprint(i)
		if err := validRegions(r.Regions, "freeShippingRules", field, "regions"); err != nil {
			return err
		}
		if r.Kind != models.FreeByAmount && r.Kind != models.FreeByCount {
			return models.FieldError(models.CodeInvalidArgument, []string{"freeShippingRules", field, "kind"}, "kind is AMOUNT or COUNT")
		}
		if r.Threshold < 1 {
			return models.FieldError(models.CodeInvalidArgument, []string{"freeShippingRules", field, "threshold"}, "the threshold must be at least 1")
		}
		total += len(r.Regions)
	}
	if total > maxTemplateRegions {
		return models.Errorf(models.CodeInvalidArgument, "a template names at most %d regions", maxTemplateRegions)
	}
	// T3: a region priced by a fee rule cannot also be non-delivery.
	for _, nd := range in.NonDeliveryRegions {
		for code, i := range feeRegions {
			if regions.Covers(nd, code) || regions.Covers(code, nd) {
				return models.FieldError(models.CodeTemplateConflict, []string{"nonDeliveryRegions"},
					"%s is non-delivery but region rule %d prices %s", regions.FullName(nd), i+1, regions.FullName(code))
			}
		}
	}
	return nil
}

func validateFee(r models.FeeRule, field ...string) error {
	switch {
	case r.FirstFeeCents < 0 || r.ExtraFeeCents < 0:
		return models.FieldError(models.CodeInvalidArgument, field, "fees cannot be negative")
	case r.FirstUnits < 1 || r.ExtraUnits < 1:
		return models.FieldError(models.CodeInvalidArgument, field, "the first and each further step must be at least 1 unit")
	case r.FirstUnits > 1_000_000 || r.ExtraUnits > 1_000_000 || r.FirstFeeCents > 100_000_000 || r.ExtraFeeCents > 100_000_000:
		return models.FieldError(models.CodeInvalidArgument, field, "the numbers are out of range")
	}
	return nil
}

func validRegions(codes []string, field ...string) error {
	for _, c := range codes {
		if !regions.Valid(c) {
			return models.FieldError(models.CodeInvalidRegion, field, "%q is not a region code", c)
		}
	}
	return nil
}

func dedupe(codes []string) []string {
	out := []string{}
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// CreateShippingTemplate adds a template to the actor's shop.
//
// Errors: FORBIDDEN for roles other than owner and operations;
// INVALID_REGION for a code that is no region (T1); TEMPLATE_CONFLICT for a
// region both priced and non-delivery, or priced twice (T3);
// INVALID_ARGUMENT for negative fees, zero steps, or a name empty or taken.
func (s *Service) CreateShippingTemplate(ctx context.Context, a Actor, in TemplateInput) (models.ShippingTemplate, error) {
	var t models.ShippingTemplate
	e := &audit{op: OpCreateShippingTemplate}
	if err := in.validate(); err != nil {
		return t, s.refuse(ctx, a, e, err)
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		now := s.clock.Now()
		t = templateFrom(in)
		t.ShopID, t.CreatedAt, t.UpdatedAt = a.ShopID, now, now
		if err := tx.Create(&t).Error; err != nil {
			return nameTaken(err)
		}
		e.object("ShippingTemplate", t.ID)
		return nil
	})
	return t, err
}

// UpdateShippingTemplate replaces a template of the actor's shop. Placed
// orders keep the freight they were placed with (T4).
//
// Errors: as CreateShippingTemplate, and NOT_FOUND for a template of
// another shop or none.
func (s *Service) UpdateShippingTemplate(ctx context.Context, a Actor, id int64, in TemplateInput) (models.ShippingTemplate, error) {
	return s.updateTemplate(ctx, a, id, in, nil)
}

// EditShippingTemplate is UpdateShippingTemplate for the merchant's page,
// whose editor shows the default rule, the nationwide free-by-amount rule
// and the non-delivery regions only: the template's region rules, its
// free-shipping exclusions and its other free-shipping rules stay as they
// are. Errors as for UpdateShippingTemplate.
func (s *Service) EditShippingTemplate(ctx context.Context, a Actor, id int64, in TemplateInput) (models.ShippingTemplate, error) {
	return s.updateTemplate(ctx, a, id, in, func(old models.ShippingTemplate, in *TemplateInput) {
		in.RegionRules, in.FreeExcludedRegions = old.RegionRules, old.FreeExcludedRegions
		for _, fr := range old.FreeRules {
			if fr.Kind != models.FreeByAmount || len(fr.Regions) > 0 {
				in.FreeRules = append(in.FreeRules, fr)
			}
		}
	})
}

// updateTemplate replaces a template with in, after keep (when set) has
// carried over what in leaves out of the template as it stands.
func (s *Service) updateTemplate(ctx context.Context, a Actor, id int64, in TemplateInput, keep func(old models.ShippingTemplate, in *TemplateInput)) (models.ShippingTemplate, error) {
	var t models.ShippingTemplate
	e := &audit{op: OpUpdateShippingTemplate}
	e.object("ShippingTemplate", id)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		old, err := templateOf(tx, a.ShopID, id)
		if err != nil {
			return err
		}
		in := in // a retried transaction starts again from the caller's input
		if keep != nil {
			keep(old, &in)
		}
		if err := in.validate(); err != nil {
			return err
		}
		t = templateFrom(in)
		t.ID, t.ShopID, t.CreatedAt, t.UpdatedAt = old.ID, old.ShopID, old.CreatedAt, s.clock.Now()
		return nameTaken(tx.Where("shop_id = ?", a.ShopID).Save(&t).Error)
	})
	return t, err
}

// DeleteShippingTemplate removes a template no product uses.
//
// Errors: TEMPLATE_IN_USE while products use it (T5); NOT_FOUND for a
// template of another shop or none; FORBIDDEN as for creating.
func (s *Service) DeleteShippingTemplate(ctx context.Context, a Actor, id int64) error {
	e := &audit{op: OpDeleteShippingTemplate}
	e.object("ShippingTemplate", id)
	return s.change(ctx, a, e, func(tx *gorm.DB) error {
		if _, err := templateOf(tx, a.ShopID, id); err != nil {
			return err
		}
		var used int64
		if err := tx.Model(&models.Product{}).Where("shop_id = ? AND template_id = ?", a.ShopID, id).Count(&used).Error; err != nil {
			return err
		}
		if used > 0 {
			return models.Errorf(models.CodeTemplateInUse, "%d products use this template; move them to another template first", used)
		}
		err := tx.Where("shop_id = ? AND id = ?", a.ShopID, id).Delete(&models.ShippingTemplate{}).Error
		// A product created meanwhile holds the template through its
		// foreign key.
		if errors.Is(err, gorm.ErrForeignKeyViolated) {
			return models.Errorf(models.CodeTemplateInUse, "products use this template")
		}
		return err
	})
}

func templateFrom(in TemplateInput) models.ShippingTemplate {
	return models.ShippingTemplate{
		Name: in.Name, ShipFromRegion: in.ShipFromRegion, Pricing: in.Pricing, Default: in.Default,
		RegionRules: nonNil(in.RegionRules), FreeRules: nonNil(in.FreeRules),
		FreeExcludedRegions: nonNil(in.FreeExcludedRegions), NonDeliveryRegions: nonNil(in.NonDeliveryRegions),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nameTaken(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return models.FieldError(models.CodeInvalidArgument, []string{"name"}, "the shop has a template of that name")
	}
	return err
}

func templateOf(tx *gorm.DB, shopID, id int64) (models.ShippingTemplate, error) {
	var t models.ShippingTemplate
	err := tx.Where("shop_id = ? AND id = ?", shopID, id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, models.Errorf(models.CodeNotFound, "no such shipping template in your shop")
	}
	return t, err
}

// ShippingTemplate returns one template of the actor's shop.
func (s *Service) ShippingTemplate(ctx context.Context, a Actor, id int64) (models.ShippingTemplate, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return models.ShippingTemplate{}, err
	}
	return templateOf(s.db.WithContext(ctx), a.ShopID, id)
}

// ShippingTemplates lists the actor's shop's templates by name.
func (s *Service) ShippingTemplates(ctx context.Context, a Actor) ([]models.ShippingTemplate, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return nil, err
	}
	var ts []models.ShippingTemplate
	err := s.db.WithContext(ctx).Where("shop_id = ?", a.ShopID).Order("name, id").Find(&ts).Error
	return ts, err
}

// ShippingTemplatesByID returns the actor's shop's templates among ids,
// keyed by id: one statement for a whole list of products.
func (s *Service) ShippingTemplatesByID(ctx context.Context, a Actor, ids []int64) (map[int64]models.ShippingTemplate, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return nil, err
	}
	var ts []models.ShippingTemplate
	if err := s.db.WithContext(ctx).Where("shop_id = ? AND id IN ?", a.ShopID, ids).Find(&ts).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]models.ShippingTemplate, len(ts))
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// TemplateUsage counts the products that use each of the given templates.
func (s *Service) TemplateUsage(ctx context.Context, a Actor, ids []int64) (map[int64]int64, error) {
	if err := authorize(a, OpReadShopSetup); err != nil {
		return nil, err
	}
	var rows []struct {
		TemplateID int64
		N          int64
	}
	err := s.db.WithContext(ctx).Model(&models.Product{}).Select("template_id, COUNT(*) AS n").
		Where("shop_id = ? AND template_id IN ?", a.ShopID, ids).Group("template_id").Scan(&rows).Error
	out := map[int64]int64{}
	for _, r := range rows {
		out[r.TemplateID] = r.N
	}
	return out, err
}

// NonDeliveryRegions is the shop's non-delivery regions merged across its
// templates (T6), so that ad delivery can skip them: a region wholly
// covered (every district of a city, every city of a province) is named by
// its parent alone, and a region under another in the list is dropped.
func (s *Service) NonDeliveryRegions(ctx context.Context, a Actor) ([]string, error) {
	ts, err := s.ShippingTemplates(ctx, a)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, t := range ts {
		all = append(all, t.NonDeliveryRegions...)
	}
	return CollapseRegions(all), nil
}

// CollapseRegions returns the smallest list of regions that covers exactly
// the same places as codes, sorted by code.
func CollapseRegions(codes []string) []string {
	set := map[string]bool{}
	for _, c := range codes {
		if regions.Valid(c) {
			set[c] = true
		}
	}
	// Bottom up: a parent all of whose children are in the set replaces
	// them; districts first, then cities.
	for _, level := range []regions.Level{regions.District, regions.City} {
		parents := map[string]bool{}
		for c := range set {
			if r, _ := regions.Lookup(c); r.Level == level && r.ParentCode != "" {
				parents[r.ParentCode] = true
			}
		}
		for p := range parents {
			children := regions.Children(p)
			whole := len(children) > 0
			for _, ch := range children {
				if !covered(set, ch.Code) {
					whole = false
					break
				}
			}
			if whole {
				set[p] = true
			}
		}
	}
	var out []string
	for c := range set {
		if !coveredByOther(set, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func covered(set map[string]bool, code string) bool {
	for _, r := range regions.Path(code) {
		if set[r.Code] {
			return true
		}
	}
	return false
}

func coveredByOther(set map[string]bool, code string) bool {
	path := regions.Path(code)
	for _, r := range path[:max(0, len(path)-1)] {
		if set[r.Code] {
			return true
		}
	}
	return false
}
