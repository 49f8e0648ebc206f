package fulfillment

import (
	"slices"

	"github.com/fahuo/fahuo/models"
)

// Operation names something an actor may ask to do. Mutations are named as
// in the GraphQL API, and the same name is the action in the audit log.
type Operation string

// The operations.
const (
	OpLogin                  Operation = "login"
	OpLogout                 Operation = "logout"
	OpCreateAPIToken         Operation = "createApiToken"
	OpRevokeAPIToken         Operation = "revokeApiToken"
	OpCreateStaffMember      Operation = "createStaffMember"
	OpUpdateStaffMember      Operation = "updateStaffMember"
	OpRevealRecipient        Operation = "revealRecipient"
	OpUpdatePlatformSettings Operation = "updatePlatformSettings"
	OpUpdateShopStanding     Operation = "updateShopStanding"
	OpCreateShippingTemplate Operation = "createShippingTemplate"
	OpUpdateShippingTemplate Operation = "updateShippingTemplate"
	OpDeleteShippingTemplate Operation = "deleteShippingTemplate"
	OpCreateProduct          Operation = "createProduct"
	OpUpdateProduct          Operation = "updateProduct"
	OpPlaceOrder             Operation = "placeOrder"
	OpShipOrder              Operation = "shipOrder"
	OpAppendPackages         Operation = "appendPackages"
	OpBatchShipOrders        Operation = "batchShipOrders"
	OpBatchAppendPackages    Operation = "batchAppendPackages"
	OpRequestRefund          Operation = "requestRefund"
	OpApproveRefund          Operation = "approveRefund"
	OpRejectRefund           Operation = "rejectRefund"
	OpWithdrawRefund         Operation = "withdrawRefund"
	OpMarkIntercepted        Operation = "markPackageIntercepted"
	OpRecordTrackingEvents   Operation = "recordTrackingEvents"
	OpCreateDelayReport      Operation = "createDelayReport"
	OpReviewDelayReport      Operation = "reviewDelayReport"
	OpPublishAnnouncement    Operation = "publishAnnouncement"
	OpSetShippingCapacity    Operation = "setShippingCapacity"

	OpReadOrders           Operation = "orders.read"
	OpReadAPITokens        Operation = "apiTokens.read"
	OpReadStaff            Operation = "staffMembers.read"
	OpReadAuditLog         Operation = "auditLog.read"
	OpReadPlatformSettings Operation = "platformSettings.read"
	// OpReadShopSetup covers templates, products and the non-delivery list.
	OpReadShopSetup Operation = "shopSetup.read"
	// OpReadReports covers delay reports and their evidence.
	OpReadReports Operation = "delayReports.read"
	// OpReadFigures covers the assessment figures and the capacity view.
	OpReadFigures Operation = "figures.read"
)

var (
	shopRoles = []models.Role{models.RoleOwner, models.RoleShipper, models.RoleService, models.RoleOperations, models.RoleViewer}
	everyone  = append(slices.Clone(shopRoles), models.RoleBuyer, models.RolePlatform)
)

// permissions is the one table of who may do what (DOMAIN.md R1). API
// tokens carry a role and are checked against the same table; the few
// operations a token may never do whatever its role (managing tokens and
// staff) are in userOnly. Whose objects an allowed actor reaches (own shop,
// own orders, all) is decided by each query's scope, not here.
var permissions = map[Operation][]models.Role{
	OpLogout:                 everyone,
	OpCreateAPIToken:         {models.RoleOwner},
	OpRevokeAPIToken:         {models.RoleOwner},
	OpCreateStaffMember:      {models.RoleOwner},
	OpUpdateStaffMember:      {models.RoleOwner},
	OpRevealRecipient:        {models.RoleOwner, models.RoleService},
	OpUpdatePlatformSettings: {models.RolePlatform},
	OpUpdateShopStanding:     {models.RolePlatform},
	OpCreateShippingTemplate: {models.RoleOwner, models.RoleOperations},
	OpUpdateShippingTemplate: {models.RoleOwner, models.RoleOperations},
	OpDeleteShippingTemplate: {models.RoleOwner, models.RoleOperations},
	OpCreateProduct:          {models.RoleOwner, models.RoleOperations},
	OpUpdateProduct:          {models.RoleOwner, models.RoleOperations},
	OpPlaceOrder:             {models.RoleBuyer},
	OpShipOrder:              {models.RoleOwner, models.RoleShipper},
	OpAppendPackages:         {models.RoleOwner, models.RoleShipper},
	OpBatchShipOrders:        {models.RoleOwner, models.RoleShipper},
	OpBatchAppendPackages:    {models.RoleOwner, models.RoleShipper},
	OpRequestRefund:          {models.RoleBuyer},
	OpApproveRefund:          {models.RoleOwner, models.RoleService},
	OpRejectRefund:           {models.RoleOwner, models.RoleService},
	OpWithdrawRefund:         {models.RoleBuyer},
	OpMarkIntercepted:        {models.RoleOwner, models.RoleShipper, models.RoleService},
	OpRecordTrackingEvents:   {models.RolePlatform},
	OpCreateDelayReport:      {models.RoleOwner, models.RoleOperations},
	OpReviewDelayReport:      {models.RolePlatform},
	OpPublishAnnouncement:    {models.RolePlatform},
	OpSetShippingCapacity:    {models.RoleOwner, models.RoleOperations},

	OpReadOrders:           everyone,
	OpReadAPITokens:        {models.RoleOwner},
	OpReadStaff:            {models.RoleOwner},
	OpReadAuditLog:         {models.RoleOwner, models.RolePlatform},
	OpReadPlatformSettings: {models.RolePlatform},
	OpReadShopSetup:        shopRoles,
	OpReadReports:          append(slices.Clone(shopRoles), models.RolePlatform),
	OpReadFigures:          append(slices.Clone(shopRoles), models.RolePlatform),
}

// userOnly are the operations that need a person: a leaked token must not
// be able to mint more tokens or staff logins.
var userOnly = map[Operation]bool{
	OpCreateAPIToken: true, OpRevokeAPIToken: true, OpReadAPITokens: true,
	OpCreateStaffMember: true, OpUpdateStaffMember: true, OpReadStaff: true,
}

// Permissions returns the roles allowed each operation, for documentation and
// tests.
func Permissions() map[Operation][]models.Role {
	out := make(map[Operation][]models.Role, len(permissions))
	for op, roles := range permissions {
		out[op] = slices.Clone(roles)
	}
	return out
}

// UserOnly tells whether an operation is closed to API tokens whatever
// their role.
func UserOnly(op Operation) bool { return userOnly[op] }

// Allowed tells whether the actor may do op at all.
func Allowed(a Actor, op Operation) bool { return authorize(a, op) == nil }

// authorize returns UNAUTHENTICATED for an anonymous actor and FORBIDDEN for
// a role the table does not allow.
func authorize(a Actor, op Operation) error {
	if !a.Authenticated() {
		return models.Errorf(models.CodeUnauthenticated, "please log in")
	}
	if !slices.Contains(permissions[op], a.Role) || (userOnly[op] && a.Kind != ActorUser) || (a.Kind == ActorLink && op != OpReadOrders) {
		return models.Errorf(models.CodeForbidden, "your role may not do this")
	}
	return nil
}
