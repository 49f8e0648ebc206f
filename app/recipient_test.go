package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

type recipient struct {
	Name, Phone, RegionName, AddressDetail, AddressKey string
	Masked                                             []string
}

const revealMutation = `mutation($id: ID!, $f: [RecipientField!]!) { revealRecipient(orderId: $id, fields: $f) {
	recipient { name phone addressDetail addressKey masked } userErrors { code } } }`

type revealResp struct {
	RevealRecipient struct {
		Recipient  *recipient
		UserErrors []struct{ Code string }
	}
}

func reveal(t *testing.T, a *apptest.App, token, orderGID string, fields ...string) revealResp {
	t.Helper()
	var r revealResp
	a.MustDo(t, token, revealMutation, &r, map[string]any{"id": orderGID, "f": fields})
	return r
}

func (r revealResp) code() string {
	if len(r.RevealRecipient.UserErrors) == 0 {
		return "OK"
	}
	return r.RevealRecipient.UserErrors[0].Code
}

// orderOf returns the global id and the stored row of shop A's first order
// that matches where.
func orderOf(t *testing.T, db *gorm.DB, where string, args ...any) (string, models.Order) {
	t.Helper()
	var o models.Order
	q := db.Where("shop_id = (SELECT id FROM shops WHERE name = ?)", "鲜果时光旗舰店")
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Order("id").Take(&o).Error; err != nil {
		t.Fatal(err)
	}
	return "gid://fahuo/Order/" + itoa(o.ID), o
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

func TestTokensSeeRecipientsMaskedWithAnAddressKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.CreateToken(t, a.Login(t, ownerA), "打单工具", "SHIPPER")
		var resp struct {
			Orders struct {
				Nodes []struct {
					Number    string
					Buyer     struct{ Name string }
					Recipient recipient
				}
			}
		}
		a.MustDo(t, tok, `{ orders(first: 100) { nodes { number buyer { name } recipient { name phone regionName addressDetail addressKey masked } } } }`, &resp, nil)
		keys := map[string][]string{}
		for _, n := range resp.Orders.Nodes {
			var stored models.Order
			db.Where("number = ?", n.Number).Take(&stored)
			r := n.Recipient
			if r.Name == stored.RecipientName || r.Phone == stored.RecipientPhone || r.AddressDetail == stored.AddressDetail {
				t.Errorf("order %s shows plaintext to a token: %+v", n.Number, r)
			}
			if !strings.HasSuffix(r.Name, "*") || !strings.Contains(r.Phone, "****") || r.RegionName != stored.RegionName {
				t.Errorf("order %s masked as %+v", n.Number, r)
			}
			if !slices.Equal(r.Masked, []string{"NAME", "PHONE", "ADDRESS"}) || !strings.HasPrefix(r.AddressKey, "ak_") {
				t.Errorf("order %s: masked %v, key %q", n.Number, r.Masked, r.AddressKey)
			}
			addr := stored.RecipientName + stored.RecipientPhone + stored.RegionCode + stored.AddressDetail
			keys[addr] = append(keys[addr], r.AddressKey)
		}
		shared := false
		for addr, ks := range keys {
			for _, k := range ks {
				if k != ks[0] {
					t.Errorf("one address, two keys: %s %v", addr, ks)
				}
			}
			shared = shared || len(ks) > 1
		}
		if !shared {
			t.Error("the demo has no two orders to one address to compare keys")
		}
		if len(keys) < 2 {
			t.Error("every order has the same key")
		}
		// The buyer sees their own recipient in full, with the same key.
		var mine struct {
			Order struct{ Recipient recipient }
		}
		gid, stored := orderOf(t, db, "buyer_id = (SELECT id FROM users WHERE email = ?)", buyer)
		a.MustDo(t, a.Login(t, buyer), `query($id: ID) { order(id: $id) { recipient { name phone addressDetail addressKey masked } } }`, &mine, map[string]any{"id": gid})
		if mine.Order.Recipient.Name != stored.RecipientName || mine.Order.Recipient.Phone != stored.RecipientPhone || len(mine.Order.Recipient.Masked) != 0 {
			t.Errorf("the buyer sees %+v", mine.Order.Recipient)
		}
	})
}

func TestRevealShowsPlaintextAndCountsAgainstTheQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		svc := a.Login(t, ownerA)
		gid, stored := orderOf(t, db, "status = ?", models.OrderPendingShipment)
		r := reveal(t, a, svc, gid, "PHONE")
		if r.code() != "OK" || r.RevealRecipient.Recipient.Phone != stored.RecipientPhone || r.RevealRecipient.Recipient.Name == stored.RecipientName {
			t.Fatalf("reveal phone: %+v", r)
		}
		if got := r.RevealRecipient.Recipient.Masked; !slices.Equal(got, []string{"NAME", "ADDRESS"}) {
			t.Errorf("still masked: %v", got)
		}
		// No field is a user error; a field the schema does not know never
		// reaches the domain.
		var rr revealResp
		if res := a.Do(t, svc, revealMutation, map[string]any{"id": gid, "f": []string{}}); len(res.Errors) > 0 || jsonUnmarshal(res.Data, &rr) != nil || rr.code() != "INVALID_ARGUMENT" {
			t.Errorf("reveal no field: %+v %+v", res.Errors, rr)
		}
		if res := a.Do(t, svc, revealMutation, map[string]any{"id": gid, "f": []string{"EMAIL"}}); !slices.Contains(res.Codes(), "GRAPHQL_VALIDATION_FAILED") {
			t.Errorf("reveal EMAIL: %v", res.Codes())
		}
		// Shop B's owner, and a token of shop A without the right role, get nothing.
		if r := reveal(t, a, a.Login(t, ownerB), gid, "NAME"); r.code() != "NOT_FOUND" || r.RevealRecipient.Recipient != nil {
			t.Errorf("shop B reveals shop A's order: %+v", r)
		}
		used := func() int64 {
			var q struct{ RevealQuota struct{ Used, Quota int64 } }
			a.MustDo(t, svc, `{ revealQuota { used quota } }`, &q, nil)
			return q.RevealQuota.Used
		}
		if got := used(); got != 1 {
			t.Errorf("used %d after one field", got)
		}

		// The 1,000th reveal of the day passes, the 1,001st is refused.
		for used() < 997 {
			if r := reveal(t, a, svc, gid, "NAME", "PHONE", "ADDRESS"); r.code() != "OK" {
				t.Fatalf("reveal at %d: %s", used(), r.code())
			}
		}
		for used() < 999 {
			reveal(t, a, svc, gid, "NAME")
		}
		if r := reveal(t, a, svc, gid, "NAME", "PHONE"); r.code() != "QUOTA_EXCEEDED" {
			t.Errorf("two fields at 999: %s", r.code())
		}
		if r := reveal(t, a, svc, gid, "NAME"); r.code() != "OK" {
			t.Errorf("the 1,000th: %s", r.code())
		}
		if r := reveal(t, a, svc, gid, "NAME"); r.code() != "QUOTA_EXCEEDED" || r.RevealRecipient.Recipient != nil {
			t.Errorf("the 1,001st: %+v", r)
		}
		if got := used(); got != 1000 {
			t.Errorf("used %d, want 1000", got)
		}
		// A new day in China (midnight UTC+8) brings a new quota.
		now := a.Clock.Now().In(models.ChinaTime)
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, models.ChinaTime)
		a.Clock.Set(midnight.Add(-time.Second))
		if r := reveal(t, a, svc, gid, "NAME"); r.code() != "QUOTA_EXCEEDED" {
			t.Errorf("a second before midnight: %s", r.code())
		}
		a.Clock.Set(midnight)
		if r := reveal(t, a, svc, gid, "NAME"); r.code() != "OK" {
			t.Errorf("after midnight: %s", r.code())
		}
		var refused int64
		db.Table("audit_log").Where("action = ? AND outcome = ?", "revealRecipient", "QUOTA_EXCEEDED").Count(&refused)
		if refused != 3 {
			t.Errorf("%d refused reveals logged, want 3", refused)
		}
	})
}

func TestRevealEndsFourteenDaysAfterDeliveryOrClosing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		svc := a.Login(t, ownerA)
		for _, status := range []models.OrderStatus{models.OrderDelivered, models.OrderClosed} {
			gid, o := orderOf(t, db, "status = ?", status)
			ended := o.DeliveredAt
			if status == models.OrderClosed {
				ended = o.ClosedAt
			}
			a.Clock.Set(ended.Add(14*24*time.Hour - time.Second))
			if r := reveal(t, a, svc, gid, "NAME"); r.code() != "OK" {
				t.Errorf("%s, 14 days less a second: %s", status, r.code())
			}
			a.Clock.Set(ended.Add(14 * 24 * time.Hour))
			res := a.Do(t, svc, revealMutation, map[string]any{"id": gid, "f": []string{"NAME"}})
			if !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
				t.Errorf("%s, 14 days on: %+v %s", status, res.Errors, res.Data)
			}
		}
	})
}

func TestParallelRevealsNeverPassTheQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		a.MustDo(t, a.Login(t, platfm), `mutation { updatePlatformSettings(input: { revealDailyQuota: 10 }) { userErrors { code } } }`, nil, nil)
		tok := a.CreateToken(t, a.Login(t, ownerA), "tool", "SERVICE")
		gid, _ := orderOf(t, db, "status = ?", models.OrderPendingShipment)
		const callers = 30
		var wg sync.WaitGroup
		codes := make(chan string, callers)
		for i := 0; i < callers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := a.Do(t, tok, revealMutation, map[string]any{"id": gid, "f": []string{"PHONE"}})
				var r revealResp
				if len(res.Errors) > 0 || json.Unmarshal(res.Data, &r) != nil {
					codes <- fmt.Sprint(res.Codes())
					return
				}
				codes <- r.code()
			}()
		}
		wg.Wait()
		close(codes)
		count := map[string]int{}
		for c := range codes {
			count[c]++
		}
		if count["OK"] != 10 || count["QUOTA_EXCEEDED"] != callers-10 {
			t.Errorf("outcomes %v, want 10 OK and %d QUOTA_EXCEEDED", count, callers-10)
		}
		var used int64
		db.Raw("SELECT used FROM reveal_usage").Scan(&used)
		if used != 10 {
			t.Errorf("counter at %d", used)
		}
	})
}

func TestStaffManagement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		id := a.CreateStaff(t, owner, "packer@demo.fahuo", "SHIPPER")
		packer := a.Login(t, "packer@demo.fahuo")
		// A token made by the member's own hand stops with the member; the
		// member cannot make one, so the owner's token stands in for
		// the check that tokens of disabled creators stop.
		stillServing(t, a, packer)

		const update = `mutation($id: ID!, $in: UpdateStaffMemberInput!) { updateStaffMember(id: $id, input: $in) {
			staffMember { role disabled } userErrors { code field } } }`
		type updResp struct {
			UpdateStaffMember struct {
				StaffMember *struct {
					Role     string
					Disabled bool
				}
				UserErrors []struct {
					Code  string
					Field []string
				}
			}
		}
		var r updResp
		a.MustDo(t, owner, update, &r, map[string]any{"id": id, "in": map[string]any{"role": "SERVICE"}})
		if r.UpdateStaffMember.StaffMember == nil || r.UpdateStaffMember.StaffMember.Role != "SERVICE" {
			t.Fatalf("role change: %+v", r)
		}
		var me struct{ Me struct{ Role string } }
		a.MustDo(t, packer, `{ me { role } }`, &me, nil)
		if me.Me.Role != "SERVICE" {
			t.Errorf("the new role shows as %s", me.Me.Role)
		}

		a.MustDo(t, owner, update, &r, map[string]any{"id": id, "in": map[string]any{"disabled": true}})
		if status, _ := a.HTTP(t, packer, `{ me { role } }`); status != 401 {
			t.Errorf("a disabled member's session: %d", status)
		}
		a.MustDo(t, owner, update, &r, map[string]any{"id": id, "in": map[string]any{"disabled": false}})
		a.Login(t, "packer@demo.fahuo")

		// Refusals, each changing nothing.
		var ownerID, staffOfB string
		db.Raw("SELECT id FROM users WHERE email = ?", ownerA).Scan(&ownerID)
		db.Raw("SELECT id FROM users WHERE email = ?", ownerB).Scan(&staffOfB)
		bStaff := a.CreateStaff(t, a.Login(t, ownerB), "b-staff@demo.fahuo", "VIEWER")
		for _, c := range []struct {
			id   string
			in   map[string]any
			code string
		}{
			{bStaff, map[string]any{"disabled": true}, "NOT_FOUND"},
			{"gid://fahuo/User/" + ownerID, map[string]any{"disabled": true}, "INVALID_ARGUMENT"},
			{id, map[string]any{"role": "OWNER"}, "INVALID_ARGUMENT"},
			{id, map[string]any{"role": "BUYER"}, "INVALID_ARGUMENT"},
			{"gid://fahuo/Order/1", map[string]any{"role": "VIEWER"}, "INVALID_ARGUMENT"},
		} {
			a.MustDo(t, owner, update, &r, map[string]any{"id": c.id, "in": c.in})
			if ue := r.UpdateStaffMember.UserErrors; len(ue) != 1 || ue[0].Code != c.code || r.UpdateStaffMember.StaffMember != nil {
				t.Errorf("update %s with %v: %+v, want %s", c.id, c.in, r.UpdateStaffMember, c.code)
			}
		}
		var bDisabled int64
		db.Table("users").Where("email = ? AND disabled_at IS NOT NULL", "b-staff@demo.fahuo").Count(&bDisabled)
		if bDisabled != 0 {
			t.Error("shop A's owner disabled shop B's staff")
		}
		res := a.Do(t, owner, update, map[string]any{"id": id, "in": map[string]any{"role": "KING"}})
		if !slices.Equal(res.Codes(), []string{"GRAPHQL_VALIDATION_FAILED"}) {
			t.Errorf("role KING: %+v", res.Errors)
		}

		const create = `mutation($in: CreateStaffMemberInput!) { createStaffMember(input: $in) { staffMember { id } userErrors { code field } } }`
		for _, c := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"email": "not-an-email", "name": "x", "password": "long enough", "role": "VIEWER"}, "email"},
			{map[string]any{"email": "packer@demo.fahuo", "name": "x", "password": "long enough", "role": "VIEWER"}, "email"},
			{map[string]any{"email": "x@demo.fahuo", "name": " ", "password": "long enough", "role": "VIEWER"}, "name"},
			{map[string]any{"email": "x@demo.fahuo", "name": "x", "password": "short", "role": "VIEWER"}, "password"},
			{map[string]any{"email": "x@demo.fahuo", "name": "x", "password": strings.Repeat("p", 73), "role": "VIEWER"}, "password"},
			{map[string]any{"email": "x@demo.fahuo", "name": "x", "password": "long enough", "role": "OWNER"}, "role"},
		} {
			var cr struct {
				CreateStaffMember struct {
					StaffMember *struct{ ID string }
					UserErrors  []struct {
						Code  string
						Field []string
					}
				}
			}
			a.MustDo(t, owner, create, &cr, map[string]any{"in": c.in})
			ue := cr.CreateStaffMember.UserErrors
			if cr.CreateStaffMember.StaffMember != nil || len(ue) != 1 || ue[0].Code != "INVALID_ARGUMENT" || !slices.Equal(ue[0].Field, []string{"input", c.field}) {
				t.Errorf("create %v: %+v", c.in, cr.CreateStaffMember)
			}
		}
		var staff struct {
			StaffMembers []struct {
				Email, Role string
				Disabled    bool
			}
		}
		a.MustDo(t, owner, `{ staffMembers { email role disabled } }`, &staff, nil)
		if len(staff.StaffMembers) != 4 || staff.StaffMembers[0].Role != "OWNER" {
			t.Errorf("staff of shop A: %+v", staff.StaffMembers)
		}
	})
}

func TestTokensOfADisabledCreatorStop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.CreateToken(t, a.Login(t, ownerA), "tool", "VIEWER")
		if err := db.Exec("UPDATE users SET disabled_at = ? WHERE email = ?", a.Clock.Now(), ownerA).Error; err != nil {
			t.Fatal(err)
		}
		if status, _ := a.HTTP(t, tok, `{ me { role } }`); status != 401 {
			t.Errorf("token of a disabled creator: %d", status)
		}
	})
}
