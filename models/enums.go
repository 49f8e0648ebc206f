package models

import "time"

// Role is what an account or an API token may do. Shop roles (DOMAIN.md §12)
// belong to one shop; BUYER and PLATFORM belong to none.
type Role string

// The roles. Their permissions live in one table in the domain layer.
const (
	RoleOwner      Role = "OWNER"
	RoleShipper    Role = "SHIPPER"
	RoleService    Role = "SERVICE"
	RoleOperations Role = "OPERATIONS"
	RoleViewer     Role = "VIEWER"
	RoleBuyer      Role = "BUYER"
	RolePlatform   Role = "PLATFORM"
)

// ShopRoles are the roles of a shop's staff and of its API tokens.
var ShopRoles = []Role{RoleOwner, RoleShipper, RoleService, RoleOperations, RoleViewer}

// IsShopRole tells whether r belongs to a shop's staff.
func (r Role) IsShopRole() bool {
	for _, s := range ShopRoles {
		if r == s {
			return true
		}
	}
	return false
}

// OrderStatus is where an order stands (DOMAIN.md §2).
type OrderStatus string

// The order states.
const (
	OrderPendingShipment  OrderStatus = "PENDING_SHIPMENT"
	OrderPartiallyShipped OrderStatus = "PARTIALLY_SHIPPED"
	OrderShipped          OrderStatus = "SHIPPED"
	OrderDelivered        OrderStatus = "DELIVERED"
	OrderClosed           OrderStatus = "CLOSED"
)

// OrderStatuses lists the states in their life-cycle order.
var OrderStatuses = []OrderStatus{
	OrderPendingShipment, OrderPartiallyShipped, OrderShipped, OrderDelivered, OrderClosed,
}

// PackageKind separates the packages that carry order lines from the ones
// appended later, which carry none and play no part in after-sales or
// timeliness (DOMAIN.md A5).
type PackageKind string

// The package kinds.
const (
	PackageShipment PackageKind = "SHIPMENT"
	PackageAppended PackageKind = "APPENDED"
)

// PackageStatus is the latest thing known of a package: marked shipped by the
// merchant, then the carrier's scans (DOMAIN.md §11).
type PackageStatus string

// The package states.
const (
	PackageAwaitingPickup PackageStatus = "AWAITING_PICKUP"
	PackageAccepted       PackageStatus = "ACCEPTED"
	PackagePickedUp       PackageStatus = "PICKED_UP"
	PackageInTransit      PackageStatus = "IN_TRANSIT"
	PackageOutForDelivery PackageStatus = "OUT_FOR_DELIVERY"
	PackageDelivered      PackageStatus = "DELIVERED"
	PackageException      PackageStatus = "EXCEPTION"
	PackageReturned       PackageStatus = "RETURNED"
)

// CurrencyCNY is the only currency orders are paid in today; it is stored on
// every order so that a second one needs no migration of meaning.
const CurrencyCNY = "CNY"

// ChinaTime is the zone merchants and buyers live in: days, quotas and
// working days are counted in it. China has kept UTC+8 without daylight
// saving since 1991, so a fixed zone needs no time-zone database.
var ChinaTime = time.FixedZone("CST", 8*3600)

// InterceptStatus is where a shipped package stands when its order is
// refunded.
type InterceptStatus string

// The interception states (DOMAIN.md F2).
const (
	InterceptNone     InterceptStatus = "NONE"
	InterceptRequired InterceptStatus = "INTERCEPT_REQUIRED"
	Intercepted       InterceptStatus = "INTERCEPTED"
)

// RefundStatus is an order's after-sale state.
type RefundStatus string

// The refund states.
const (
	RefundNone      RefundStatus = "NONE"
	RefundRequested RefundStatus = "REQUESTED"
	Refunded        RefundStatus = "REFUNDED"
)

// Package rules (DOMAIN.md §3, §4).
const (
	MaxAppendedPackages = 20
	AppendWindow        = 30 * 24 * time.Hour
	MaxBatchRows        = 5000
)
