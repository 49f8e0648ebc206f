package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

type auditNode struct {
	Action, ActorKind, ActorName, Outcome, IP, UserAgent string
	ActorID                                              *string
	ObjectIds                                            []string
	Shop                                                 *struct{ Name string }
}

func auditLog(t *testing.T, a *apptest.App, token string, filter map[string]any) []auditNode {
	t.Helper()
	var resp struct {
		AuditLog struct{ Nodes []auditNode }
	}
	a.MustDo(t, token, `query($f: AuditLogFilter) { auditLog(filter: $f, first: 100) {
		nodes { action actorKind actorId actorName outcome ip userAgent objectIds shop { name } } } }`, &resp, map[string]any{"f": filter})
	return resp.AuditLog.Nodes
}

func TestEveryMutationIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		tok := a.CreateToken(t, owner, "打单工具", "SERVICE")
		staffID := a.CreateStaff(t, owner, "new@demo.fahuo", "SHIPPER")
		// Refused: a duplicate e-mail, a forbidden call, a wrong password.
		var dup struct {
			CreateStaffMember struct{ UserErrors []struct{ Code string } }
		}
		a.MustDo(t, owner, `mutation { createStaffMember(input: { email: "new@demo.fahuo", name: "x", password: "long enough", role: VIEWER }) { userErrors { code } } }`, &dup, nil)
		a.Do(t, a.Login(t, shipA), `mutation { createApiToken(input: { name: "x", role: VIEWER }) { userErrors { code } } }`, nil)
		a.Do(t, "", `mutation { login(email: "merchant-a@demo.fahuo", password: "guess") { token } }`, nil)
		var orderID string
		db.Raw("SELECT id FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') ORDER BY id LIMIT 1").Scan(&orderID)
		orderGID := "gid://fahuo/Order/" + orderID
		before := len(auditLog(t, a, owner, map[string]any{"objectId": orderGID}))
		a.MustDo(t, tok, `mutation($id: ID!) { revealRecipient(orderId: $id, fields: [PHONE]) { userErrors { code } } }`, nil, map[string]any{"id": orderGID})

		entries := auditLog(t, a, owner, nil)
		type seen struct{ action, actor, outcome string }
		var got []seen
		for _, e := range entries {
			got = append(got, seen{e.Action, e.ActorName, e.Outcome})
		}
		for _, want := range []seen{
			{"login", "林店长", "OK"},
			{"createApiToken", "林店长", "OK"},
			{"createStaffMember", "林店长", "OK"},
			{"createStaffMember", "林店长", "INVALID_ARGUMENT"},
			{"createApiToken", "王发货", "FORBIDDEN"},
			{"login", "merchant-a@demo.fahuo", "INVALID_CREDENTIALS"},
			{"revealRecipient", "打单工具", "OK"},
		} {
			if !slices.Contains(got, want) {
				t.Errorf("no entry %+v in %+v", want, got)
			}
		}
		for _, e := range entries {
			if !slices.Contains([]string{"login", "createApiToken", "createStaffMember", "revealRecipient"}, e.Action) {
				continue // written by the demo seed, not over HTTP
			}
			if e.Action == "revealRecipient" {
				if e.ActorKind != "API_TOKEN" || !slices.Equal(e.ObjectIds, []string{orderGID}) || e.ActorID == nil || !strings.HasPrefix(*e.ActorID, "gid://fahuo/ApiToken/") {
					t.Errorf("reveal entry %+v", e)
				}
			}
			if e.Action == "createStaffMember" && e.Outcome == "OK" && !slices.Equal(e.ObjectIds, []string{staffID}) {
				t.Errorf("staff entry names %v, want %s", e.ObjectIds, staffID)
			}
			if e.IP == "" || e.UserAgent == "" || e.Shop == nil || e.Shop.Name != "鲜果时光旗舰店" {
				t.Errorf("entry without origin or shop: %+v", e)
			}
		}
		// Filters.
		for _, e := range auditLog(t, a, owner, map[string]any{"action": "login"}) {
			if e.Action != "login" {
				t.Errorf("action filter let through %+v", e)
			}
		}
		if got := auditLog(t, a, owner, map[string]any{"objectId": orderGID}); len(got) != before+1 || got[0].Action != "revealRecipient" {
			t.Errorf("object filter: %+v", got)
		}
		// The owner of shop B sees none of shop A's entries; the platform sees them.
		for _, e := range auditLog(t, a, a.Login(t, ownerB), nil) {
			if e.Shop != nil && e.Shop.Name == "鲜果时光旗舰店" {
				t.Errorf("shop B's owner sees %+v", e)
			}
		}
		if len(auditLog(t, a, a.Login(t, platfm), map[string]any{"action": "revealRecipient"})) != 1 {
			t.Error("the platform does not see the reveal")
		}
	})
}

func TestARolledBackMutationKeepsItsRefusedEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		var orderID string
		db.Raw("SELECT id FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') ORDER BY id LIMIT 1").Scan(&orderID)
		// Break the quota table, so that the reveal fails inside its
		// transaction after the order was read.
		if err := db.Exec("ALTER TABLE reveal_usage RENAME TO reveal_usage_gone").Error; err != nil {
			t.Fatal(err)
		}
		res := a.Do(t, owner, `mutation($id: ID!) { revealRecipient(orderId: $id, fields: [NAME]) { recipient { name } userErrors { code } } }`,
			map[string]any{"id": "gid://fahuo/Order/" + orderID})
		if !slices.Equal(res.Codes(), []string{"INTERNAL"}) {
			t.Fatalf("reveal with a broken table: %+v", res.Errors)
		}
		if strings.Contains(string(res.Data), "张") {
			t.Error("plaintext escaped a failed reveal")
		}
		var outcomes []string
		db.Table("audit_log").Where("action = ?", "revealRecipient").Pluck("outcome", &outcomes)
		if !slices.Equal(outcomes, []string{"INTERNAL"}) {
			t.Errorf("audit entries of the failed reveal: %v", outcomes)
		}
	})
}

func TestAuditEntriesCannotBeChangedThroughTheAPI(t *testing.T) {
	_, url := dbtest.SQLite(t)
	a := apptest.New(t, url)
	var schema struct {
		Schema struct {
			MutationType struct{ Fields []struct{ Name string } }
		} `json:"__schema"`
	}
	a.MustDo(t, a.Login(t, platfm), `{ __schema { mutationType { fields { name } } } }`, &schema, nil)
	for _, f := range schema.Schema.MutationType.Fields {
		if strings.Contains(strings.ToLower(f.Name), "audit") {
			t.Errorf("mutation %s touches the audit log", f.Name)
		}
	}
}

func TestRetentionDeletesOnlyWhatIsPastRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		var orderID string
		db.Raw("SELECT id FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') AND delivered_at IS NULL AND closed_at IS NULL ORDER BY id LIMIT 1").Scan(&orderID)
		reveal := func() {
			a.MustDo(t, a.Login(t, ownerA), `mutation($id: ID!) { revealRecipient(orderId: $id, fields: [NAME]) { userErrors { code } } }`,
				nil, map[string]any{"id": "gid://fahuo/Order/" + orderID})
		}
		reveal() // day 0: a login and a reveal
		a.Clock.Advance(100 * 24 * time.Hour)
		reveal() // day 100
		count := func(action string) int64 {
			var n int64
			db.Table("audit_log").Where("action = ?", action).Count(&n)
			return n
		}
		purge := func() {
			if _, err := a.Service.PurgeAuditLog(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		a.Clock.Set(apptest.Start.Add(180*24*time.Hour - time.Second))
		purge()
		if count("login") != 2 || count("revealRecipient") != 2 {
			t.Fatalf("purged before 180 days: %d logins, %d reveals", count("login"), count("revealRecipient"))
		}
		a.Clock.Set(apptest.Start.Add(180*24*time.Hour + time.Second))
		purge()
		if count("login") != 1 || count("revealRecipient") != 2 {
			t.Errorf("after 180 days: %d logins (want 1), %d reveals (want 2, kept 365 days)", count("login"), count("revealRecipient"))
		}
		a.Clock.Set(apptest.Start.Add(365*24*time.Hour + time.Second))
		purge()
		if count("revealRecipient") != 1 {
			t.Errorf("after 365 days: %d reveals, want 1", count("revealRecipient"))
		}
	})
}
