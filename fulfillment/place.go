package fulfillment

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AddressInput is where a buyer wants an order delivered.
type AddressInput struct {
	RecipientName string
	Phone         string
	RegionCode    string
	Detail        string
}

// PlaceOrderInput is a buyer's order.
type PlaceOrderInput struct {
	Items          []QuoteItem
	Address        AddressInput
	IdempotencyKey string
}

var phonePattern = regexp.MustCompile(`^\+?[0-9]{6,20}$`)

// phoneSeparators are the spaces and hyphens people type in phone numbers.
var phoneSeparators = strings.NewReplacer(" ", "", "-", "")

func (in *AddressInput) validate() error {
	in.RecipientName = strings.TrimSpace(in.RecipientName)
	in.Detail = strings.TrimSpace(in.Detail)
	in.Phone = phoneSeparators.Replace(strings.TrimSpace(in.Phone))
	switch {
	case in.RecipientName == "" || utf8.RuneCountInString(in.RecipientName) > 50:
		return models.FieldError(models.CodeInvalidArgument, []string{"address", "recipientName"}, "a recipient name has 1 to 50 characters")
	case !phonePattern.MatchString(in.Phone):
		return models.FieldError(models.CodeInvalidArgument, []string{"address", "phone"}, "%q is not a phone number", in.Phone)
	case in.Detail == "" || utf8.RuneCountInString(in.Detail) > 200:
		return models.FieldError(models.CodeInvalidArgument, []string{"address", "detail"}, "the street address has 1 to 200 characters")
	}
	// An address names the most precise region there is: a district, or a
	// city or province that has none below it.
	if !regions.Valid(in.RegionCode) || len(regions.Children(in.RegionCode)) > 0 {
		return models.FieldError(models.CodeInvalidRegion, []string{"address", "regionCode"}, "%q is not a district (or a region with none below it)", in.RegionCode)
	}
	return nil
}

// PlaceOrder creates a buyer's paid order, PENDING_SHIPMENT, in one
// transaction: it locks the products, refuses a receiving region that any
// product's template does not deliver to (T2), takes the stock (spot stock
// exactly, P4), keeps the prices and freight as they are now (T4), and sets
// promisedShipBy to the latest promise of any unit (P1, P4). With an
// idempotency key, a retry answers with the first request's order.
//
// Errors: FORBIDDEN for anyone but a buyer; INVALID_ARGUMENT for bad items
// or address; INVALID_REGION for a region that is not a leaf;
// REGION_NOT_DELIVERABLE naming the products that cannot go there;
// OUT_OF_STOCK when a product has fewer units than asked; NOT_FOUND for a
// product that does not exist.
func (s *Service) PlaceOrder(ctx context.Context, a Actor, in PlaceOrderInput) (models.Order, error) {
	var o models.Order
	e := &audit{op: OpPlaceOrder}
	if err := validateItems(in.Items); err != nil {
		return o, s.refuse(ctx, a, e, err)
	}
	if err := in.Address.validate(); err != nil {
		return o, s.refuse(ctx, a, e, err)
	}
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return o, s.refuse(ctx, a, e, err)
	}
	var replayID int64
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		replayID = 0
		products, templates, err := loadForQuote(tx, in.Items, true)
		if err != nil {
			return err
		}
		shopID := products[in.Items[0].ProductID].ShopID
		e.shopID = shopID
		now := s.clock.Now()
		if id, seen, err := claimIdempotencyKey(tx, a, OpPlaceOrder, in.IdempotencyKey, shopID, now); err != nil || seen {
			replayID = id
			e.object("Order", id)
			return err
		}
		quote := quoteFreight(in.Items, products, templates, in.Address.RegionCode)
		if len(quote.Undeliverable) > 0 {
			var titles []string
			field := []string{"items"}
			for i, it := range in.Items {
				for _, id := range quote.Undeliverable {
					if it.ProductID == id {
						titles = append(titles, products[id].Title)
						if len(field) == 1 {
							field = []string{"items", fmt.Sprint(i), "productId"}
						}
					}
				}
			}
			return models.FieldError(models.CodeRegionNotDeliverable, field, "%s cannot be delivered to %s",
				strings.Join(titles, "、"), regions.FullName(in.Address.RegionCode))
		}
		shipFrom := ""
		for _, it := range in.Items {
			if p := products[it.ProductID]; p.TemplateID != nil {
				shipFrom = templates[*p.TemplateID].ShipFromRegion
				break
			}
		}
		o = models.Order{
			ShopID: shopID, BuyerID: a.UserID, Status: models.OrderPendingShipment, ShipFromRegion: shipFrom,
			RecipientName: in.Address.RecipientName, RecipientPhone: in.Address.Phone,
			RegionCode: in.Address.RegionCode, RegionName: regions.FullName(in.Address.RegionCode),
			AddressDetail: in.Address.Detail, Currency: models.CurrencyCNY, FreightCents: quote.TotalCents,
			PaidAt: now, CreatedAt: now, UpdatedAt: now,
		}
		lines := make([]models.OrderLine, len(in.Items))
		for i, it := range in.Items {
			p := products[it.ProductID]
			if p.Stock < it.Quantity {
				return models.FieldError(models.CodeOutOfStock, []string{"items", fmt.Sprint(i), "quantity"},
					"%s has %d left, %d asked", p.Title, p.Stock, it.Quantity)
			}
			spot, promise := promiseOf(p, it.Quantity, now)
			// The conditional update is the backstop: it changes one row
			// only while the stock is still there.
			res := tx.Model(&models.Product{}).Where("shop_id = ? AND id = ? AND stock >= ? AND spot_stock >= ?", p.ShopID, p.ID, it.Quantity, spot).
				Updates(map[string]any{"stock": gorm.Expr("stock - ?", it.Quantity), "spot_stock": gorm.Expr("spot_stock - ?", spot)})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return models.FieldError(models.CodeOutOfStock, []string{"items", fmt.Sprint(i), "quantity"}, "%s is out of stock", p.Title)
			}
			lines[i] = models.OrderLine{
				ShopID: shopID, LineNo: int64(i + 1), ProductID: p.ID, SKU: p.SKU, Title: p.Title,
				Quantity: it.Quantity, UnitPriceCents: p.PriceCents, SpotQuantity: spot, PromisedShipBy: &promise,
			}
			o.TotalCents += it.Quantity * p.PriceCents
			if promise.After(o.PromisedShipBy) {
				o.PromisedShipBy = promise
			}
		}
		o.TotalCents += o.FreightCents
		if err := insertWithNumber(tx, &o); err != nil {
			return err
		}
		for i := range lines {
			lines[i].OrderID = o.ID
		}
		if err := tx.Create(&lines).Error; err != nil {
			return err
		}
		e.object("Order", o.ID)
		settleIdempotencyKey(&e.pending, a, OpPlaceOrder, in.IdempotencyKey, o.ID)
		return nil
	})
	if err != nil {
		return models.Order{}, err
	}
	if replayID != 0 {
		return s.Order(ctx, a, OrderRef{ID: replayID})
	}
	return o, nil
}

// promiseOf returns how many of n units of p ship as spot and the latest
// promise among them (P1): spot ships within 48 h of payment, presale within
// its days; a tiered product's units within its spot stock are spot, the
// rest presale.
func promiseOf(p models.Product, n int64, paid time.Time) (spot int64, promise time.Time) {
	days := func(d int) time.Time { return paid.Add(time.Duration(d) * 24 * time.Hour) }
	switch p.PromiseMode {
	case models.PromisePresale:
		return 0, days(p.PresaleDays)
	case models.PromiseTiered:
		spot = min(n, p.SpotStock)
		if spot == n {
			return spot, paid.Add(models.SpotShipWithin)
		}
		return spot, days(p.PresaleDays)
	default:
		return 0, paid.Add(models.SpotShipWithin)
	}
}

// insertWithNumber gives the order a fresh order number (订单号): the day in
// China time and twelve random digits, so that numbers reveal nothing about
// a shop's volume. On the rare clash with an existing number it draws again.
func insertWithNumber(tx *gorm.DB, o *models.Order) error {
	for attempt := 0; attempt < 5; attempt++ {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000_000))
		if err != nil {
			return err
		}
		o.Number = o.PaidAt.In(models.ChinaTime).Format("060102") + fmt.Sprintf("%012d", n.Int64())
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(o)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			return nil
		}
		o.ID = 0
	}
	return fmt.Errorf("no free order number after 5 draws")
}
