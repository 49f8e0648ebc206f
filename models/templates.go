package models

import "time"

// PricingMode says what a template's units count: pieces, or grams.
type PricingMode string

// The pricing modes (按件 / 按重量).
const (
	PricingByPiece  PricingMode = "BY_PIECE"
	PricingByWeight PricingMode = "BY_WEIGHT"
)

// FeeRule prices a parcel: the first FirstUnits cost FirstFeeCents, each
// further ExtraUnits (or part of them) ExtraFeeCents. Units are pieces or
// grams, after the template's pricing mode.
type FeeRule struct {
	FirstUnits    int64 `json:"firstUnits"`
	FirstFeeCents int64 `json:"firstFeeCents"`
	ExtraUnits    int64 `json:"extraUnits"`
	ExtraFeeCents int64 `json:"extraFeeCents"`
}

// RegionFeeRule overrides the default rule for some regions.
type RegionFeeRule struct {
	Regions []string `json:"regions"`
	FeeRule
}

// FreeShippingKind is what a free-shipping condition counts.
type FreeShippingKind string

// The free-shipping conditions (满额包邮 / 满件包邮).
const (
	FreeByAmount FreeShippingKind = "AMOUNT"
	FreeByCount  FreeShippingKind = "COUNT"
)

// FreeShippingRule ships free to its regions (everywhere when empty) once
// the template's items reach Threshold: cents of goods, or pieces.
type FreeShippingRule struct {
	Regions   []string         `json:"regions"`
	Kind      FreeShippingKind `json:"kind"`
	Threshold int64            `json:"threshold"`
}

// ShippingTemplate (运费模板) prices delivery for the products that use it
// and says where they cannot go. Its rule lists are stored as JSON: a
// template is read and written whole.
type ShippingTemplate struct {
	ID                  int64
	ShopID              int64
	Name                string
	ShipFromRegion      string
	Pricing             PricingMode
	Default             FeeRule            `gorm:"embedded"`
	RegionRules         []RegionFeeRule    `gorm:"serializer:json"`
	FreeRules           []FreeShippingRule `gorm:"serializer:json"`
	FreeExcludedRegions []string           `gorm:"serializer:json"`
	NonDeliveryRegions  []string           `gorm:"serializer:json"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// PromiseMode is a product's ship-time promise (DOMAIN.md §7).
type PromiseMode string

// The promise modes: 现货, 预售, 现货+预售阶梯发货.
const (
	PromiseSpot    PromiseMode = "SPOT"
	PromisePresale PromiseMode = "PRESALE"
	PromiseTiered  PromiseMode = "TIERED"
)

// Promise bounds (DOMAIN.md P1).
const (
	SpotShipWithin        = 48 * time.Hour
	MinPresaleDays        = 3
	MaxPresaleDays        = 15
	MinTieredPresaleDays  = 3
	MaxTieredPresaleDays  = 5
	DefaultTieredMinScore = 450   // hundredths: 4.50
	DefaultTieredMinSpot  = 8000  // basis points: 80 %
	MaxScoreHundredths    = 500   // shop scores run 0 to 5
	FullShareBP           = 10000 // 100 %
)
