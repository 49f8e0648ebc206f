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

const createToken = `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) {
	token apiToken { id name role prefix expiresAt } userErrors { code field } } }`

type createTokenResp struct {
	CreateAPIToken struct {
		Token    *string
		APIToken *struct {
			ID, Name, Role, Prefix string
			ExpiresAt              *time.Time
		}
		UserErrors []struct {
			Code  string
			Field []string
		}
	}
}

func TestTokensAreStoredHashedAndShownOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		var resp createTokenResp
		a.MustDo(t, owner, createToken, &resp, map[string]any{"in": map[string]any{"name": "快递助手", "role": "SHIPPER"}})
		c := resp.CreateAPIToken
		if c.Token == nil || c.APIToken == nil || c.APIToken.Role != "SHIPPER" || len(c.UserErrors) != 0 {
			t.Fatalf("create: %+v", c)
		}
		if (*c.Token)[:len(c.APIToken.Prefix)] != c.APIToken.Prefix {
			t.Errorf("prefix %q is not the start of the token", c.APIToken.Prefix)
		}
		var stored int64
		db.Table("api_tokens").Where("token_hash = ?", []byte(*c.Token)).Count(&stored)
		if stored != 0 {
			t.Error("the token is stored in plain text")
		}
		var list struct {
			APITokens []map[string]any
		}
		a.MustDo(t, owner, `{ apiTokens { id name role prefix createdAt revokedAt } }`, &list, nil)
		if len(list.APITokens) != 1 || list.APITokens[0]["name"] != "快递助手" {
			t.Errorf("apiTokens = %+v", list.APITokens)
		}
	})
}

func TestRevokedAndExpiredTokensStopAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		var resp createTokenResp
		a.MustDo(t, owner, createToken, &resp, map[string]any{"in": map[string]any{"name": "t", "role": "VIEWER"}})
		tok, id := *resp.CreateAPIToken.Token, resp.CreateAPIToken.APIToken.ID
		stillServing(t, a, tok)
		const revoke = `mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt } userErrors { code } } }`
		var rev struct {
			RevokeAPIToken struct {
				APIToken   *struct{ RevokedAt *time.Time }
				UserErrors []struct{ Code string }
			}
		}
		a.MustDo(t, owner, revoke, &rev, map[string]any{"id": id})
		if rev.RevokeAPIToken.APIToken == nil || rev.RevokeAPIToken.APIToken.RevokedAt == nil {
			t.Fatalf("revoke: %+v", rev)
		}
		if status, _ := a.HTTP(t, tok, `{ me { role } }`); status != 401 {
			t.Errorf("revoked token: status %d, want 401", status)
		}

		expires := a.Clock.Now().Add(time.Hour)
		a.MustDo(t, owner, createToken, &resp, map[string]any{"in": map[string]any{"name": "t2", "role": "VIEWER", "expiresAt": expires}})
		tok = *resp.CreateAPIToken.Token
		a.Clock.Advance(time.Hour - time.Second)
		stillServing(t, a, tok)
		a.Clock.Advance(time.Second)
		if status, _ := a.HTTP(t, tok, `{ me { role } }`); status != 401 {
			t.Errorf("expired token: status %d, want 401", status)
		}

		// Another shop's owner cannot revoke the token, and learns nothing.
		a.MustDo(t, owner, createToken, &resp, map[string]any{"in": map[string]any{"name": "t3", "role": "VIEWER"}})
		a.MustDo(t, a.Login(t, ownerB), revoke, &rev, map[string]any{"id": resp.CreateAPIToken.APIToken.ID})
		if got := rev.RevokeAPIToken.UserErrors; len(got) != 1 || got[0].Code != "NOT_FOUND" {
			t.Errorf("revoke by another shop: %+v", rev.RevokeAPIToken)
		}
		stillServing(t, a, *resp.CreateAPIToken.Token)
	})
}

func TestOnlyTheOwnerManagesTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		ownerTool := a.CreateToken(t, owner, "owner tool", "OWNER")
		in := map[string]any{"in": map[string]any{"name": "x", "role": "VIEWER"}}
		for who, token := range map[string]string{
			"shipper": a.Login(t, shipA), "viewer": a.Login(t, viewerA), "buyer": a.Login(t, buyer),
			"platform": a.Login(t, platfm), "a token, even with the owner role": ownerTool,
		} {
			res := a.Do(t, token, createToken, in)
			if !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
				t.Errorf("%s creating a token: %+v", who, res.Errors)
			}
		}
		if res := a.Do(t, "", createToken, in); !slices.Equal(res.Codes(), []string{"UNAUTHENTICATED"}) {
			t.Errorf("anonymous: %+v", res.Errors)
		}
		if res := a.Do(t, a.Login(t, shipA), `{ apiTokens { id } }`, nil); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("shipper listing tokens: %+v", res.Errors)
		}
	})
}

func TestTokenInputIsChecked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		past := a.Clock.Now().Add(-time.Minute)
		long := strings.Repeat("单", 65)
		for _, c := range []struct {
			in    map[string]any
			code  string
			field string
		}{
			{map[string]any{"name": "  ", "role": "VIEWER"}, "INVALID_ARGUMENT", "name"},
			{map[string]any{"name": long, "role": "VIEWER"}, "INVALID_ARGUMENT", "name"},
			{map[string]any{"name": "x", "role": "BUYER"}, "INVALID_ARGUMENT", "role"},
			{map[string]any{"name": "x", "role": "PLATFORM"}, "INVALID_ARGUMENT", "role"},
			{map[string]any{"name": "x", "role": "VIEWER", "expiresAt": past}, "INVALID_ARGUMENT", "expiresAt"},
		} {
			var resp createTokenResp
			a.MustDo(t, owner, createToken, &resp, map[string]any{"in": c.in})
			ue := resp.CreateAPIToken.UserErrors
			if resp.CreateAPIToken.Token != nil || len(ue) != 1 || ue[0].Code != c.code || !slices.Equal(ue[0].Field, []string{"input", c.field}) {
				t.Errorf("%v: %+v", c.in, resp.CreateAPIToken)
			}
		}
		// A role that does not exist is refused by the schema itself.
		res := a.Do(t, owner, createToken, map[string]any{"in": map[string]any{"name": "x", "role": "ADMIN"}})
		if !slices.Equal(res.Codes(), []string{"GRAPHQL_VALIDATION_FAILED"}) {
			t.Errorf("role ADMIN: %+v", res.Errors)
		}
		var n int64
		db.Table("api_tokens").Count(&n)
		if n != 0 {
			t.Errorf("%d tokens exist after refused requests", n)
		}
		// 64 characters is the longest name.
		a.CreateToken(t, owner, strings.Repeat("单", 64), "VIEWER")
	})
}
