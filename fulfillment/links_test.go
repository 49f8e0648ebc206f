package fulfillment

import (
	"strings"
	"testing"

	"github.com/fahuo/fahuo/models"
)

// A tracking link is checked by its signature alone: it opens its own
// order under the key that signed it, and no order under another key.
func TestTrackingLinksAreSignedByTheKey(t *testing.T) {
	svc := func(key string) *Service {
		return New(nil, nil, Settings{PasswordCost: 4, LinkKey: []byte(key)}, nil)
	}
	a, b := svc("key one"), svc("key two")
	o := models.Order{ID: 42, ShopID: 7}
	token := a.TrackingToken(o)
	if !strings.HasPrefix(token, "fhl_7.42.") || len(token) != len("fhl_7.42.")+linkSigLen {
		t.Fatalf("token %q", token)
	}
	got, ok := a.TrackingLinkActor(token)
	if !ok || got.Kind != ActorLink || got.Role != models.RoleBuyer || got.Link != (Key{ShopID: 7, ID: 42}) || got.UserID != 0 || got.ShopID != 0 {
		t.Errorf("the signing service reads %+v, %v", got, ok)
	}
	if _, ok := b.TrackingLinkActor(token); ok {
		t.Errorf("a service with another key takes the link")
	}
	if b.TrackingToken(o) == token {
		t.Errorf("two keys sign the same link")
	}
	for _, bad := range []string{"", "fhl_", "fhl_7.42", "fhl_7.42.", token + "A", "fhl_7.-42." + token[len("fhl_7.42."):],
		"fhl_x.42." + token[len("fhl_7.42."):], strings.Repeat("fhl_", 40)} {
		if _, ok := a.TrackingLinkActor(bad); ok {
			t.Errorf("%q passes as a link", bad)
		}
	}
	if Allowed(got, OpRequestRefund) || Allowed(got, OpPlaceOrder) || !Allowed(got, OpReadOrders) {
		t.Errorf("a link may do more than read orders")
	}
}
