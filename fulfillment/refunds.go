package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// RequestRefund asks for the whole order's refund (F1: after-sales is per
// order, never per package). Every shipment package not yet delivered is
// marked INTERCEPT_REQUIRED (F2); appended packages are left alone (F3).
// While the request is open the order cannot ship (S6).
//
// Errors: FORBIDDEN for anyone but a buyer; NOT_FOUND for an order not the
// buyer's; INVALID_STATE for a closed or delivered order or a request
// already open; INVALID_ARGUMENT for an empty or over-long reason.
func (s *Service) RequestRefund(ctx context.Context, a Actor, orderID int64, reason string) (models.Order, error) {
	reason, rerr := refundReason(reason)
	return s.refundChange(ctx, a, OpRequestRefund, orderID, rerr, lockBuyerOrder, func(tx *gorm.DB, o *models.Order) error {
		if err := refundable(*o); err != nil {
			return err
		}
		now := s.clock.Now()
		res := tx.Model(&models.Order{}).Where("shop_id = ? AND id = ? AND refund_status = ?", o.ShopID, o.ID, models.RefundNone).
			Updates(map[string]any{"refund_status": models.RefundRequested, "refund_reason": reason, "refund_requested_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.Errorf(models.CodeInvalidState, "a refund request is already open")
		}
		o.RefundStatus, o.RefundReason, o.RefundRequestedAt = models.RefundRequested, reason, &now
		marked := tx.Model(&models.Package{}).
			Where("shop_id = ? AND order_id = ? AND kind = ? AND status <> ? AND intercept_status = ?",
				o.ShopID, o.ID, models.PackageShipment, models.PackageDelivered, models.InterceptNone).
			Update("intercept_status", models.InterceptRequired)
		if marked.Error != nil {
			return marked.Error
		}
		detail := "买家申请退款：" + reason
		if marked.RowsAffected > 0 {
			detail += fmt.Sprintf("；待拦截包裹 %d 个", marked.RowsAffected)
		}
		return addEvent(tx, *o, a, now, "requestRefund", detail)
	})
}

// ApproveRefund refunds the order and closes it. An order that shipped
// nothing closes at once (F4); one with packages on the way closes once the
// merchant has intercepted every package marked INTERCEPT_REQUIRED.
//
// Errors: FORBIDDEN for roles other than owner and customer service;
// NOT_FOUND for an order not in the actor's shop; INVALID_STATE with no
// request open, or packages still to intercept.
func (s *Service) ApproveRefund(ctx context.Context, a Actor, orderID int64) (models.Order, error) {
	return s.refundChange(ctx, a, OpApproveRefund, orderID, nil, lockShopOrder, func(tx *gorm.DB, o *models.Order) error {
		if o.RefundStatus != models.RefundRequested {
			return models.Errorf(models.CodeInvalidState, "the order has no open refund request")
		}
		var waiting int64
		if err := tx.Model(&models.Package{}).Where("shop_id = ? AND order_id = ? AND intercept_status = ?", o.ShopID, o.ID, models.InterceptRequired).
			Count(&waiting).Error; err != nil {
			return err
		}
		if waiting > 0 {
			return models.Errorf(models.CodeInvalidState, "%d packages must be intercepted first", waiting)
		}
		now := s.clock.Now()
		res := tx.Model(&models.Order{}).Where("shop_id = ? AND id = ? AND status = ? AND refund_status = ?", o.ShopID, o.ID, o.Status, models.RefundRequested).
			Updates(map[string]any{"status": models.OrderClosed, "closed_at": now, "refund_status": models.Refunded, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.Errorf(models.CodeInvalidState, "the order changed meanwhile")
		}
		o.Status, o.ClosedAt, o.RefundStatus = models.OrderClosed, &now, models.Refunded
		return addEvent(tx, *o, a, now, "approveRefund", "退款完成，交易关闭")
	})
}

// MarkPackageIntercepted records that the merchant intercepted a package
// its refund required to stop (F2).
//
// Errors: FORBIDDEN for roles other than owner, shipper and customer
// service; NOT_FOUND for a package not in the actor's shop; INVALID_STATE
// for a package no refund asks to intercept.
func (s *Service) MarkPackageIntercepted(ctx context.Context, a Actor, packageID int64) (models.Package, error) {
	var p models.Package
	e := &audit{op: OpMarkIntercepted}
	e.object("Package", packageID)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Where("shop_id = ? AND id = ?", a.ShopID, packageID).Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such package in your shop")
			}
			return err
		}
		// Order first, then its packages: the one lock order.
		o, err := lockOrder(tx, a, OrderRef{ID: p.OrderID})
		if err != nil {
			return err
		}
		res := tx.Model(&models.Package{}).Where("shop_id = ? AND id = ? AND intercept_status = ?", p.ShopID, p.ID, models.InterceptRequired).
			Update("intercept_status", models.Intercepted)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.Errorf(models.CodeInvalidState, "this package is not waiting to be intercepted")
		}
		p.InterceptStatus = models.Intercepted
		return addEvent(tx, o, a, s.clock.Now(), "markPackageIntercepted", "已拦截 "+p.CarrierCode+" "+p.TrackingNumber)
	})
	return p, err
}

// WithdrawRefund lets the buyer take back an open refund request (撤销退款申请).
// The order can ship again (S6 no longer holds it), and packages still
// marked INTERCEPT_REQUIRED go back to NONE; a package the merchant already
// intercepted stays INTERCEPTED, because that is what happened to it.
//
// Errors: FORBIDDEN for anyone but a buyer; NOT_FOUND for an order not the
// buyer's; INVALID_STATE with no request open.
func (s *Service) WithdrawRefund(ctx context.Context, a Actor, orderID int64) (models.Order, error) {
	return s.refundChange(ctx, a, OpWithdrawRefund, orderID, nil, lockBuyerOrder, func(tx *gorm.DB, o *models.Order) error {
		return s.dropRefundRequest(tx, a, o, "withdrawRefund", "买家撤销退款申请")
	})
}

// RejectRefund lets the shop turn down an open refund request (拒绝退款),
// with the reason the buyer will read in the order's history. The order is
// as it was before the request: it can ship again, and packages still
// marked INTERCEPT_REQUIRED go back to NONE (one already intercepted stays
// INTERCEPTED). The buyer may ask again.
//
// Errors: FORBIDDEN for roles other than owner and customer service;
// NOT_FOUND for an order not in the actor's shop; INVALID_ARGUMENT for a
// reason that is blank or over 500 characters; INVALID_STATE with no
// request open.
func (s *Service) RejectRefund(ctx context.Context, a Actor, orderID int64, reason string) (models.Order, error) {
	reason, rerr := refundReason(reason)
	return s.refundChange(ctx, a, OpRejectRefund, orderID, rerr, lockShopOrder, func(tx *gorm.DB, o *models.Order) error {
		return s.dropRefundRequest(tx, a, o, "rejectRefund", "商家拒绝退款："+reason)
	})
}

// refundChange runs op on the order orderID as one change: lock reads and
// locks the order as the actor may change it, and fn changes it. The audit
// entry names the order and its shop. A refusal found before (a reason that
// does not do, refused non-nil) is audited without touching the order.
func (s *Service) refundChange(ctx context.Context, a Actor, op Operation, orderID int64, refused error,
	lock func(*gorm.DB, Actor, int64) (models.Order, error), fn func(tx *gorm.DB, o *models.Order) error) (models.Order, error) {
	var o models.Order
	e := &audit{op: op}
	e.object("Order", orderID)
	if refused != nil {
		return o, s.refuse(ctx, a, e, refused)
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		var err error
		if o, err = lock(tx, a, orderID); err != nil {
			return err
		}
		e.shopID = o.ShopID
		return fn(tx, &o)
	})
	return o, err
}

// lockShopOrder locks an order of the actor's shop by id (lockOrder).
func lockShopOrder(tx *gorm.DB, a Actor, orderID int64) (models.Order, error) {
	return lockOrder(tx, a, OrderRef{ID: orderID})
}

// refundReason checks a reason given for a refund request or its
// rejection: 1 to 500 characters, trimmed.
func refundReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return "", models.FieldError(models.CodeInvalidArgument, []string{"reason"}, "a reason of 1 to 500 characters is needed")
	}
	return reason, nil
}

// dropRefundRequest ends the open refund request of o (locked) without a
// refund, withdrawn by the buyer or rejected by the shop: the order can ship
// again, and its packages still waiting to be intercepted go back to NONE
// (one already intercepted stays INTERCEPTED). The history line says
// action, detail and how many packages need no interception any more.
func (s *Service) dropRefundRequest(tx *gorm.DB, a Actor, o *models.Order, action, detail string) error {
	if o.RefundStatus != models.RefundRequested {
		return models.Errorf(models.CodeInvalidState, "the order has no open refund request")
	}
	now := s.clock.Now()
	res := tx.Model(&models.Order{}).Where("shop_id = ? AND id = ? AND refund_status = ?", o.ShopID, o.ID, models.RefundRequested).
		Updates(map[string]any{"refund_status": models.RefundNone, "refund_reason": "", "refund_requested_at": nil, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return models.Errorf(models.CodeInvalidState, "the order has no open refund request")
	}
	o.RefundStatus, o.RefundReason, o.RefundRequestedAt = models.RefundNone, "", nil
	released := tx.Model(&models.Package{}).
		Where("shop_id = ? AND order_id = ? AND intercept_status = ?", o.ShopID, o.ID, models.InterceptRequired).
		Update("intercept_status", models.InterceptNone)
	if released.Error != nil {
		return released.Error
	}
	if released.RowsAffected > 0 {
		detail += fmt.Sprintf("；%d 个包裹无需再拦截", released.RowsAffected)
	}
	return addEvent(tx, *o, a, now, action, detail)
}

// refundable checks that an order can take a refund request (F1).
func refundable(o models.Order) *models.Error {
	switch {
	case o.Status == models.OrderClosed:
		return models.Errorf(models.CodeInvalidState, "the order is closed")
	case o.Status == models.OrderDelivered:
		return models.Errorf(models.CodeInvalidState, "the order is delivered; ask for a return instead")
	case o.RefundStatus == models.RefundRequested:
		return models.Errorf(models.CodeInvalidState, "a refund request is already open")
	}
	return nil
}

// OrderActions says which changes an actor could make to an order now, by
// the same checks the changes themselves run, so that the pages offer only
// the forms that can succeed.
type OrderActions struct {
	Ship, Append, RequestRefund, WithdrawRefund, ApproveRefund, RejectRefund, Intercept, Reveal bool
}

// ActionsOn returns what the actor could do to the order now.
func (s *Service) ActionsOn(a Actor, o models.Order) OrderActions {
	shop := a.IsShopActor() && a.ShopID == o.ShopID
	buyer := a.Role == models.RoleBuyer && a.UserID == o.BuyerID
	return OrderActions{
		Ship:           shop && Allowed(a, OpShipOrder) && shippable(o) == nil,
		Append:         shop && Allowed(a, OpAppendPackages) && appendable(o, s.clock.Now()) == nil,
		RequestRefund:  buyer && refundable(o) == nil,
		WithdrawRefund: buyer && o.RefundStatus == models.RefundRequested,
		ApproveRefund:  shop && Allowed(a, OpApproveRefund) && o.RefundStatus == models.RefundRequested,
		RejectRefund:   shop && Allowed(a, OpRejectRefund) && o.RefundStatus == models.RefundRequested,
		Intercept:      shop && Allowed(a, OpMarkIntercepted),
		Reveal:         shop && Allowed(a, OpRevealRecipient) && revealable(o, s.clock.Now()) == nil,
	}
}

// lockBuyerOrder locks one of the buyer's own orders; another's is NOT_FOUND.
func lockBuyerOrder(tx *gorm.DB, a Actor, orderID int64) (models.Order, error) {
	var o models.Order
	if err := tx.Clauses(lockForUpdate).Where("id = ? AND buyer_id = ?", orderID, a.UserID).Take(&o).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return o, models.Errorf(models.CodeNotFound, "no such order")
		}
		return o, err
	}
	return o, nil
}
