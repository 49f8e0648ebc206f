package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/fahuo/fahuo/clock"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// DemoPassword is the password of every demo account. It is printed at start
// and written in the README: the demo data is for trying Fahuo out, never for
// production (seeding is off by default on PostgreSQL).
const DemoPassword = "fahuo-demo"

// DemoAccount is one login of the demo data.
type DemoAccount struct {
	Email string
	Role  models.Role
	Shop  string
}

// Demo is what SeedDemo created, for printing and for tests.
type Demo struct {
	Accounts []DemoAccount
	Shops    []models.Shop
}

type demoOrder struct {
	buyer    string
	region   string
	detail   string
	lines    []demoLine
	paidAgo  time.Duration
	packages []demoPackage
	status   models.OrderStatus
}

type demoLine struct {
	product int
	qty     int64
}

type demoPackage struct {
	carrier, number string
	lines           map[int]int64 // line index → quantity; nil on appended packages
	appended        bool
	delivered       bool
}

// SeedDemo fills an empty database with a demo platform: two shops with staff,
// buyers, a platform operator, products, and orders in every state. It does
// nothing when the database already has a shop, so a restart keeps what was
// changed. It returns seeded=false in that case.
func (s *Service) SeedDemo(ctx context.Context) (Demo, bool, error) {
	var shops int64
	if err := s.db.WithContext(ctx).Model(&models.Shop{}).Count(&shops).Error; err != nil {
		return Demo{}, false, err
	}
	if shops > 0 {
		return Demo{}, false, nil
	}
	pw, err := s.hashPassword(DemoPassword)
	if err != nil {
		return Demo{}, false, err
	}
	var (
		demo      Demo
		demoSets  []demoSet
		demoUsers map[string]*models.User
	)
	err = database.Transact(ctx, s.db, func(tx *gorm.DB) error {
		demo = Demo{}
		now := s.clock.Now()
		shopA := models.Shop{Name: "鲜果时光旗舰店", CreatedAt: now.Add(-90 * 24 * time.Hour)}
		shopB := models.Shop{Name: "山野茶舍", CreatedAt: now.Add(-60 * 24 * time.Hour)}
		if err := tx.Create(&shopA).Error; err != nil {
			return err
		}
		if err := tx.Create(&shopB).Error; err != nil {
			return err
		}
		demo.Shops = []models.Shop{shopA, shopB}
		users := map[string]*models.User{}
		addUser := func(email, name string, role models.Role, shop *models.Shop) error {
			u := &models.User{Email: email, Name: name, PasswordHash: pw, Role: role, CreatedAt: now}
			acc := DemoAccount{Email: email, Role: role}
			if shop != nil {
				u.ShopID = &shop.ID
				acc.Shop = shop.Name
			}
			if err := tx.Create(u).Error; err != nil {
				return err
			}
			users[email] = u
			demo.Accounts = append(demo.Accounts, acc)
			return nil
		}
		for _, u := range []struct {
			email, name string
			role        models.Role
			shop        *models.Shop
		}{
			{"merchant-a@demo.fahuo", "林店长", models.RoleOwner, &shopA},
			{"shipper-a@demo.fahuo", "王发货", models.RoleShipper, &shopA},
			{"viewer-a@demo.fahuo", "赵只读", models.RoleViewer, &shopA},
			{"merchant-b@demo.fahuo", "陈老板", models.RoleOwner, &shopB},
			{"buyer@demo.fahuo", "张小雨", models.RoleBuyer, nil},
			{"buyer2@demo.fahuo", "李明", models.RoleBuyer, nil},
			{"platform@demo.fahuo", "平台审核员", models.RolePlatform, nil},
		} {
			if err := addUser(u.email, u.name, u.role, u.shop); err != nil {
				return err
			}
		}
		remote := []string{"650000", "540000"} // 新疆, 西藏: no free shipping
		away := []string{"710000", "810000", "820000"}
		templates := []models.ShippingTemplate{
			{ShopID: shopA.ID, Name: "包邮（偏远地区除外）", ShipFromRegion: "360702", Pricing: models.PricingByPiece,
				Default:     models.FeeRule{FirstUnits: 1, FirstFeeCents: 800, ExtraUnits: 1, ExtraFeeCents: 300},
				RegionRules: []models.RegionFeeRule{{Regions: remote, FeeRule: models.FeeRule{FirstUnits: 1, FirstFeeCents: 2000, ExtraUnits: 1, ExtraFeeCents: 1000}}},
				FreeRules:   []models.FreeShippingRule{{Regions: []string{}, Kind: models.FreeByAmount, Threshold: 1}}, FreeExcludedRegions: remote,
				NonDeliveryRegions: away},
			{ShopID: shopA.ID, Name: "冷链生鲜（按重量）", ShipFromRegion: "440305", Pricing: models.PricingByWeight,
				Default:   models.FeeRule{FirstUnits: 1000, FirstFeeCents: 1200, ExtraUnits: 1000, ExtraFeeCents: 600},
				FreeRules: []models.FreeShippingRule{{Regions: []string{"440000"}, Kind: models.FreeByAmount, Threshold: 19900}}, FreeExcludedRegions: []string{},
				RegionRules: []models.RegionFeeRule{}, NonDeliveryRegions: append([]string{"650000", "540000", "630000"}, away...)},
			{ShopID: shopB.ID, Name: "茶具默认", ShipFromRegion: "330106", Pricing: models.PricingByPiece,
				Default:   models.FeeRule{FirstUnits: 1, FirstFeeCents: 1000, ExtraUnits: 1, ExtraFeeCents: 500},
				FreeRules: []models.FreeShippingRule{{Regions: []string{}, Kind: models.FreeByCount, Threshold: 2}}, FreeExcludedRegions: []string{},
				RegionRules: []models.RegionFeeRule{}, NonDeliveryRegions: away},
		}
		for i := range templates {
			templates[i].CreatedAt, templates[i].UpdatedAt = now, now
			if err := tx.Create(&templates[i]).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&shopA).Updates(map[string]any{"score_hundredths": 480, "spot_share_bp": 9200}).Error; err != nil {
			return err
		}
		if err := tx.Model(&shopB).Updates(map[string]any{"score_hundredths": 420, "spot_share_bp": 7000}).Error; err != nil {
			return err
		}
		tA, tCold, tB := &templates[0].ID, &templates[1].ID, &templates[2].ID
		productsA := []models.Product{
			{ShopID: shopA.ID, Title: "赣南脐橙 5斤装", SKU: "QC-5J", PriceCents: 3990, WeightGrams: 2600, Stock: 500,
				TemplateID: tA, PromiseMode: models.PromiseSpot},
			{ShopID: shopA.ID, Title: "阳光玫瑰葡萄 2串礼盒", SKU: "PT-2C", PriceCents: 6980, WeightGrams: 1500, Stock: 200,
				TemplateID: tA, PromiseMode: models.PromiseTiered, PresaleDays: 4, SpotStock: 50},
			{ShopID: shopA.ID, Title: "冷链车厘子 JJ级 2斤", SKU: "CLZ-JJ-2J", PriceCents: 12800, WeightGrams: 1200, Stock: 80,
				TemplateID: tCold, PromiseMode: models.PromiseSpot},
		}
		productsB := []models.Product{
			{ShopID: shopB.ID, Title: "明前龙井 250g", SKU: "LJ-250", PriceCents: 29800, WeightGrams: 400, Stock: 100,
				TemplateID: tB, PromiseMode: models.PromisePresale, PresaleDays: 7},
			{ShopID: shopB.ID, Title: "白瓷盖碗茶具套装", SKU: "GW-SET", PriceCents: 15800, WeightGrams: 1800, Stock: 40,
				TemplateID: tB, PromiseMode: models.PromiseSpot},
		}
		for _, ps := range [][]models.Product{productsA, productsB} {
			for i := range ps {
				ps[i].CreatedAt = now.Add(-30 * 24 * time.Hour)
				if err := tx.Create(&ps[i]).Error; err != nil {
					return err
				}
			}
		}
		h := time.Hour
		day := 24 * h
		ordersA := []demoOrder{
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 40 * h,
				lines: []demoLine{{0, 2}, {1, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "310104", detail: "漕溪北路 88 号 5 楼", paidAgo: 3 * h,
				lines: []demoLine{{2, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 50 * h,
				lines: []demoLine{{0, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "110105", detail: "建国路 93 号 万达广场 B 座", paidAgo: 30 * h,
				lines: []demoLine{{0, 1}, {2, 2}}, status: models.OrderPartiallyShipped,
				packages: []demoPackage{{carrier: "SF", number: "SF1400027816431", lines: map[int]int64{1: 2}}}},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 4 * day,
				lines: []demoLine{{0, 2}, {1, 1}, {2, 1}}, status: models.OrderShipped,
				packages: []demoPackage{
					{carrier: "ZTO", number: "78451236985214", lines: map[int]int64{0: 2}},
					{carrier: "SF", number: "SF1400027816448", lines: map[int]int64{1: 1, 2: 1}},
					{carrier: "YTO", number: "YT7465123698521", appended: true},
				}},
			{buyer: "buyer2@demo.fahuo", region: "330106", detail: "文三路 478 号 华星时代广场 A 座", paidAgo: 9 * day,
				lines: []demoLine{{1, 2}}, status: models.OrderDelivered,
				packages: []demoPackage{{carrier: "YTO", number: "YT7465123698538", lines: map[int]int64{0: 2}, delivered: true}}},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 2 * day,
				lines: []demoLine{{2, 1}}, status: models.OrderClosed},
		}
		ordersB := []demoOrder{
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 20 * h,
				lines: []demoLine{{0, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "310104", detail: "漕溪北路 88 号 5 楼", paidAgo: 3 * day,
				lines: []demoLine{{0, 1}, {1, 1}}, status: models.OrderShipped,
				packages: []demoPackage{
					{carrier: "JD", number: "JDVA12345678901", lines: map[int]int64{0: 1}},
					{carrier: "JD", number: "JDVA12345678918", lines: map[int]int64{1: 1}},
				}},
		}
		demoSets = []demoSet{{shopA, productsA, ordersA}, {shopB, productsB, ordersB}}
		demoUsers = users
		return nil
	})
	if err != nil {
		return Demo{}, false, err
	}
	// The orders go through the domain, each step at its own time, so
	// that the demo holds what real use would: claims of tracking
	// numbers, history, scans, audit entries.
	owners := map[int64]Actor{}
	for _, u := range demoUsers {
		if u.Role == models.RoleOwner {
			owners[*u.ShopID] = userActor(*u, 0)
		}
	}
	platform := userActor(*demoUsers["platform@demo.fahuo"], 0)
	for _, set := range demoSets {
		for _, d := range set.orders {
			buyer := userActor(*demoUsers[d.buyer], 0)
			if err := s.seedOrder(ctx, buyer, owners[set.shop.ID], platform, set.products, d); err != nil {
				return Demo{}, false, fmt.Errorf("demo order for %s: %w", d.buyer, err)
			}
		}
	}
	return demo, true, nil
}

type demoSet struct {
	shop     models.Shop
	products []models.Product
	orders   []demoOrder
}

// at is the service with its clock standing at t, for writing the demo's
// past through the domain.
func (s *Service) at(t time.Time) *Service {
	c := *s
	c.clock = clock.NewManual(t)
	return &c
}

// seedOrder places one demo order and takes it, through the domain, to its
// demo state: shipped in its packages, appended to, delivered (by carrier
// scans) or refunded and closed.
func (s *Service) seedOrder(ctx context.Context, buyer, owner, platform Actor, products []models.Product, d demoOrder) error {
	paid := s.clock.Now().Add(-d.paidAgo)
	in := PlaceOrderInput{Address: AddressInput{RecipientName: buyer.Name, Phone: demoPhones[d.buyer], RegionCode: d.region, Detail: d.detail}}
	for _, l := range d.lines {
		in.Items = append(in.Items, QuoteItem{ProductID: products[l.product].ID, Quantity: l.qty})
	}
	o, err := s.at(paid).PlaceOrder(ctx, buyer, in)
	if err != nil {
		return err
	}
	if d.status == models.OrderClosed {
		if _, err := s.at(paid.Add(time.Hour)).RequestRefund(ctx, buyer, o.ID, "拍错了规格"); err != nil {
			return err
		}
		_, err := s.at(paid.Add(5*time.Hour)).ApproveRefund(ctx, owner, o.ID)
		return err
	}
	lines, err := s.OrderLines(ctx, owner, []Key{KeyOf(o)})
	if err != nil {
		return err
	}
	shipAt := paid.Add(20 * time.Hour)
	var shipment, appended []PackageInput
	for _, p := range d.packages {
		pin := PackageInput{Carrier: p.carrier, TrackingNumber: p.number}
		for idx := range lines[KeyOf(o)] {
			if qty, ok := p.lines[idx]; ok {
				pin.Lines = append(pin.Lines, LineQuantity{OrderLineID: lines[KeyOf(o)][idx].ID, Quantity: qty})
			}
		}
		if p.appended {
			appended = append(appended, pin)
		} else {
			shipment = append(shipment, pin)
		}
	}
	if len(shipment) > 0 {
		if _, _, err := s.at(shipAt).ShipOrder(ctx, owner, ShipOrderInput{Order: OrderRef{ID: o.ID}, Packages: shipment}); err != nil {
			return err
		}
	}
	if len(appended) > 0 {
		if _, _, err := s.at(shipAt.Add(2*time.Hour)).AppendPackages(ctx, owner, AppendInput{Order: OrderRef{ID: o.ID}, Packages: appended}); err != nil {
			return err
		}
	}
	// Carrier scans: picked up a few hours after shipping, on the way, and
	// delivered where the demo says so.
	var scans []ScanInput
	for _, p := range d.packages {
		scans = append(scans,
			ScanInput{Carrier: p.carrier, TrackingNumber: p.number, Status: models.PackagePickedUp, At: shipAt.Add(4 * time.Hour), Place: "深圳转运中心", Description: "快递员已揽收"},
			ScanInput{Carrier: p.carrier, TrackingNumber: p.number, Status: models.PackageInTransit, At: shipAt.Add(14 * time.Hour), Place: "杭州转运中心", Description: "运输中"})
		if p.delivered {
			scans = append(scans, ScanInput{Carrier: p.carrier, TrackingNumber: p.number, Status: models.PackageDelivered, At: shipAt.Add(50 * time.Hour), Place: "收件地址", Description: "已签收，本人签收"})
		}
	}
	if len(scans) > 0 {
		if _, err := s.at(shipAt.Add(51*time.Hour)).RecordTrackingEvents(ctx, platform, scans); err != nil {
			return err
		}
	}
	return nil
}

// demoPhones gives each buyer one phone, so that a buyer's orders to one
// address share their addressKey, as real repeat orders do.
var demoPhones = map[string]string{
	"buyer@demo.fahuo":  "13800138000",
	"buyer2@demo.fahuo": "13912345678",
}
