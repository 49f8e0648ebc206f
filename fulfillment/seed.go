package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
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
	promise  time.Duration // after payment
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
	var demo Demo
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
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 40 * h, promise: 48 * h,
				lines: []demoLine{{0, 2}, {1, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "310104", detail: "漕溪北路 88 号 5 楼", paidAgo: 3 * h, promise: 48 * h,
				lines: []demoLine{{2, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 50 * h, promise: 48 * h,
				lines: []demoLine{{0, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "110105", detail: "建国路 93 号 万达广场 B 座", paidAgo: 30 * h, promise: 48 * h,
				lines: []demoLine{{0, 1}, {2, 2}}, status: models.OrderPartiallyShipped,
				packages: []demoPackage{{carrier: "SF", number: "SF1400027816431", lines: map[int]int64{1: 2}}}},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 4 * day, promise: 48 * h,
				lines: []demoLine{{0, 2}, {1, 1}, {2, 1}}, status: models.OrderShipped,
				packages: []demoPackage{
					{carrier: "ZTO", number: "78451236985214", lines: map[int]int64{0: 2}},
					{carrier: "SF", number: "SF1400027816448", lines: map[int]int64{1: 1, 2: 1}},
					{carrier: "YTO", number: "YT7465123698521", appended: true},
				}},
			{buyer: "buyer2@demo.fahuo", region: "330106", detail: "文三路 478 号 华星时代广场 A 座", paidAgo: 9 * day, promise: 48 * h,
				lines: []demoLine{{1, 2}}, status: models.OrderDelivered,
				packages: []demoPackage{{carrier: "YTO", number: "YT7465123698538", lines: map[int]int64{0: 2}, delivered: true}}},
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 2 * day, promise: 48 * h,
				lines: []demoLine{{2, 1}}, status: models.OrderClosed},
		}
		ordersB := []demoOrder{
			{buyer: "buyer@demo.fahuo", region: "440305", detail: "科技园南区 深南大道 10000 号 2 栋 1201", paidAgo: 20 * h, promise: 7 * day,
				lines: []demoLine{{0, 1}}, status: models.OrderPendingShipment},
			{buyer: "buyer2@demo.fahuo", region: "310104", detail: "漕溪北路 88 号 5 楼", paidAgo: 3 * day, promise: 48 * h,
				lines: []demoLine{{0, 1}, {1, 1}}, status: models.OrderShipped,
				packages: []demoPackage{
					{carrier: "JD", number: "JDVA12345678901", lines: map[int]int64{0: 1}},
					{carrier: "JD", number: "JDVA12345678918", lines: map[int]int64{1: 1}},
				}},
		}
		shipFrom := map[int64]string{}
		for _, t := range templates {
			shipFrom[t.ID] = t.ShipFromRegion
		}
		seq := 0
		for _, set := range []struct {
			shop     models.Shop
			products []models.Product
			orders   []demoOrder
		}{{shopA, productsA, ordersA}, {shopB, productsB, ordersB}} {
			for _, d := range set.orders {
				seq++
				if err := s.seedOrder(tx, now, seq, set.shop, set.products, shipFrom, users[d.buyer], d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return demo, err == nil, err
}

// seedOrder writes one demo order as it would stand after being placed,
// shipped and delivered: the rows, not the rule checks, which the demo's
// fixed data meets by construction.
func (s *Service) seedOrder(tx *gorm.DB, now time.Time, seq int, shop models.Shop, products []models.Product, templateFrom map[int64]string, buyer *models.User, d demoOrder) error {
	paid := now.Add(-d.paidAgo)
	o := models.Order{
		ShopID: shop.ID, Number: fmt.Sprintf("%s%06d", paid.Format("060102"), 100000+seq*7919%900000),
		BuyerID: buyer.ID, Status: d.status, RecipientName: buyer.Name, RecipientPhone: demoPhones[d.buyer],
		ShipFromRegion: templateFrom[*products[d.lines[0].product].TemplateID],
		RegionCode:     d.region, RegionName: regions.FullName(d.region), AddressDetail: d.detail,
		Currency: models.CurrencyCNY, FreightCents: 0, PaidAt: paid, PromisedShipBy: paid.Add(d.promise),
		CreatedAt: paid, UpdatedAt: paid,
	}
	for _, l := range d.lines {
		o.TotalCents += products[l.product].PriceCents * l.qty
	}
	var shipments int
	for _, p := range d.packages {
		if !p.appended {
			shipments++
		}
	}
	if len(d.packages) > 0 {
		first := paid.Add(20 * time.Hour)
		o.FirstShippedAt = &first
		if d.status != models.OrderPartiallyShipped {
			last := first.Add(time.Duration(shipments-1) * time.Hour)
			o.ShippedAt = &last
		}
	}
	if d.status == models.OrderDelivered {
		at := o.ShippedAt.Add(50 * time.Hour)
		o.DeliveredAt = &at
	}
	if d.status == models.OrderClosed {
		at := paid.Add(5 * time.Hour)
		o.ClosedAt = &at
	}
	if err := tx.Create(&o).Error; err != nil {
		return err
	}
	lines := make([]models.OrderLine, len(d.lines))
	for i, l := range d.lines {
		p := products[l.product]
		lines[i] = models.OrderLine{ShopID: shop.ID, OrderID: o.ID, LineNo: int64(i + 1), ProductID: p.ID, SKU: p.SKU,
			Title: p.Title, Quantity: l.qty, UnitPriceCents: p.PriceCents}
	}
	if err := tx.Create(&lines).Error; err != nil {
		return err
	}
	var appendSeq int64
	for i, dp := range d.packages {
		pkg := models.Package{ShopID: shop.ID, OrderID: o.ID, Kind: models.PackageShipment, CarrierCode: dp.carrier,
			TrackingNumber: dp.number, Status: models.PackageInTransit, ShippedAt: o.FirstShippedAt.Add(time.Duration(i) * time.Hour)}
		pkg.CreatedAt = pkg.ShippedAt
		if dp.appended {
			appendSeq++
			n := appendSeq
			pkg.Kind, pkg.AppendSeq = models.PackageAppended, &n
		}
		if dp.delivered {
			pkg.Status, pkg.DeliveredAt = models.PackageDelivered, o.DeliveredAt
		}
		if err := tx.Create(&pkg).Error; err != nil {
			return err
		}
		w := models.Waybill{CarrierCode: pkg.CarrierCode, TrackingNumber: pkg.TrackingNumber, ShopID: shop.ID, OrderID: o.ID,
			BuyerID: o.BuyerID, AddressKey: s.addressKey(o), CreatedAt: pkg.CreatedAt}
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		for idx, qty := range dp.lines {
			pl := models.PackageLine{ShopID: shop.ID, PackageID: pkg.ID, OrderLineID: lines[idx].ID, Quantity: qty}
			if err := tx.Create(&pl).Error; err != nil {
				return err
			}
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
