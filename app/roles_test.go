package app_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// caller is one kind of actor the permission test runs every operation as.
type caller struct {
	name  string
	role  models.Role // "" for no one
	token bool
	// otherShop marks a caller of shop B acting on shop A's objects.
	otherShop bool
	// link marks the holder of a buyer's tracking link, who may read
	// that order and do nothing else.
	link   bool
	secret string
}

// operation is one mutation or sensitive query, sent with arguments that
// are valid, so that only the role decides between allowed and FORBIDDEN.
type operation struct {
	op    fulfillment.Operation
	query string
	vars  func(n int64) map[string]any
}

func TestEveryOperationAsEveryRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		// Shop A gets a login of every staff role, and a token of every role.
		a.CreateStaff(t, owner, "service-a@demo.fahuo", "SERVICE")
		a.CreateStaff(t, owner, "ops-a@demo.fahuo", "OPERATIONS")
		callers := []caller{
			{name: "owner", role: models.RoleOwner, secret: owner},
			{name: "shipper", role: models.RoleShipper, secret: a.Login(t, shipA)},
			{name: "service", role: models.RoleService, secret: a.Login(t, "service-a@demo.fahuo")},
			{name: "operations", role: models.RoleOperations, secret: a.Login(t, "ops-a@demo.fahuo")},
			{name: "viewer", role: models.RoleViewer, secret: a.Login(t, viewerA)},
			{name: "owner of shop B", role: models.RoleOwner, otherShop: true, secret: a.Login(t, ownerB)},
			{name: "buyer", role: models.RoleBuyer, secret: a.Login(t, buyer)},
			{name: "platform", role: models.RolePlatform, secret: a.Login(t, platfm)},
			{name: "no one"},
		}
		for _, r := range models.ShopRoles {
			callers = append(callers, caller{name: "token " + string(r), role: r, token: true,
				secret: a.CreateToken(t, owner, "tool "+string(r), string(r))})
		}

		var orderID, tokenID, viewerID string
		db.Raw("SELECT id FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') ORDER BY id LIMIT 1").Scan(&orderID)
		orderID = "gid://fahuo/Order/" + orderID
		a.CreateToken(t, owner, "to be revoked", "VIEWER")
		db.Raw("SELECT id FROM api_tokens WHERE name = 'to be revoked'").Scan(&tokenID)
		tokenID = "gid://fahuo/ApiToken/" + tokenID
		db.Raw("SELECT id FROM users WHERE email = ?", viewerA).Scan(&viewerID)
		viewerID = "gid://fahuo/User/" + viewerID
		var templateID, productID, shopID string
		db.Raw("SELECT template_id FROM products WHERE sku = 'QC-5J'").Scan(&templateID)
		templateID = "gid://fahuo/ShippingTemplate/" + templateID
		db.Raw("SELECT id FROM products WHERE sku = 'QC-5J'").Scan(&productID)
		productID = "gid://fahuo/Product/" + productID
		db.Raw("SELECT id FROM shops WHERE name = '鲜果时光旗舰店'").Scan(&shopID)
		shopID = "gid://fahuo/Shop/" + shopID
		var pendingNumber, shippedNumber, buyerOrder, packageID string
		db.Raw("SELECT number FROM orders WHERE shop_id = ? AND status = 'PENDING_SHIPMENT' ORDER BY id LIMIT 1", shopID[len("gid://fahuo/Shop/"):]).Scan(&pendingNumber)
		db.Raw("SELECT number FROM orders WHERE shop_id = ? AND status = 'SHIPPED' ORDER BY id LIMIT 1", shopID[len("gid://fahuo/Shop/"):]).Scan(&shippedNumber)
		db.Raw("SELECT id FROM orders WHERE buyer_id = (SELECT id FROM users WHERE email = ?) AND status = 'PENDING_SHIPMENT' ORDER BY id LIMIT 1", buyer).Scan(&buyerOrder)
		buyerOrder = "gid://fahuo/Order/" + buyerOrder
		db.Raw("SELECT id FROM packages WHERE shop_id = ? ORDER BY id LIMIT 1", shopID[len("gid://fahuo/Shop/"):]).Scan(&packageID)
		packageID = "gid://fahuo/Package/" + packageID
		var link struct {
			Order struct{ TrackingToken string }
		}
		a.MustDo(t, a.Login(t, buyer), `query($id: ID!) { order(id: $id) { trackingToken } }`, &link, map[string]any{"id": buyerOrder})
		callers = append(callers, caller{name: "tracking link", role: models.RoleBuyer, link: true, secret: link.Order.TrackingToken})
		var scanNumber string
		db.Raw("SELECT tracking_number FROM waybills WHERE carrier_code = 'SF' ORDER BY tracking_number LIMIT 1").Scan(&scanNumber)
		template := func(n int64) map[string]any {
			return map[string]any{"id": templateID, "in": map[string]any{
				"name": fmt.Sprintf("模板%d", n), "shipFromRegionCode": "440305", "pricing": "BY_PIECE",
				"defaultRule": map[string]any{"firstUnits": 1, "firstFee": 500, "extraUnits": 1, "extraFee": 200},
			}}
		}

		ops := []operation{
			{fulfillment.OpCreateAPIToken, `mutation { createApiToken(input: { name: "t", role: VIEWER }) { userErrors { code } } }`, nil},
			{fulfillment.OpRevokeAPIToken, `mutation($id: ID!) { revokeApiToken(id: $id) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": tokenID} }},
			{fulfillment.OpCreateStaffMember, `mutation($e: String!) { createStaffMember(input: { email: $e, name: "新员工", password: "long enough", role: VIEWER }) { userErrors { code } } }`,
				func(n int64) map[string]any { return map[string]any{"e": fmt.Sprintf("new%d@demo.fahuo", n)} }},
			{fulfillment.OpUpdateStaffMember, `mutation($id: ID!) { updateStaffMember(id: $id, input: { role: VIEWER }) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": viewerID} }},
			{fulfillment.OpRevealRecipient, `mutation($id: ID!) { revealRecipient(orderId: $id, fields: [NAME]) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": orderID} }},
			{fulfillment.OpUpdatePlatformSettings, `mutation { updatePlatformSettings(input: { revealDailyQuota: 1000 }) { userErrors { code } } }`, nil},
			{fulfillment.OpCreateShippingTemplate, `mutation($in: ShippingTemplateInput!) { createShippingTemplate(input: $in) { userErrors { code } } }`, template},
			{fulfillment.OpUpdateShippingTemplate, `mutation($id: ID!, $in: ShippingTemplateInput!) { updateShippingTemplate(id: $id, input: $in) { userErrors { code } } }`, template},
			{fulfillment.OpDeleteShippingTemplate, `mutation($id: ID!) { deleteShippingTemplate(id: $id) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": templateID} }},
			{fulfillment.OpCreateProduct, `mutation($t: ID!) { createProduct(input: { title: "新品", price: 100, stock: 5, shippingTemplateId: $t, promise: { mode: SPOT } }) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"t": templateID} }},
			{fulfillment.OpUpdateProduct, `mutation($id: ID!) { updateProduct(id: $id, input: { title: "改名" }) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": productID} }},
			{fulfillment.OpPlaceOrder, `mutation($p: ID!) { placeOrder(input: { items: [{ productId: $p, quantity: 1 }],
				address: { recipientName: "张三", phone: "13800138000", regionCode: "440305", detail: "科技园" } }) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"p": productID} }},
			{fulfillment.OpUpdateShopStanding, `mutation($s: ID!) { updateShopStanding(shopId: $s, score: 4.8, spotOrderShare: 0.92) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"s": shopID} }},
			{fulfillment.OpShipOrder, `mutation($n: String, $t: String!) { shipOrder(input: { orderNumber: $n, packages: [{ carrier: "SF", trackingNumber: $t }] }) { userErrors { code } } }`,
				func(n int64) map[string]any { return map[string]any{"n": pendingNumber, "t": sfNumber(int(n))} }},
			{fulfillment.OpAppendPackages, `mutation($n: String, $t: String!) { appendPackages(input: { orderNumber: $n, packages: [{ carrier: "YTO", trackingNumber: $t }] }) { userErrors { code } } }`,
				func(n int64) map[string]any { return map[string]any{"n": shippedNumber, "t": ytoNumber(int(n))} }},
			{fulfillment.OpBatchShipOrders, `mutation($n: String!, $t: String!) { batchShipOrders(input: { rows: [{ orderNumber: $n, carrier: "SF", trackingNumber: $t }] }) { total userErrors { code } } }`,
				func(n int64) map[string]any { return map[string]any{"n": pendingNumber, "t": sfNumber(int(n))} }},
			{fulfillment.OpBatchAppendPackages, `mutation($n: String!, $t: String!) { batchAppendPackages(input: { rows: [{ orderNumber: $n, carrier: "YTO", trackingNumber: $t }] }) { total userErrors { code } } }`,
				func(n int64) map[string]any { return map[string]any{"n": shippedNumber, "t": ytoNumber(int(n))} }},
			{fulfillment.OpRequestRefund, `mutation($id: ID!) { requestRefund(orderId: $id, reason: "不要了") { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": buyerOrder} }},
			{fulfillment.OpWithdrawRefund, `mutation($id: ID!) { withdrawRefund(orderId: $id) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": buyerOrder} }},
			{fulfillment.OpApproveRefund, `mutation($id: ID!) { approveRefund(orderId: $id) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": buyerOrder} }},
			{fulfillment.OpRejectRefund, `mutation($id: ID!) { rejectRefund(orderId: $id, reason: "不符合退款条件") { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": buyerOrder} }},
			{fulfillment.OpMarkIntercepted, `mutation($id: ID!) { markPackageIntercepted(packageId: $id) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"id": packageID} }},
			{fulfillment.OpRecordTrackingEvents, `mutation($t: String!, $at: Time!) { recordTrackingEvents(events: [{ carrier: "SF", trackingNumber: $t, status: IN_TRANSIT, at: $at }]) { userErrors { code } } }`,
				func(int64) map[string]any { return map[string]any{"t": scanNumber, "at": a.Clock.Now()} }},
			{fulfillment.OpCreateDelayReport, `mutation($n: String!, $t: Time!) { createDelayReport(input: { type: MERCHANT_FACTOR, reason: "爆单", newShipBy: $t, orderNumbers: [$n], evidence: [] }) { userErrors { code } } }`,
				func(int64) map[string]any {
					return map[string]any{"n": pendingNumber, "t": a.Clock.Now().Add(240 * time.Hour)}
				}},
			{fulfillment.OpReviewDelayReport, `mutation { reviewDelayReport(id: "gid://fahuo/DelayReport/999999", decision: APPROVE) { userErrors { code } } }`, nil},
			{fulfillment.OpPublishAnnouncement, `mutation($f: Time!, $t: Time!) { publishAnnouncement(input: { title: "公告", regionCodes: ["650000"], startsAt: $f, endsAt: $t }) { userErrors { code } } }`,
				func(int64) map[string]any {
					return map[string]any{"f": a.Clock.Now(), "t": a.Clock.Now().Add(time.Hour)}
				}},
			{fulfillment.OpSetShippingCapacity, `mutation { setShippingCapacity(dailyCapacity: 500) { userErrors { code } } }`, nil},
			{fulfillment.OpReadReports, `{ delayReports(first: 1) { nodes { id } } }`, nil},
			{fulfillment.OpReadFigures, `query($f: Time!, $t: Time!, $s: ID) { shopMetrics(from: $f, to: $t, shopId: $s) { total { due } } shippingCapacity(from: $f, to: $t, shopId: $s) { day } }`,
				func(int64) map[string]any {
					return map[string]any{"f": a.Clock.Now().Add(-48 * time.Hour), "t": a.Clock.Now(), "s": shopID}
				}},
			{fulfillment.OpReadOrders, `{ orders(first: 1) { nodes { number } } }`, nil},
			{fulfillment.OpReadShopSetup, `{ shippingTemplates { id } products { id } nonDeliveryRegions { code } }`, nil},
			{fulfillment.OpReadAPITokens, `{ apiTokens { id } }`, nil},
			{fulfillment.OpReadStaff, `{ staffMembers { id } }`, nil},
			{fulfillment.OpReadAuditLog, `{ auditLog(first: 1) { nodes { action } } }`, nil},
			{fulfillment.OpReadPlatformSettings, `{ platformSettings { revealDailyQuota } }`, nil},
		}
		var n atomic.Int64
		perms := fulfillment.Permissions()
		for _, op := range ops {
			if _, ok := perms[op.op]; !ok {
				t.Fatalf("operation %s is not in the permission table", op.op)
			}
			for _, c := range callers {
				var vars map[string]any
				if op.vars != nil {
					vars = op.vars(n.Add(1))
				}
				res := a.Do(t, c.secret, op.query, vars)
				got := "allowed"
				if codes := res.Codes(); len(codes) > 0 {
					got = codes[0]
				}
				want := "allowed"
				switch {
				case c.role == "":
					want = "UNAUTHENTICATED"
				case !slices.Contains(perms[op.op], c.role), c.token && fulfillment.UserOnly(op.op), c.link && op.op != fulfillment.OpReadOrders:
					want = "FORBIDDEN"
				}
				if got != want {
					t.Errorf("%s as %s: %s, want %s (%+v)", op.op, c.name, got, want, res.Errors)
				}
			}
		}
		// Every mutation of the schema is either in the table above or open
		// to everyone by nature (login, logout).
		var schema struct {
			Schema struct {
				MutationType struct{ Fields []struct{ Name string } }
			} `json:"__schema"`
		}
		a.MustDo(t, owner, `{ __schema { mutationType { fields { name } } } }`, &schema, nil)
		for _, f := range schema.Schema.MutationType.Fields {
			if f.Name == "login" || f.Name == "logout" {
				continue
			}
			if !slices.ContainsFunc(ops, func(o operation) bool { return string(o.op) == f.Name }) {
				t.Errorf("mutation %s is not covered by the role test", f.Name)
			}
		}
	})
}

// The permission table in fulfillment/access.go is the one the README
// shows under "Who may do what": every row of the README's table names its
// operations, and each operation's roles (and whether tokens are shut out)
// must be the same in both, for every operation there is.
func TestThePermissionTable(t *testing.T) {
	rows := map[string][]fulfillment.Operation{
		"read orders (`order`, `orders`)": {fulfillment.OpReadOrders},
		"`logout`":                        {fulfillment.OpLogout},
		"`createApiToken`, `revokeApiToken`, `apiTokens`":          {fulfillment.OpCreateAPIToken, fulfillment.OpRevokeAPIToken, fulfillment.OpReadAPITokens},
		"`createStaffMember`, `updateStaffMember`, `staffMembers`": {fulfillment.OpCreateStaffMember, fulfillment.OpUpdateStaffMember, fulfillment.OpReadStaff},
		"`revealRecipient`, `revealQuota`":                         {fulfillment.OpRevealRecipient},
		"templates and products: create, update, delete": {fulfillment.OpCreateShippingTemplate, fulfillment.OpUpdateShippingTemplate,
			fulfillment.OpDeleteShippingTemplate, fulfillment.OpCreateProduct, fulfillment.OpUpdateProduct},
		"read templates, products, `nonDeliveryRegions`": {fulfillment.OpReadShopSetup},
		"`placeOrder`":         {fulfillment.OpPlaceOrder},
		"`updateShopStanding`": {fulfillment.OpUpdateShopStanding},
		"`shipOrder`, `appendPackages`, both batches": {fulfillment.OpShipOrder, fulfillment.OpAppendPackages,
			fulfillment.OpBatchShipOrders, fulfillment.OpBatchAppendPackages},
		"`approveRefund`, `rejectRefund`":                 {fulfillment.OpApproveRefund, fulfillment.OpRejectRefund},
		"`markPackageIntercepted`":                        {fulfillment.OpMarkIntercepted},
		"`requestRefund`, `withdrawRefund`":               {fulfillment.OpRequestRefund, fulfillment.OpWithdrawRefund},
		"`recordTrackingEvents`":                          {fulfillment.OpRecordTrackingEvents},
		"`createDelayReport`, `setShippingCapacity`":      {fulfillment.OpCreateDelayReport, fulfillment.OpSetShippingCapacity},
		"read reports, `shopMetrics`, `shippingCapacity`": {fulfillment.OpReadReports, fulfillment.OpReadFigures},
		"`reviewDelayReport`, `publishAnnouncement`":      {fulfillment.OpReviewDelayReport, fulfillment.OpPublishAnnouncement},
		"`auditLog`": {fulfillment.OpReadAuditLog},
		"`updatePlatformSettings`, `platformSettings`": {fulfillment.OpUpdatePlatformSettings, fulfillment.OpReadPlatformSettings},
	}
	columns := []models.Role{models.RoleOwner, models.RoleShipper, models.RoleService, models.RoleOperations, models.RoleViewer,
		models.RoleBuyer, models.RolePlatform}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Who may do what")
	section, _, _ = strings.Cut(section, "\n## ")
	perms := fulfillment.Permissions()
	seen := map[fulfillment.Operation]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != len(columns)+3 || strings.HasPrefix(strings.TrimSpace(cells[1]), "operation") || strings.HasPrefix(cells[1], "---") {
			continue
		}
		label := strings.TrimSpace(cells[1])
		ops, ok := rows[label]
		if !ok {
			t.Errorf("README row %q names no operation this test knows", label)
			continue
		}
		var roles []models.Role
		userOnly := false
		for i, role := range columns {
			cell := strings.TrimSpace(cells[i+2])
			if cell != "" {
				roles = append(roles, role)
			}
			userOnly = userOnly || strings.Contains(cell, "user only")
		}
		for _, op := range ops {
			seen[op] = true
			if got := perms[op]; !sameRoles(got, roles) {
				t.Errorf("%s: the code allows %v, the README %v", op, got, roles)
			}
			if fulfillment.UserOnly(op) != userOnly {
				t.Errorf("%s: closed to tokens in the code: %v, in the README: %v", op, fulfillment.UserOnly(op), userOnly)
			}
		}
	}
	for op := range perms {
		if !seen[op] {
			t.Errorf("%s is in the permission table but not in the README's", op)
		}
	}
}

func sameRoles(a, b []models.Role) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
