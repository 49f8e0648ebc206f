package fulfillment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/fahuo/fahuo/models"
)

// A tracking link (DOMAIN.md §1: the buyer follows their order through a
// web login or a signed tracking link) lets whoever holds it read one order's
// tracking — its lines, packages and scans, the recipient masked — without
// logging in: the link a shop texts to its buyer. It is signed, not stored:
// fhl_<shop id>.<order id>.<signature>, the signature an HMAC-SHA256 of the
// two ids under Settings.LinkKey, cut to 128 bits. Checking one costs no
// statement, and the same key on every instance checks it everywhere. It
// does not expire; changing the key withdraws every link at once.
const linkPrefix = "fhl_"

// linkSigLen is the signature's length in base64url characters (16 bytes).
const linkSigLen = 22

// TrackingToken returns the signed tracking link token of an order.
func (s *Service) TrackingToken(o models.Order) string {
	ids := strconv.FormatInt(o.ShopID, 10) + "." + strconv.FormatInt(o.ID, 10)
	return linkPrefix + ids + "." + s.linkSignature(ids)
}

func (s *Service) linkSignature(ids string) string {
	mac := hmac.New(sha256.New, s.settings.LinkKey)
	mac.Write([]byte("fahuo tracking link v1\x00"))
	mac.Write([]byte(ids))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// TrackingLinkActor checks a tracking link token and returns the actor it
// makes: the reader of that one order. It accepts nothing but a link;
// Authenticate hands it the bearer tokens that look like one.
func (s *Service) TrackingLinkActor(token string) (Actor, bool) {
	rest, ok := strings.CutPrefix(token, linkPrefix)
	if !ok || len(token) > maxSecretLen || len(rest) < linkSigLen+4 {
		return Actor{}, false
	}
	ids, sig := rest[:len(rest)-linkSigLen-1], rest[len(rest)-linkSigLen:]
	if rest[len(ids)] != '.' || !hmac.Equal([]byte(sig), []byte(s.linkSignature(ids))) {
		return Actor{}, false
	}
	shop, order, ok := strings.Cut(ids, ".")
	if !ok {
		return Actor{}, false
	}
	shopID, err1 := strconv.ParseInt(shop, 10, 64)
	orderID, err2 := strconv.ParseInt(order, 10, 64)
	if err1 != nil || err2 != nil || shopID <= 0 || orderID <= 0 {
		return Actor{}, false
	}
	return Actor{Kind: ActorLink, Role: models.RoleBuyer, Name: "tracking link", Link: Key{ShopID: shopID, ID: orderID}}, true
}
