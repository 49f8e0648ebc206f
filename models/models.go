package models

import "time"

// Shop is a merchant's store: the unit that owns orders, products and staff,
// and the unit Fahuo shards by when it outgrows one database.
type Shop struct {
	ID   int64
	Name string
	// ScoreHundredths is the shop score (店铺分) × 100, 0 to 500.
	ScoreHundredths int
	// SpotShareBP is the share of spot orders (现货订单占比) in basis points.
	SpotShareBP int `gorm:"column:spot_share_bp"`
	// DailyCapacity is how many orders a day the shop can ship (发货能力);
	// nil when not set.
	DailyCapacity *int64
	CreatedAt     time.Time
}

// User is a person who logs in: a shop's staff member, a buyer or a platform
// operator. Staff have a ShopID and a shop role; buyers and operators have
// neither.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string
	Role         Role
	ShopID       *int64
	DisabledAt   *time.Time
	CreatedAt    time.Time
}

// Session is a login: the API token that `login` returns or the web page's
// cookie. Only the SHA-256 of the secret is stored, so a copy of the
// database lets no one log in.
type Session struct {
	ID        int64
	UserID    int64
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// APIToken is a credential a merchant gives a third-party tool: scoped to one
// shop, with one role, stored hashed and shown once.
type APIToken struct {
	ID          int64
	ShopID      int64
	Name        string
	Role        Role
	TokenHash   []byte
	TokenPrefix string
	CreatedByID int64
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
}

// TableName keeps gorm from naming the table "api_tokens" differently on a
// future inflection change.
func (APIToken) TableName() string { return "api_tokens" }

// Product is a sellable item of a shop (one SKU).
type Product struct {
	ID          int64
	ShopID      int64
	Title       string
	SKU         string `gorm:"column:sku"`
	PriceCents  int64
	WeightGrams int64
	// Stock is every unit left to sell; SpotStock, for tiered products, the
	// part of it that ships as spot.
	Stock       int64
	TemplateID  *int64
	PromiseMode PromiseMode
	// PresaleDays is the presale window: N for PRESALE, the short window of
	// the units past the spot stock for TIERED.
	PresaleDays int
	SpotStock   int64
	CreatedAt   time.Time
	UpdatedAt   *time.Time
}

// Order is a paid order of one buyer at one shop. Prices, freight and the
// receiving region's names are copies taken when it was placed, so later
// edits of products, templates or region names change no placed order.
type Order struct {
	ID             int64
	ShopID         int64
	Number         string
	BuyerID        int64
	Status         OrderStatus
	RecipientName  string
	RecipientPhone string
	RegionCode     string
	RegionName     string
	AddressDetail  string
	// ShipFromRegion is where the order leaves from, taken from its
	// products' template when it was placed (announcements cover it).
	ShipFromRegion string
	Currency       string
	FreightCents   int64
	TotalCents     int64
	PaidAt         time.Time
	PromisedShipBy time.Time
	FirstShippedAt *time.Time
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	ClosedAt       *time.Time
	// RefundStatus is the order's after-sale state (F1: per order, never
	// per package).
	RefundStatus      RefundStatus `gorm:"default:NONE"`
	RefundReason      string
	RefundRequestedAt *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// OrderLine is one product of an order with its quantity and unit price as
// paid.
type OrderLine struct {
	ID             int64
	ShopID         int64
	OrderID        int64
	LineNo         int64
	ProductID      int64
	SKU            string `gorm:"column:sku"`
	Title          string
	Quantity       int64
	UnitPriceCents int64
	// SpotQuantity is how many of the units were sold as spot.
	SpotQuantity int64
	// PromisedShipBy is the latest promise among the line's units.
	PromisedShipBy *time.Time
}

// Package is one parcel of an order with its carrier and tracking number.
// Shipment packages carry order lines; appended ones carry none and are
// numbered 1 to 20 in AppendSeq.
type Package struct {
	ID             int64
	ShopID         int64
	OrderID        int64
	Kind           PackageKind
	AppendSeq      *int64
	CarrierCode    string
	TrackingNumber string
	Status         PackageStatus
	ShippedAt      time.Time
	DeliveredAt    *time.Time
	// InterceptStatus follows a refund of a shipped order (DOMAIN.md F2).
	InterceptStatus InterceptStatus `gorm:"default:NONE"`
	// PickedUpAt is the carrier's first scan, for the pickup-anomaly figure.
	PickedUpAt *time.Time
	// StatusAt is the time of the scan that set Status.
	StatusAt  *time.Time
	CreatedAt time.Time
}

// PackageLine says how many units of an order line a shipment package holds.
type PackageLine struct {
	ID          int64
	ShopID      int64
	PackageID   int64
	OrderLineID int64
	Quantity    int64
}

// AuditEntry is one line of the append-only audit log: who did what to
// which objects, from where, and how it ended. The application only ever
// inserts entries; the retention job is the one thing that deletes them.
type AuditEntry struct {
	ID           int64
	ShopID       *int64
	At           time.Time
	ActorKind    string
	ActorUserID  *int64
	ActorTokenID *int64
	ActorName    string
	IP           string `gorm:"column:ip"`
	UserAgent    string
	Action       string
	// ObjectIDs is a JSON array of global ids.
	ObjectIDs string `gorm:"column:object_ids"`
	// Outcome is "OK" or the error code that refused the action.
	Outcome string
	// Sensitive marks plaintext reveals and exports, kept 365 days
	// instead of 180.
	Sensitive bool
}

// TableName names the log in the singular, as a log is one thing.
func (AuditEntry) TableName() string { return "audit_log" }

// PlatformSettings are the numbers the platform tunes for every shop.
type PlatformSettings struct {
	ID               int64
	RevealDailyQuota int64
	// The shop standing a shop needs to sell TIERED products (DOMAIN.md P2).
	TieredMinScoreHundredths int
	TieredMinSpotShareBP     int `gorm:"column:tiered_min_spot_share_bp"`
	UpdatedAt                time.Time
}

// DefaultRevealDailyQuota applies until the platform sets its own.
const DefaultRevealDailyQuota = 1000

// Waybill is a carrier + tracking number claimed by an order (S4).
type Waybill struct {
	CarrierCode    string `gorm:"primaryKey"`
	TrackingNumber string `gorm:"primaryKey"`
	ShopID         int64
	OrderID        int64
	BuyerID        int64
	AddressKey     string
	CreatedAt      time.Time
}

// TrackingEvent is one carrier scan of a waybill.
type TrackingEvent struct {
	ID             int64
	ShopID         int64
	CarrierCode    string
	TrackingNumber string
	Status         PackageStatus
	OccurredAt     time.Time
	Place          string
	Description    string
	CreatedAt      time.Time
}

// OrderEvent is a line of an order's history: a shipment, an append, a
// refund step, an interception, a delivery.
type OrderEvent struct {
	ID        int64
	ShopID    int64
	OrderID   int64
	At        time.Time
	ActorName string
	Action    string
	Detail    string
}
