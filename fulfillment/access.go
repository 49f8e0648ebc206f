package fulfillment

import (
	"slices"

	"github.com/fahuo/fahuo/models"
)

// Operation names something an actor may ask to do; the table below says
// which roles may. Resolvers and page handlers never decide this themselves.
type Operation string

// The operations.
const (
	OpReadOrders      Operation = "orders.read"
	OpManageAPITokens Operation = "apiTokens.manage"
)

// permissions is the one table of who may do what (DOMAIN.md R1). Whose
// objects an allowed actor reaches (own shop, own orders, all) is decided by
// the scope of each query, not here.
var permissions = map[Operation][]models.Role{
	OpReadOrders: {
		models.RoleOwner, models.RoleShipper, models.RoleService, models.RoleOperations,
		models.RoleViewer, models.RoleBuyer, models.RolePlatform,
	},
	OpManageAPITokens: {models.RoleOwner},
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

// authorize returns UNAUTHENTICATED for an anonymous actor and FORBIDDEN for
// a role the table does not allow.
func authorize(a Actor, op Operation) error {
	if !a.Authenticated() {
		return models.Errorf(models.CodeUnauthenticated, "please log in")
	}
	if !slices.Contains(permissions[op], a.Role) {
		return models.Errorf(models.CodeForbidden, "your role may not do this")
	}
	return nil
}
